"""Jobs as users see them: list, follow, wait, cancel. Other services submit through ``submit``."""

from __future__ import annotations

import time
from typing import Any

from core.entities import Actor, Job
from core.errors import InvalidInput, PermissionDenied
from core.jobs.tasks import TASKS, check_params
from core.services.base import Service, record, require
from core.storage.repositories import jobs as repo


class JobService(Service):
    def submit(self, actor: Actor, kind: str, title: str, params: dict[str, Any]) -> Job:
        """Create the job row and hand it to the runner, if the actor holds the permission the kind needs.

        Services check that permission (and validate the parameters) before calling; checking here too
        means a kind submitted directly by name is refused as well.
        """
        if kind not in TASKS:
            raise InvalidInput(f"Unknown job kind {kind!r}.")
        require(actor, TASKS[kind].permission)
        check_params(kind, params)
        with self.db.session() as session:
            job = repo.create_job(
                session, tenant_id=actor.tenant_id, owner_id=actor.user_id, kind=kind, title=title, params=params
            )
            record(session, actor, "job.submitted", "job", job.id, kind=kind, title=title)
        self.engine.runner.start(job.id)
        return self.get(actor, job.id)

    def selftest(self, actor: Actor, steps: int = 5, outcome: str = "succeed") -> Job:
        """A harmless job to check that workers run (About page)."""
        if outcome not in ("succeed", "fail", "crash", "hang"):
            raise InvalidInput("outcome must be succeed, fail, crash or hang.")
        return self.submit(actor, "selftest", "Self-test", {"steps": steps, "outcome": outcome})

    def get(self, actor: Actor, job_id: str) -> Job:
        with self.db.session() as session:
            job = repo.get_job(session, actor.tenant_id, job_id)
        if job.owner_id != actor.user_id:
            require(actor, "jobs:read")
        return job

    def list(self, actor: Actor, kinds: list[str] | None = None, limit: int = 200) -> list[Job]:
        require(actor, "jobs:read")
        with self.db.session() as session:
            return repo.list_jobs(session, actor.tenant_id, kinds=kinds, limit=limit)

    def cancel(self, actor: Actor, job_id: str) -> Job:
        """Stop a queued or running job; a finished one is left as it is and returned."""
        job = self.get(actor, job_id)
        if job.owner_id != actor.user_id and not actor.can("jobs:cancel"):
            raise PermissionDenied("Only the job's owner or an administrator can cancel it.")
        if job.finished:
            return job
        with self.db.session() as session:
            repo.request_cancel(session, job_id)
            record(session, actor, "job.cancelled", "job", job_id)
        self.engine.runner.stop(job_id)
        return self.get(actor, job_id)

    def wait(self, actor: Actor, job_id: str, timeout: float = 600.0, poll_s: float = 0.2) -> Job:
        """Block until the job finishes or ``timeout`` passes; returns the job either way."""
        deadline = time.monotonic() + timeout
        job = self.get(actor, job_id)
        while not job.finished and time.monotonic() < deadline:
            time.sleep(poll_s)
            job = self.get(actor, job_id)
        return job
