"""What one action costs: a Train click (the check the page runs on render, then submit and the inline job)
opens at most 10 database sessions and reads each Parquet file once (issue 12)."""

from __future__ import annotations

import pytest

from core import Actor, Engine, TrainRequest
from tests.counting import counting


def test_a_train_click_opens_few_sessions_and_reads_the_data_once(
    engine: Engine, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    [iris] = [d for d in engine.datasets.load_samples(admin) if d.name == "iris"]
    request = TrainRequest(dataset_id=iris.id, name="flowers", target="species", time_budget_s=2)
    with counting(monkeypatch) as counts:
        engine.training.check(admin, request)
        job = engine.training.submit(admin, request)
    assert job.status == "succeeded", job.error_details
    print("sessions", counts.sessions, "parquet", dict(counts.parquet))
    assert counts.sessions <= 10
    assert set(counts.parquet.values()) == {1}
