"""Job lifecycle with the real process runner (the Ray runner when DATAML_JOB_RUNNER=ray): success, failure,
crash, cancel, restart, queueing."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from sqlalchemy import update

from core import (
    JOB_FAMILIES,
    Actor,
    Conflict,
    Engine,
    InvalidInput,
    Job,
    JobStatus,
    NotFound,
    PermissionDenied,
    job_family,
)
from core.jobs.tasks import TASKS
from core.security.permissions import BUILTIN_ROLES, PERMISSIONS
from core.storage.orm import JobRow
from core.storage.repositories import jobs as job_repo
from tests.conftest import ADMIN_PASSWORD, OUT_OF_PROCESS


@pytest.fixture
def boss(process_engine: Engine) -> Actor:
    return process_engine.users.bootstrap_admin(username="boss", password=ADMIN_PASSWORD, email="b@example.com")


def _wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_job_runs_in_a_child_process_and_succeeds(process_engine: Engine, boss: Actor) -> None:
    job = process_engine.jobs.selftest(boss, steps=3)
    assert job.status in ("queued", "running")
    done = process_engine.jobs.wait(boss, job.id, timeout=60)
    assert done.status == "succeeded" and done.result == {"steps": 3} and done.progress == 1.0
    assert done.started_at is not None and done.finished_at is not None


def test_failing_task_records_its_sentence(process_engine: Engine, boss: Actor) -> None:
    job = process_engine.jobs.wait(boss, process_engine.jobs.selftest(boss, steps=1, outcome="fail").id, timeout=60)
    assert job.status == "failed" and job.error == "The self-test was asked to fail."


def test_crashing_worker_fails_only_its_job(process_engine: Engine, boss: Actor) -> None:
    crash = process_engine.jobs.selftest(boss, steps=1, outcome="crash")
    assert process_engine.jobs.wait(boss, crash.id, timeout=60).status == "failed"
    assert "ended unexpectedly" in (process_engine.jobs.get(boss, crash.id).error or "")
    ok = process_engine.jobs.wait(boss, process_engine.jobs.selftest(boss, steps=1).id, timeout=60)
    assert ok.status == "succeeded"


def test_cancel_ends_a_running_job_and_its_process(process_engine: Engine, boss: Actor) -> None:
    job = process_engine.jobs.selftest(boss, steps=200)
    _wait_for(lambda: process_engine.jobs.get(boss, job.id).progress > 0)
    with process_engine.db.session() as session:
        pid = job_repo.process_of(session, job.id)[0]
    cancelled = process_engine.jobs.cancel(boss, job.id)
    assert cancelled.status == "canceled"
    assert pid is not None
    if OUT_OF_PROCESS == "ray":
        return  # Ray keeps its worker warm for the next job (test_ray.py: a forced cancel ends it)
    _wait_for(
        lambda: (
            subprocess.run(["ps", "-p", str(pid), "-o", "stat="], capture_output=True, text=True).stdout.strip()
            in ("", "Z")
        )
    )


def test_cancel_while_the_worker_starts_is_a_cancel_not_a_crash(process_engine: Engine, boss: Actor) -> None:
    """SIGTERM reaching a worker before its handler is set ends it with -15: still a cancel, not a failure."""
    job = process_engine.jobs.selftest(boss, steps=50)
    process_engine.jobs.cancel(boss, job.id)  # the child is still importing: the default SIGTERM action kills it
    time.sleep(1.0)  # let the watcher thread see the exit code
    done = process_engine.jobs.wait(boss, job.id, timeout=60)
    assert (done.status, done.error) == ("canceled", "The job was cancelled.")


def test_worker_killed_after_ignoring_sigterm_is_cancelled(process_engine: Engine, boss: Actor) -> None:
    """A worker stuck past the grace period gets SIGKILL from the engine; that too is the user's cancel."""
    process_engine.runner.grace_s = 0.2  # type: ignore[attr-defined]
    job = process_engine.jobs.selftest(boss, steps=200, outcome="hang")
    _wait_for(lambda: process_engine.jobs.get(boss, job.id).progress > 0)
    process_engine.jobs.cancel(boss, job.id)
    time.sleep(1.0)
    done = process_engine.jobs.wait(boss, job.id, timeout=60)
    assert (done.status, done.error) == ("canceled", "The job was cancelled.")


def test_second_job_waits_queued_while_the_slot_is_taken(process_engine: Engine, boss: Actor) -> None:
    assert process_engine.settings.max_jobs == 1
    first = process_engine.jobs.selftest(boss, steps=100)
    _wait_for(lambda: process_engine.jobs.get(boss, first.id).status == "running")
    second = process_engine.jobs.selftest(boss, steps=1)
    time.sleep(1.5)
    assert process_engine.jobs.get(boss, second.id).status == "queued"
    process_engine.jobs.cancel(boss, first.id)
    assert process_engine.jobs.wait(boss, second.id, timeout=60).status == "succeeded"


def orphan_job(engine: Engine, owner: Actor, host: str) -> Job:
    """A running job whose recorded process (on ``host``) has ended, as a restart finds it."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with engine.db.session() as session:
        job = job_repo.create_job(
            session, tenant_id=owner.tenant_id, owner_id=owner.user_id, kind="selftest", title="orphan", params={}
        )
        job_repo.claim_slot(session, job.id, max_running=10, tenant_share=10)
        job_repo.set_process(session, job.id, pid=dead.pid, host=host)
    return job


def test_running_job_whose_process_is_gone_becomes_interrupted_on_restart(process_engine: Engine, boss: Actor) -> None:
    job = orphan_job(process_engine, boss, __import__("socket").gethostname())
    restarted = Engine.open(home=process_engine.settings.home, runner="process")
    orphan = restarted.jobs.get(boss, job.id)
    assert orphan.status == "interrupted" and "interrupted" in (orphan.error or "")


def test_jobs_of_another_tenant_are_not_found(engine: Engine, admin: Actor, outsider: Actor) -> None:
    job = engine.jobs.selftest(admin, steps=1)
    assert job.status == "succeeded"  # inline runner: finished on return
    with pytest.raises(NotFound):
        engine.jobs.get(outsider, job.id)
    with pytest.raises(NotFound):
        engine.jobs.cancel(outsider, job.id)
    assert engine.jobs.list(outsider) == []


def test_only_owner_or_admin_cancels(engine: Engine, admin: Actor, viewer: Actor) -> None:
    job = engine.jobs.selftest(admin, steps=1)
    with pytest.raises(PermissionDenied, match="owner"):
        engine.jobs.cancel(viewer, job.id)


@pytest.mark.parametrize("kind", [k for k, task in TASKS.items() if task.permission not in BUILTIN_ROLES["viewer"]])
def test_viewer_cannot_submit_work_jobs_directly_by_kind(
    engine: Engine, admin: Actor, viewer: Actor, kind: str
) -> None:
    with pytest.raises(PermissionDenied, match="does not allow you to"):
        engine.jobs.submit(viewer, kind, "sneaky", {"dataset_id": "x", "model_id": "x", "sample_id": "x"})
    assert engine.jobs.list(admin) == []


def test_every_job_kind_names_a_known_permission() -> None:
    assert {task.permission for task in TASKS.values()} <= set(PERMISSIONS)


def test_unexpected_task_error_keeps_no_traceback_in_the_job(engine: Engine, admin: Actor) -> None:
    job = engine.jobs.submit(admin, "selftest", "Broken self-test", {"steps": None})  # int(None) fails
    assert job.status == "failed" and "TypeError" in (job.error or "")
    assert job.error_details and "server log" in job.error_details and job.id in job.error_details
    assert "Traceback" not in job.error_details and 'File "' not in job.error_details


def test_the_database_refuses_a_status_outside_jobstatus(engine: Engine, admin: Actor) -> None:
    job = engine.jobs.selftest(admin, steps=1)
    assert job.status is JobStatus.SUCCEEDED and job.finished
    with pytest.raises(Conflict), engine.db.session() as session:
        session.execute(update(JobRow).where(JobRow.id == job.id).values(status="done"))
    assert engine.jobs.get(admin, job.id).status is JobStatus.SUCCEEDED


def test_a_title_longer_than_its_column_is_shortened_on_every_database(engine: Engine, admin: Actor) -> None:
    job = engine.jobs.submit(admin, "selftest", "T" * 250, {"steps": 1, "outcome": "succeed"})
    assert job.status is JobStatus.SUCCEEDED and engine.jobs.get(admin, job.id).title == "T" * 200


def test_every_job_kind_belongs_to_a_family() -> None:
    assert {kind: job_family(kind) for kind in TASKS if job_family(kind) not in JOB_FAMILIES} == {}


def test_jobs_are_listed_by_status_and_kind_a_page_at_a_time(engine: Engine, admin: Actor, outsider: Actor) -> None:
    done = [engine.jobs.selftest(admin, steps=1) for _ in range(3)]
    failed = engine.jobs.selftest(admin, steps=1, outcome="fail")
    assert [j.id for j in engine.jobs.list(admin, statuses=["failed"])] == [failed.id]
    every = [j.id for j in engine.jobs.list(admin, ["selftest"], statuses=["succeeded", "failed"])]
    assert set(every) == {failed.id, *(j.id for j in done)}
    pages = [j.id for offset in range(4) for j in engine.jobs.list(admin, limit=1, offset=offset)]
    assert pages == every  # newest first, no job twice
    assert engine.jobs.list(admin, ["batch_predict"]) == [] and engine.jobs.list(outsider) == []


def test_terminate_stops_only_a_job_of_the_family_it_names(engine: Engine, admin: Actor, outsider: Actor) -> None:
    job = engine.jobs.selftest(admin, steps=1)
    with pytest.raises(InvalidInput, match="is a selftest job, not training") as refused:
        engine.jobs.terminate(admin, job.id, "training")
    assert refused.value.problems[0].field == "usage"
    with pytest.raises(InvalidInput, match="Unknown usage 'ray'"):
        engine.jobs.terminate(admin, job.id, "ray")
    with pytest.raises(NotFound):
        engine.jobs.terminate(outsider, job.id, "selftest")
    assert engine.jobs.terminate(admin, job.id, "selftest").status == "succeeded"  # finished: left as it was
