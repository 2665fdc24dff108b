"""Runs one job: calls its task function and records the outcome. Shared by all runners.

The runner hands each task the workspace and the services of the engine that runs it (``ctx.services``; this
layer only knows that they include ``users.actor_for``), so task functions need no engine."""

from __future__ import annotations

import logging
import time
from typing import Any, Generic, Protocol, TypeVar

from core.entities import Actor, Job, JobStatus
from core.errors import CoreError, InvalidInput
from core.jobs.tasks import task_function
from core.progress import CANCELLED, Cancelled
from core.storage.repositories import jobs as job_repo
from core.storage.workspace import Workspace

log = logging.getLogger(__name__)

HEARTBEAT_S = 1.0  # progress writes and cancel reads, together, at most this often (the job panel polls as often)


class ActorSource(Protocol):
    def actor_for(self, user_id: str) -> Actor: ...


class Services(Protocol):
    @property
    def users(self) -> ActorSource: ...


S = TypeVar("S", bound=Services)


class JobContext(Generic[S]):
    """Given to task functions: progress goes to the job row and the cancel flag is read from it, together at
    most once per ``interval`` (a progress write returns the flag), so a job costs one small transaction a second
    however often the task reports; ``actor`` is the job's owner with the permissions they have now."""

    def __init__(self, workspace: Workspace, services: S, job: Job, actor: Actor, interval: float = HEARTBEAT_S):
        self.workspace, self.services, self.job, self.actor = workspace, services, job, actor
        self._interval = interval
        self._last_beat = time.monotonic()  # just claimed: the row is fresh
        self._reported: tuple[float, str] | None = None  # progress not written yet
        self._cancel = False

    def _beat(self, force: bool = False) -> None:
        """Write the latest progress (reading the cancel flag back), or just read the flag, if one is due."""
        if not force and time.monotonic() - self._last_beat < self._interval:
            return
        self._last_beat = time.monotonic()
        with self.workspace.db.session() as session:
            if self._reported is not None:
                cancel = job_repo.set_progress(session, self.job.id, *self._reported)
                self._reported = None
            else:
                cancel = job_repo.cancel_requested(session, self.job.id)
        self._cancel = self._cancel or cancel

    def progress(self, fraction: float, message: str = "") -> None:
        self._reported = (fraction, message)
        self._beat(force=fraction >= 1.0)

    def cancelled(self) -> bool:
        if not self._cancel:
            self._beat()
        return self._cancel

    def check(self) -> None:
        if self.cancelled():
            raise Cancelled()


def execute_job(workspace: Workspace, services: Services, job: Job, owner: Actor | None = None) -> Job:
    """Run a job that is already ``running`` (claimed) to a final state; never raises; returns the finished job.
    ``owner``: the job's owner as the submit that starts it inline just checked them, else read again."""
    status, result, error, details = JobStatus.FAILED, None, None, None
    try:
        actor = owner if owner is not None and owner.user_id == job.owner_id else None
        ctx = JobContext(workspace, services, job, actor or services.users.actor_for(job.owner_id))
        result = task_function(job.kind)(ctx, job.params)
        status = JobStatus.SUCCEEDED
    except Cancelled:
        status, error = JobStatus.CANCELED, CANCELLED
    except CoreError as exc:  # a job keeps text, so an input error keeps its problem rows as lines
        problems = exc.problems_text() if isinstance(exc, InvalidInput) else None
        error, details = exc.message, exc.details or problems
    except Exception as exc:  # a bug or library failure: fail this job only; the traceback stays in the server log
        log.exception("job %s failed", job.id)  # every tenant member may read a job's details, so no code paths there
        first_line = (str(exc).splitlines() or [""])[0]  # a database error goes on with its SQL and parameters
        error = f"The job failed unexpectedly: {type(exc).__name__}: {first_line}"[:1000]
        details = f"An unexpected error in the {job.kind} task. The server log has the full report under job {job.id}."
    with workspace.db.session() as session:
        job_repo.finish(session, job.id, status, result=_plain(result), error=error, error_details=details)
        return job_repo.get_job(session, None, job.id)


def _plain(result: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if result is None else {str(k): v for k, v in result.items()}
