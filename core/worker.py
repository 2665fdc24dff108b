"""Worker entry points, beside ``core.engine`` (above the layers they wire): ``python -m core.worker <job id>``
(the process runner's child) and ``run_in_ray_task`` (the body of the Ray runner's task). Both wait for a slot,
then run one job with a fresh engine's services."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from types import FrameType
from typing import TYPE_CHECKING

from core.entities import JobStatus
from core.jobs.ray_runner import with_node_password
from core.progress import CANCELLED, Cancelled
from core.storage.repositories import jobs as job_repo

if TYPE_CHECKING:
    from core.engine import Engine


# This node's own database URL (with its password), read before any task's settings replace the environment.
_NODE_DATABASE_URL = os.environ.get("DATAML_DATABASE_URL")


def _cancel_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise Cancelled()


def _claim_and_run(engine: Engine, job_id: str) -> None:
    """Wait until the job holds a slot (or was finished meanwhile, e.g. cancelled while queued), then run it."""
    from core.jobs.execution import execute_job

    while True:
        with engine.db.session() as session:
            claimed = job_repo.claim_slot(session, job_id, engine.settings.max_jobs, engine.settings.tenant_job_share)
            job = job_repo.get_job(session, None, job_id)
        if claimed:
            break
        if job.finished:
            return
        time.sleep(0.5)
    execute_job(engine.workspace, engine, job)


def _cancelled(engine: Engine, job_id: str) -> None:
    with engine.db.session() as session:
        job_repo.finish(session, job_id, JobStatus.CANCELED, error=CANCELLED)


def main(job_id: str) -> int:
    from core.engine import Engine  # after argument parsing: keeps `--help`-style failures cheap

    engine = Engine.open(runner="inline", reap=False)
    signal.signal(signal.SIGTERM, _cancel_on_sigterm)
    try:
        _claim_and_run(engine, job_id)
    except Cancelled:
        _cancelled(engine, job_id)
    return 0


def run_in_ray_task(job_id: str, env: dict[str, str], cores: int) -> None:
    """The Ray task: ``env`` carries the submitting engine's workspace settings (``DATAML_*``), ``cores`` the CPUs
    Ray gave the task (``job_cores``). The worker process is Ray's and serves many jobs, so the model libraries are
    imported once; each job opens (and closes) its own engine. Its pid and host replace the submitter's on the
    job row, so a cancel from any engine can end it. Ray's cancel raises ``KeyboardInterrupt`` here."""
    url = with_node_password(env["DATAML_DATABASE_URL"], _NODE_DATABASE_URL)
    os.environ.update(env, DATAML_DATABASE_URL=url, DATAML_JOB_CORES=str(cores))
    from core.engine import Engine

    engine = Engine.open(runner="inline", reap=False)
    try:
        with engine.db.session() as session:
            job_repo.set_process(session, job_id, pid=os.getpid(), host=socket.gethostname())
        _claim_and_run(engine, job_id)
    except (KeyboardInterrupt, Cancelled):
        _cancelled(engine, job_id)
    finally:
        engine.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
