"""Worker entry point: ``python -m core.worker <job id>`` — waits for a slot, runs one job with a fresh engine's
services (it sits beside ``core.engine``, above the layers it wires)."""

from __future__ import annotations

import signal
import sys
import time
from types import FrameType

from core.entities import JobStatus
from core.progress import CANCELLED, Cancelled
from core.storage.repositories import jobs as job_repo


def _cancel_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise Cancelled()


def main(job_id: str) -> int:
    from core.engine import Engine  # after argument parsing: keeps `--help`-style failures cheap
    from core.jobs.execution import execute_job

    engine = Engine.open(runner="inline", reap=False)
    signal.signal(signal.SIGTERM, _cancel_on_sigterm)
    try:
        while True:
            with engine.db.session() as session:
                claimed = job_repo.claim_slot(
                    session, job_id, engine.settings.max_jobs, engine.settings.tenant_job_share
                )
                job = job_repo.get_job(session, None, job_id)
            if claimed:
                break
            if job.finished:
                return 0
            time.sleep(0.5)
    except Cancelled:
        with engine.db.session() as session:
            job_repo.finish(session, job_id, JobStatus.CANCELED, error=CANCELLED)
        return 0
    execute_job(engine.workspace, engine, job)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
