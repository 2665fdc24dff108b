"""Jobs as users see them: list, follow, wait, cancel. Other services queue theirs inside their own unit of work
(``_queue``) and start them once it is committed (``_start``); ``submit`` does both for a kind given by name."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.orm import Session

from core.entities import Actor, Job
from core.errors import InvalidInput, PermissionDenied, Problem
from core.jobs.runners import JobRunner
from core.jobs.tasks import FAMILIES, TASKS, check_params, family_of, named_rows
from core.services.base import Service, record, require
from core.storage.repositories import jobs as repo
from core.storage.workspace import Workspace


class JobService(Service):
    def __init__(self, workspace: Workspace, runner: JobRunner) -> None:
        super().__init__(workspace)
        self.runner = runner

    def _queue(self, session: Session, actor: Actor, kind: str, title: str, params: dict[str, Any]) -> Job:
        """The job row, linked to the dataset, model and file ids its parameters name, if the actor holds the
        permission the kind needs. Services check that permission (and the parameters) before; checking here too
        means a kind submitted directly by name is refused as well."""
        if kind not in TASKS:
            raise InvalidInput(f"Unknown job kind {kind!r}.")
        require(actor, TASKS[kind].permission)
        check_params(kind, params)
        job = repo.create_job(
            session,
            tenant_id=actor.tenant_id,
            owner_id=actor.user_id,
            kind=kind,
            title=title,
            params=params,
            **named_rows(kind, params),
        )
        record(session, actor, "job.submitted", "job", job.id, kind=kind, title=title)
        return job

    def _start(self, job: Job, actor: Actor) -> Job:
        """Hand a committed job of ``actor`` to the runner: the finished job when it ran inline, else the queued
        one."""
        return self.runner.start(job.id, actor) or job

    def _get(self, session: Session, actor: Actor, job_id: str) -> Job:
        job = repo.get_job(session, actor.tenant_id, job_id)
        if job.owner_id != actor.user_id:
            require(actor, "jobs:read")
        return job

    def submit(self, actor: Actor, kind: str, title: str, params: dict[str, Any]) -> Job:
        """Queue a job of ``kind`` and start it."""
        with self.db.session() as session:
            job = self._queue(session, actor, kind, title, params)
        return self._start(job, actor)

    def selftest(self, actor: Actor, steps: int = 5, outcome: str = "succeed") -> Job:
        """A harmless job to check that workers run (About page)."""
        if outcome not in ("succeed", "fail", "crash", "hang"):
            raise InvalidInput("outcome must be succeed, fail, crash or hang.")
        return self.submit(actor, "selftest", "Self-test", {"steps": steps, "outcome": outcome})

    def get(self, actor: Actor, job_id: str) -> Job:
        with self.db.session() as session:
            return self._get(session, actor, job_id)

    def list(
        self,
        actor: Actor,
        kinds: list[str] | None = None,
        limit: int = 200,
        *,
        statuses: list[str] | None = None,
        offset: int = 0,
    ) -> list[Job]:
        """The tenant's jobs, newest first; ``kinds`` and ``statuses`` filter, ``offset`` / ``limit`` page."""
        require(actor, "jobs:read")
        with self.db.session() as session:
            return repo.list_jobs(session, actor.tenant_id, kinds=kinds, statuses=statuses, limit=limit, offset=offset)

    def cancel(self, actor: Actor, job_id: str) -> Job:
        """Stop a queued or running job; a finished one is left as it is and returned."""
        with self.db.session() as session:
            job = self._get(session, actor, job_id)
            if job.owner_id != actor.user_id and not actor.can("jobs:cancel"):
                raise PermissionDenied("Only the job's owner or an administrator can cancel it.")
            if job.finished:
                return job
            repo.request_cancel(session, job_id)
            record(session, actor, "job.cancelled", "job", job_id)
        self.runner.stop(job_id)
        return self.get(actor, job_id)

    def terminate(self, actor: Actor, job_id: str, usage: str) -> Job:
        """``cancel`` for a caller that names the job's family (the seed's ``usage``: training, inference,
        statistics, attribution, monitoring, selftest), so a job id mixed up with another kind's is refused, not
        stopped. ``job_id`` may also be the id of the Ray task running it (the Jobs page shows it)."""
        if usage not in FAMILIES:
            raise InvalidInput(
                f"Unknown usage {usage!r}; use one of {', '.join(FAMILIES)}.",
                [Problem("unknown usage", field="usage", value=usage[:80])],
            )
        with self.db.session() as session:  # the seed's ray_job_id: our job id, or the Ray task's id
            job_id = repo.job_of_ray_task(session, actor.tenant_id, job_id) or job_id
        job = self.get(actor, job_id)
        if family_of(job.kind) != usage:
            raise InvalidInput(
                f"Job {job.title!r} is a {family_of(job.kind)} job, not {usage}; nothing was stopped.",
                [Problem("does not match the job", field="usage", value=usage)],
            )
        return self.cancel(actor, job_id)

    def wait(self, actor: Actor, job_id: str, timeout: float = 600.0, poll_s: float = 0.2) -> Job:
        """Block until the job finishes or ``timeout`` passes; returns the job either way."""
        deadline = time.monotonic() + timeout
        job = self.get(actor, job_id)
        while not job.finished and time.monotonic() < deadline:
            time.sleep(poll_s)
            job = self.get(actor, job_id)
        return job
