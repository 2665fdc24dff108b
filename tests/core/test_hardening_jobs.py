"""Job parameters are bounded by the engine, and one tenant cannot take every job slot."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from core import Actor, Engine, InvalidInput
from core.jobs.tasks import TASKS
from core.storage.repositories import jobs as job_repo


def test_a_viewer_cannot_start_an_endless_selftest(engine: Engine, viewer: Actor) -> None:
    with pytest.raises(InvalidInput, match="'steps' must be between 1 and 200"):
        engine.jobs.selftest(viewer, steps=10**6)
    with pytest.raises(InvalidInput, match="'step_seconds' must be between"):
        engine.jobs.submit(viewer, "selftest", "slow", {"steps": 1, "step_seconds": 3600})


@pytest.mark.parametrize("kind", sorted(TASKS))
def test_every_number_of_every_job_kind_is_bounded_before_anything_is_queued(
    engine: Engine, admin: Actor, kind: str
) -> None:
    """Submitting by kind (as a script or the API can) meets the same bounds as the services' own checks:
    out of range, not finite, a number in a string (the task would int() it) or an undeclared number."""
    for key, (low, high) in TASKS[kind].limits.items():
        for bad in (high + 1, low - 1, float("nan"), float("inf"), str(high * 1000), f"{high:g}", [low, high + 1]):
            with pytest.raises(InvalidInput, match=f"{key!r} must be"):
                engine.jobs.submit(admin, kind, "t", {key: bad})
    with pytest.raises(InvalidInput, match="'n_jobs' must be left out"):
        engine.jobs.submit(admin, kind, "t", {"n_jobs": 64})
    assert engine.jobs.list(admin, kinds=[kind]) == []


def test_every_number_a_job_takes_is_declared_and_bounded(engine: Engine, admin: Actor) -> None:
    request = {"dataset_id": "x", "name": "m", "target": "y", "time_budget_s": 10**9}
    with pytest.raises(InvalidInput, match="'time_budget_s' must be between 1 and 3600"):
        engine.jobs.submit(admin, "train_tabular", "huge", request)
    with pytest.raises(InvalidInput, match="'levels' must be between 1 and 99"):
        engine.jobs.submit(admin, "forecast", "f", {"model_id": "m", "steps": 3, "levels": [80, 1000]})
    with pytest.raises(InvalidInput, match="'n_jobs' must be left out: it is not a parameter"):
        engine.jobs.submit(admin, "selftest", "x", {"steps": 1, "n_jobs": 64})


def test_one_tenant_cannot_fill_every_slot(engine: Engine, admin: Actor, outsider: Actor) -> None:
    def queued(actor: Actor) -> str:
        with engine.db.session() as session:
            job = job_repo.create_job(
                session, tenant_id=actor.tenant_id, owner_id=actor.user_id, kind="selftest", title="t", params={}
            )
        return job.id

    def claim(job_id: str) -> bool:
        with engine.db.session() as session:
            return job_repo.claim_slot(session, job_id, max_running=4, tenant_share=2)

    ours = [queued(admin) for _ in range(4)]
    assert [claim(j) for j in ours] == [True, True, False, False]  # the tenant's share is 2 of 4 slots
    theirs = [queued(outsider) for _ in range(3)]
    assert [claim(j) for j in theirs] == [True, True, False]  # the others are for other tenants


@pytest.mark.parametrize(("slots", "share"), [(1, 1), (2, 1), (3, 2), (4, 2), (8, 4)])
def test_the_default_share_leaves_a_slot_for_another_tenant(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, slots: int, share: int
) -> None:
    monkeypatch.setenv("DATAML_MAX_JOBS", str(slots))
    opened = Engine.open(home=engine.settings.home, runner="inline")
    assert opened.settings.tenant_job_share == share
    opened.close()


def test_parallel_claims_never_exceed_the_slots_or_the_tenant_share(engine: Engine, admin: Actor) -> None:
    """Workers of one tenant claiming at once (each its own transaction): only the tenant's share runs."""
    jobs = []
    for _ in range(8):
        with engine.db.session() as session:
            fields: dict[str, Any] = {"kind": "selftest", "title": "t", "params": {}}
            jobs.append(job_repo.create_job(session, tenant_id=admin.tenant_id, owner_id=admin.user_id, **fields).id)

    def claim(job_id: str) -> bool:
        with engine.db.session() as session:
            return job_repo.claim_slot(session, job_id, max_running=4, tenant_share=3)

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(claim, jobs)) == 3
