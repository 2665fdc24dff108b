"""What one action costs, counted from real events (tests/counting.py): a Train click — the check the Train page
runs on render, then submit and the job (inline) — reads each Parquet file once and opens at most 10 database
sessions (issue 12) for a job of a few seconds: 5 for the work (check; submit; the job's claim, its model and its
end) and the job's heartbeat, one small transaction a second at most (progress and the cancel flag), which a
longer job (or a loaded machine) makes longer, so it is bounded by the job's time."""

from __future__ import annotations

import time

import pytest

from core import Actor, Engine, TrainRequest
from tests.counting import counting

CLICKS = {
    "classification": ("iris", dict(target="species", time_budget_s=2)),
    "forecast": ("air_passengers", dict(target="passengers", problem_type="forecast", time_column="month")),
}


@pytest.mark.parametrize("kind", list(CLICKS))
def test_a_train_click_opens_few_sessions_and_reads_the_data_once(
    engine: Engine, admin: Actor, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    name, fields = CLICKS[kind]
    [dataset] = [d for d in engine.datasets.load_samples(admin) if d.name == name]
    request = TrainRequest(dataset_id=dataset.id, name=f"{name} model", **fields)  # type: ignore[arg-type]
    with counting(monkeypatch) as counts:
        engine.training.check(admin, request)
        checked = counts.sessions
        started = time.perf_counter()
        job = engine.training.submit(admin, request)
        seconds = time.perf_counter() - started
    assert job.status == "succeeded", job.error_details
    print(
        f"{kind} Train click: {counts.sessions} sessions (check {checked}, submit + job {counts.sessions - checked} "
        f"in {seconds:.1f} s, {counts.heartbeats} of them heartbeats); Parquet reads {sorted(counts.parquet.values())}"
    )
    assert counts.sessions - counts.heartbeats <= 5
    assert counts.heartbeats <= seconds + 1
    assert list(counts.parquet.values()) == [1]  # the dataset's file, once
