"""Job parameters are bounded by the engine, and one tenant cannot take every job slot."""

from __future__ import annotations

import pytest

from core import Actor, Engine, InvalidInput
from core.storage.repositories import jobs as job_repo


def test_a_viewer_cannot_start_an_endless_selftest(engine: Engine, viewer: Actor) -> None:
    with pytest.raises(InvalidInput, match="'steps' must be between 1 and 200"):
        engine.jobs.selftest(viewer, steps=10**6)
    with pytest.raises(InvalidInput, match="'step_seconds' must be between"):
        engine.jobs.submit(viewer, "selftest", "slow", {"steps": 1, "step_seconds": 3600})


def test_every_number_a_job_takes_is_declared_and_bounded(engine: Engine, admin: Actor) -> None:
    request = {"dataset_id": "x", "name": "m", "target": "y", "time_budget_s": 10**9}
    with pytest.raises(InvalidInput, match="'time_budget_s' must be between 1 and 3600"):
        engine.jobs.submit(admin, "train_tabular", "huge", request)
    with pytest.raises(InvalidInput, match="'levels' must be between 1 and 99"):
        engine.jobs.submit(admin, "forecast", "f", {"model_id": "m", "steps": 3, "levels": [80, 1000]})
    with pytest.raises(InvalidInput, match="'n_jobs' must be not a parameter"):
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
