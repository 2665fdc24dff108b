"""The Ray runner on a local Ray instance (run with DATAML_JOB_RUNNER=ray: .ci/run's Ray pass): the job row keeps
the Ray task, a killed worker fails its job, a cancel from another engine ends the task, a restart finds lost
tasks interrupted; and the settings refuse SQLite when workers may be on other machines."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

import pytest

from core import Actor, Engine, InvalidInput
from core.config import Settings
from core.storage.repositories import jobs as job_repo
from tests.conftest import ADMIN_PASSWORD, OUT_OF_PROCESS
from tests.core.test_jobs import orphan_job

on_ray = pytest.mark.skipif(OUT_OF_PROCESS != "ray", reason="the Ray pass runs it (DATAML_JOB_RUNNER=ray)")


@pytest.fixture
def boss(process_engine: Engine) -> Actor:
    return process_engine.users.bootstrap_admin(username="boss", password=ADMIN_PASSWORD, email="b@example.com")


def _running_pid(engine: Engine, actor: Actor, job_id: str) -> int:
    """The worker's pid once the job reports progress (the submitter's pid stands there until the task starts)."""
    deadline = time.monotonic() + 60
    while engine.jobs.get(actor, job_id).progress == 0:
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.1)
    with engine.db.session() as session:
        pid = job_repo.process_of(session, job_id)[0]
    assert pid is not None and pid != os.getpid()
    return pid


def _gone(pid: int) -> bool:
    state = subprocess.run(["ps", "-p", str(pid), "-o", "stat="], capture_output=True, text=True).stdout.strip()
    return state in ("", "Z")


@on_ray
def test_the_job_row_keeps_its_ray_task(process_engine: Engine, boss: Actor) -> None:
    job = process_engine.jobs.wait(boss, process_engine.jobs.selftest(boss, steps=2).id, timeout=120)
    assert job.status == "succeeded" and job.result == {"steps": 2}
    assert job.ray_task_id is not None and len(job.ray_task_id) == 48
    assert job.ray_job_id == job.ray_task_id[-8:]


@on_ray
def test_a_killed_worker_fails_its_job(process_engine: Engine, boss: Actor) -> None:
    job = process_engine.jobs.selftest(boss, steps=200)
    os.kill(_running_pid(process_engine, boss, job.id), signal.SIGKILL)
    done = process_engine.jobs.wait(boss, job.id, timeout=60)
    assert done.status == "failed" and "Ray worker ended unexpectedly" in (done.error or "")


@on_ray
def test_cancel_from_another_engine_kills_a_task_that_does_not_stop(process_engine: Engine, boss: Actor) -> None:
    """The API's engine did not submit the task: the cancel flag, then the worker's pid after the grace period."""
    job = process_engine.jobs.selftest(boss, steps=200, outcome="hang")
    pid = _running_pid(process_engine, boss, job.id)
    other = Engine.open(home=process_engine.settings.home, runner="ray")
    other.runner.grace_s = 0.5  # type: ignore[attr-defined]
    assert other.jobs.cancel(boss, job.id).status == "canceled"
    deadline = time.monotonic() + 30
    while not _gone(pid):
        assert time.monotonic() < deadline, "the worker still runs"
        time.sleep(0.1)
    done = process_engine.jobs.wait(boss, job.id, timeout=30)
    assert (done.status, done.error) == ("canceled", "The job was cancelled.")
    other.close()


@on_ray
def test_terminate_ray_job_accepts_the_ray_task_id(process_engine: Engine, boss: Actor) -> None:
    job = process_engine.jobs.selftest(boss, steps=200)
    _running_pid(process_engine, boss, job.id)
    task_id = process_engine.jobs.get(boss, job.id).ray_task_id
    assert task_id is not None
    assert process_engine.jobs.terminate(boss, task_id, "selftest").status == "canceled"


@on_ray
@pytest.mark.parametrize("host", [socket.gethostname(), "node-that-left.example"])
def test_a_job_whose_ray_task_is_gone_is_interrupted_on_restart(process_engine: Engine, boss: Actor, host: str) -> None:
    """Its worker's process on this machine ended, or its node is no longer in the cluster."""
    job = orphan_job(process_engine, boss, host)
    with process_engine.db.session() as session:
        job_repo.set_ray_task(session, job.id, "ab" * 24)
    restarted = Engine.open(home=process_engine.settings.home, runner="ray")
    orphan = restarted.jobs.get(boss, job.id)
    assert orphan.status == "interrupted" and "interrupted" in (orphan.error or "")
    restarted.close()


@pytest.mark.parametrize("address", ["auto", "10.0.0.5:6379", "ray://head.example:10001"])
def test_sqlite_is_refused_when_ray_workers_may_be_remote(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    monkeypatch.setenv("DATAML_RAY_ADDRESS", address)
    with pytest.raises(InvalidInput) as refused:
        Settings.from_env(home="/tmp/unused", database_url="sqlite:////tmp/unused/dataml.db", runner="ray")
    assert "postgresql URL when jobs run on a Ray cluster" in (refused.value.problems_text() or "")


@pytest.mark.parametrize("address", [None, "127.0.0.1:6379", "localhost:6379"])
def test_sqlite_is_allowed_with_a_ray_instance_on_this_machine(
    monkeypatch: pytest.MonkeyPatch, address: str | None
) -> None:
    if address is None:
        monkeypatch.delenv("DATAML_RAY_ADDRESS", raising=False)
    else:
        monkeypatch.setenv("DATAML_RAY_ADDRESS", address)
    settings = Settings.from_env(home="/tmp/unused", database_url="sqlite:////tmp/unused/dataml.db", runner="ray")
    assert settings.job_runner == "ray" and not settings.remote_workers
