"""Links between rows are tables with foreign keys: deleting a dataset while a training is being queued for it
never leaves a model without its dataset, whichever wins (run concurrently, many times, on SQLite and Postgres)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import func, select

from core import Actor, CoreError, Engine, TrainRequest
from core.storage.orm import DatasetRow, FileRow, ModelDatasetRow, ModelFileRow

ROUNDS = 16
STEP_S = 0.04  # the delete starts 0, 40, 80 … ms after the submit: before, during and after its checks
ROWS = b"x,y\n" + b"".join(f"{i},{'ab'[i % 2]}\n".encode() for i in range(30))


def _together(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released at the same moment; each result or the exception it raised."""
    start, results = threading.Barrier(len(calls)), list[Any]([None] * len(calls))

    def run(index: int, call: Callable[[], Any]) -> None:
        start.wait()
        try:
            results[index] = call()
        except Exception as exc:  # the outcome under test
            results[index] = exc

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


def _delete_after(engine: Engine, admin: Actor, dataset_id: str, delay: float, cascade: bool) -> None:
    """Delete the dataset ``delay`` seconds in, so the rounds hit every moment of the submit."""
    time.sleep(delay)
    engine.datasets.delete(admin, dataset_id, cascade=cascade)


def _dangling(engine: Engine) -> int:
    """Model links to datasets or files that no longer exist (the foreign keys should make this 0)."""
    with engine.db.session() as session:
        datasets = (
            select(func.count())
            .select_from(ModelDatasetRow)
            .where(~ModelDatasetRow.dataset_id.in_(select(DatasetRow.id)))
        )
        files = select(func.count()).select_from(ModelFileRow).where(~ModelFileRow.file_id.in_(select(FileRow.id)))
        return int(session.scalar(datasets) or 0) + int(session.scalar(files) or 0)


def test_deleting_a_dataset_while_a_training_is_queued_never_leaves_a_model_without_it(
    engine: Engine, admin: Actor
) -> None:
    outcomes: list[str] = []
    for round_ in range(ROUNDS):
        dataset = engine.datasets.upload(admin, name=f"race {round_}", filename="r.csv", data=ROWS)
        request = TrainRequest(dataset_id=dataset.id, name="race", target="y", time_budget_s=1, explain=False)
        deleted, trained = _together(
            partial(_delete_after, engine, admin, dataset.id, round_ * STEP_S, cascade=round_ % 2 == 1),
            partial(engine.training.submit, admin, request),
        )
        for outcome in (deleted, trained):  # a refusal is fine; anything else is a bug
            assert outcome is None or not isinstance(outcome, Exception) or isinstance(outcome, CoreError), outcome
        exists = dataset.id in {d.id for d in engine.datasets.list(admin)}
        assert isinstance(deleted, CoreError) == exists
        if not isinstance(trained, Exception):
            assert trained.finished, trained
        for model in engine.models.list(admin):
            for dataset_id in model.datasets:
                engine.datasets.get(admin, dataset_id)  # NotFound would be a model without its dataset
            assert engine.models.summary(admin, model.id).model.id == model.id
        assert _dangling(engine) == 0
        outcomes.append(f"delete: {type(deleted).__name__}, submit: {type(trained).__name__}")
    print("outcomes:", dict(Counter(outcomes)))
