"""Runs one job: calls its task function and records the outcome. Shared by all runners."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from core.entities import JobStatus
from core.errors import CoreError, InvalidInput
from core.jobs.tasks import task_function
from core.progress import CANCELLED, Cancelled
from core.storage.repositories import jobs as job_repo

if TYPE_CHECKING:
    from core.engine import Engine
    from core.entities import Actor, Job

log = logging.getLogger(__name__)


class JobContext:
    """Given to task functions: progress goes to the job row (throttled), cancellation is read from it."""

    def __init__(self, engine: Engine, job: Job, interval: float = 0.5) -> None:
        self.engine, self.job, self._interval = engine, job, interval
        self._last_write = 0.0
        self._cancel = False

    @property
    def actor(self) -> Actor:
        """The job's owner, with the permissions they have now."""
        return self.engine.users.actor_for(self.job.owner_id)

    def progress(self, fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if now - self._last_write < self._interval and fraction < 1.0:
            return
        self._last_write = now
        with self.engine.db.session() as session:
            self._cancel = job_repo.set_progress(session, self.job.id, fraction, message) or self._cancel

    def cancelled(self) -> bool:
        if not self._cancel:
            with self.engine.db.session() as session:
                self._cancel = job_repo.process_of(session, self.job.id)[2]
        return self._cancel

    def check(self) -> None:
        if self.cancelled():
            raise Cancelled()


def execute_job(engine: Engine, job_id: str) -> None:
    """Run a job that is already ``running`` (claimed) to a final state; never raises."""
    with engine.db.session() as session:
        job = job_repo.get_job(session, None, job_id)
    status, result, error, details = JobStatus.FAILED, None, None, None
    try:
        result = task_function(job.kind)(JobContext(engine, job), job.params)
        status = JobStatus.SUCCEEDED
    except Cancelled:
        status, error = JobStatus.CANCELED, CANCELLED
    except CoreError as exc:  # a job keeps text, so an input error keeps its problem rows as lines
        problems = exc.problems_text() if isinstance(exc, InvalidInput) else None
        error, details = exc.message, exc.details or problems
    except Exception as exc:  # a bug or library failure: fail this job only; the traceback stays in the server log
        log.exception("job %s failed", job_id)  # every tenant member may read a job's details, so no code paths there
        first_line = (str(exc).splitlines() or [""])[0]  # a database error goes on with its SQL and parameters
        error = f"The job failed unexpectedly: {type(exc).__name__}: {first_line}"[:1000]
        details = f"An unexpected error in the {job.kind} task. The server log has the full report under job {job_id}."
    with engine.db.session() as session:
        job_repo.finish(session, job_id, status, result=_plain(result), error=error, error_details=details)


def _plain(result: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if result is None else {str(k): v for k, v in result.items()}
