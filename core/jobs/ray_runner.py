"""``RayRunner``: each job is a Ray task running ``core.worker.run_in_ray_task`` (the same claim and
``execute_job`` as the process runner's child) with the CPUs and memory its kind declares.

The job row stays the source of truth: the task writes status, progress and result there; this engine (the Ray
driver that submitted the task) watches the task and records a death the worker could not report. Ray ends a
driver's tasks when the driver exits, so while a task runs its submitter is alive; the row holds the submitter's
pid and host until the task starts, then the worker's, and a restart marks jobs whose process is gone
``interrupted`` as with the process runner. Ray is imported and connected on first use only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import make_url

from core.config import REPO_ROOT, Settings
from core.entities import Actor, Job, JobStatus
from core.jobs.runners import HOST, process_alive, record_death
from core.jobs.tasks import TASKS
from core.progress import CANCELLED
from core.storage.repositories import jobs as job_repo
from core.storage.workspace import Workspace

_connect_lock = threading.Lock()
_SETTINGS_ENV = ("DATAML_EXPLAIN_MAX_ROWS", "DATAML_MAX_UPLOAD_MB", "DATAML_BCRYPT_ROUNDS")  # no secret travels


def without_password(url: str) -> str:
    """The database URL a task carries: never its password (task arguments show in Ray's dashboard and state
    API). A node supplies it itself: its own ``DATAML_DATABASE_URL``, ``PGPASSWORD`` or ``~/.pgpass``."""
    parsed = make_url(url)
    return url if parsed.password is None else parsed._replace(password=None).render_as_string(hide_password=False)


def with_node_password(url: str, node_url: str | None) -> str:
    """A task's database URL with the password of the node's own ``DATAML_DATABASE_URL`` when that names the same
    server, database and user; as it came otherwise."""
    if not node_url:
        return url
    task, node = make_url(url), make_url(node_url)
    same = (task.host, task.port, task.database, task.username) == (node.host, node.port, node.database, node.username)
    return task.set(password=node.password).render_as_string(hide_password=False) if same and node.password else url


def connect(settings: Settings) -> Any:
    """The ``ray`` module, connected to ``DATAML_RAY_ADDRESS`` or to a local instance started for this process
    (it ends with the process). Workers import this repository from ``PYTHONPATH``: on a cluster it must be
    checked out at the same path on every node."""
    import ray

    with _connect_lock:
        if not ray.is_initialized():
            runtime_env = {"env_vars": {"PYTHONPATH": str(REPO_ROOT)}}
            if settings.ray_address is None:
                ray.init(address="local", include_dashboard=False, runtime_env=runtime_env, log_to_driver=False)
            else:
                ray.init(address=settings.ray_address, runtime_env=runtime_env, log_to_driver=False)
    return ray


def _largest_node_cpus(ray: Any) -> int:
    return max((int(node["Resources"].get("CPU", 0)) for node in ray.nodes() if node["Alive"]), default=1) or 1


class RayRunner:
    """Submits each job as a Ray task and watches it from a thread; cancel asks, then forces after ``grace_s``.
    ``body``: the task, ``(job id, DATAML_* environment, cores) -> None`` (``core.worker.run_in_ray_task``, which
    needs the engine above this layer)."""

    def __init__(self, workspace: Workspace, body: Callable[[str, dict[str, str], int], None], grace_s: float = 5.0):
        self.workspace, self.body, self.grace_s = workspace, body, grace_s
        self._refs: dict[str, Any] = {}  # job id -> ObjectRef of the tasks this engine submitted and watches

    def _env(self) -> dict[str, str]:
        settings = self.workspace.settings
        env = {name: os.environ[name] for name in _SETTINGS_ENV if os.environ.get(name)}
        env.update(DATAML_HOME=str(settings.home), DATAML_DATABASE_URL=without_password(settings.database_url))
        env.update(DATAML_FILES_DIR=str(settings.files_dir))  # the same path on every node: a shared mount,
        if settings.files_url:  # or the object store's local cache there
            env.update(DATAML_FILES_URL=settings.files_url)
        env.update(DATAML_MAX_JOBS=str(settings.max_jobs), DATAML_MAX_JOBS_PER_TENANT=str(settings.max_jobs_per_tenant))
        return env

    def start(self, job_id: str, owner: Actor | None = None) -> Job | None:
        ray = connect(self.workspace.settings)
        with self.workspace.db.session() as session:
            kind = job_repo.get_job(session, None, job_id).kind
            job_repo.set_process(session, job_id, pid=os.getpid(), host=HOST)  # until the worker writes its own
        task = TASKS[kind]
        cpus = min(task.cpus, _largest_node_cpus(ray))
        options: dict[str, Any] = {"num_cpus": cpus, "max_retries": 0, "name": f"dataml {kind} {job_id}"}
        if task.memory_mb:
            options["memory"] = task.memory_mb * 1024 * 1024
        ref = ray.remote(self.body).options(**options).remote(job_id, self._env(), cpus)
        self._refs[job_id] = ref
        with self.workspace.db.session() as session:
            job_repo.set_ray_task(session, job_id, ref.task_id().hex())
        threading.Thread(target=self._watch, args=(job_id, ref), daemon=True, name=f"ray-job-{job_id[:8]}").start()
        return None

    def _watch(self, job_id: str, ref: Any) -> None:
        """Record an end the worker could not report: its process or node died, or the task was cancelled or
        force-killed (after a cancel request, that is the cancel)."""
        import ray

        try:
            ray.get(ref)
            return
        except Exception as exc:  # WorkerCrashedError, NodeDiedError, TaskCancelledError, RayTaskError...
            reason = type(exc).__name__
        finally:
            self._refs.pop(job_id, None)
        record_death(self.workspace, job_id, f"The job's Ray worker ended unexpectedly ({reason}).")

    def stop(self, job_id: str) -> None:
        """Ask the task to stop (Ray raises ``KeyboardInterrupt`` in it; a task submitted by another engine reads
        the cancel flag at its next progress report), then end its process if it still runs after the grace
        period. A job still queued has no worker of its own yet: marking it cancelled is enough (its task, when it
        starts, finds it finished)."""
        ref = self._refs.get(job_id)
        with self.workspace.db.session() as session:
            running = job_repo.get_job(session, None, job_id).status == JobStatus.RUNNING
        if ref is not None or running:
            ray = connect(self.workspace.settings)
            if ref is not None:
                ray.cancel(ref, force=False)
            deadline = time.monotonic() + self.grace_s
            while not self._ended(ray, job_id, ref) and time.monotonic() < deadline:
                time.sleep(0.05)
            if not self._ended(ray, job_id, ref):
                self._kill(ray, job_id, ref)
        with self.workspace.db.session() as session:
            job_repo.finish(session, job_id, JobStatus.CANCELED, error=CANCELLED)

    def _ended(self, ray: Any, job_id: str, ref: Any) -> bool:
        if ref is not None and ray.wait([ref], timeout=0)[0]:
            return True
        with self.workspace.db.session() as session:
            return job_repo.get_job(session, None, job_id).finished

    def _kill(self, ray: Any, job_id: str, ref: Any) -> None:
        if ref is not None:
            ray.cancel(ref, force=True)
            return
        with self.workspace.db.session() as session:
            pid, host, _ = job_repo.process_of(session, job_id)
        if pid is not None and host == HOST:
            kill(pid)
        node = _node_of(ray, host) if pid is not None and host != HOST else None
        if node is None:
            return  # gone with its node; or a task that never started, which finds the job finished
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        strategy = NodeAffinitySchedulingStrategy(node_id=node, soft=False)
        ray.get(ray.remote(kill).options(num_cpus=0, scheduling_strategy=strategy).remote(pid), timeout=30)

    def alive(self, pid: int | None, host: str | None) -> bool:
        """A job's process is alive: on this machine, as the process runner checks; elsewhere, while its node is
        alive in the cluster (Ray ends the tasks of a driver that exits, so a dead submitter leaves none)."""
        if pid is None or host == HOST:
            return process_alive(pid, host)
        return _node_of(connect(self.workspace.settings), host) is not None


def kill(pid: int) -> None:
    """End a job's worker process on this node (a forced cancel from an engine that did not submit the task)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _node_of(ray: Any, host: str | None) -> str | None:
    """The id of the live cluster node on ``host``."""
    return next((node["NodeID"] for node in ray.nodes() if node["Alive"] and node["NodeManagerHostname"] == host), None)
