"""Job runners: ``InlineRunner`` (caller's thread, tests) and ``ProcessRunner`` (a child per job).

A process runner starts ``python -m core.worker <job id>`` at once; the worker waits ``queued``
until fewer than ``max_jobs`` jobs run (an atomic claim in the database), so no dispatcher is needed
and jobs survive the page that started them. Cancel ends the process group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Protocol

from core.config import REPO_ROOT
from core.entities import Actor, Job, JobStatus
from core.jobs.execution import Services, execute_job
from core.progress import CANCELLED
from core.storage.repositories import jobs as job_repo
from core.storage.workspace import Workspace

HOST = socket.gethostname()


class JobRunner(Protocol):
    def start(self, job_id: str, owner: Actor | None = None) -> Job | None:
        """Start a queued job (``owner``: its owner, who just submitted it); returns it finished when it ran to the
        end here (inline), else None."""

    def stop(self, job_id: str) -> None: ...

    def alive(self, pid: int | None, host: str | None) -> bool:
        """Whether the process a job row names still runs (start-up marks the jobs of dead ones interrupted)."""


class InlineRunner:
    """Runs the job to completion inside ``start`` — deterministic, for tests and scripts. ``services`` gives the
    services task functions use (the engine's, built after the runner)."""

    def __init__(self, workspace: Workspace, services: Callable[[], Services]) -> None:
        self.workspace, self.services = workspace, services

    def start(self, job_id: str, owner: Actor | None = None) -> Job | None:
        with self.workspace.db.session() as session:
            claimed = job_repo.claim_slot(session, job_id, max_running=1_000_000, tenant_share=1_000_000)
            job = job_repo.get_job(session, None, job_id) if claimed else None
        return execute_job(self.workspace, self.services(), job, owner) if job else None

    def stop(self, job_id: str) -> None:
        with self.workspace.db.session() as session:
            job_repo.finish(session, job_id, JobStatus.CANCELED, error=CANCELLED)

    def alive(self, pid: int | None, host: str | None) -> bool:
        return process_alive(pid, host)


def record_death(workspace: Workspace, job_id: str, error: str) -> None:
    """A job's worker ended without recording an outcome: after a cancel request that was the cancel (the signal
    came from ``stop``, perhaps in another engine), else the job failed with ``error``."""
    with workspace.db.session() as session:
        if job_repo.process_of(session, job_id)[2]:
            job_repo.finish(session, job_id, JobStatus.CANCELED, error=CANCELLED)
        else:
            job_repo.finish(session, job_id, JobStatus.FAILED, error=error)


def process_alive(pid: int | None, host: str | None) -> bool:
    if pid is None:
        return False
    if host != HOST:
        return True  # another machine's worker: we cannot tell, assume it is alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is dead for our purposes
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return True


class ProcessRunner:
    """One child process per job; a watcher thread fails jobs whose process dies without reporting."""

    def __init__(self, workspace: Workspace, grace_s: float = 5.0) -> None:
        self.workspace, self.grace_s = workspace, grace_s

    def start(self, job_id: str, owner: Actor | None = None) -> Job | None:
        env, settings = dict(os.environ), self.workspace.settings
        env.update(DATAML_HOME=str(settings.home), DATAML_DATABASE_URL=settings.database_url)
        env.update(DATAML_MAX_JOBS=str(settings.max_jobs), DATAML_MAX_JOBS_PER_TENANT=str(settings.max_jobs_per_tenant))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        proc = subprocess.Popen(
            [sys.executable, "-m", "core.worker", job_id],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        with self.workspace.db.session() as session:
            job_repo.set_process(session, job_id, pid=proc.pid, host=HOST)
        threading.Thread(target=self._watch, args=(job_id, proc), daemon=True, name=f"job-{job_id[:8]}").start()
        return None

    def _watch(self, job_id: str, proc: subprocess.Popen[bytes]) -> None:
        """Record a death the worker could not report. After a cancel request the signal came from ``stop``
        (perhaps in another engine), possibly before the worker's SIGTERM handler existed: that is a cancel."""
        code = proc.wait()
        record_death(self.workspace, job_id, f"The job's process ended unexpectedly (exit code {code}).")

    def stop(self, job_id: str) -> None:
        """Ask the worker to stop (SIGTERM → cancelled), then make sure it is gone."""
        with self.workspace.db.session() as session:
            pid, host, _ = job_repo.process_of(session, job_id)
        if pid is not None and host == HOST and process_alive(pid, host):
            _signal_group(pid, signal.SIGTERM)
            deadline = time.monotonic() + self.grace_s
            while process_alive(pid, host) and time.monotonic() < deadline:
                time.sleep(0.05)
            if process_alive(pid, host):
                _signal_group(pid, signal.SIGKILL)
        with self.workspace.db.session() as session:
            job_repo.finish(session, job_id, JobStatus.CANCELED, error=CANCELLED)

    def alive(self, pid: int | None, host: str | None) -> bool:
        return process_alive(pid, host)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
