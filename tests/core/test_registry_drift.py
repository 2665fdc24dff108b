"""Drift checks through the engine: on demand against an uploaded file or a dataset, automatically every N
operations of a deployment when the model's drift setting is on; stored and listed over time."""

from __future__ import annotations

import pytest

from core import Actor, Conflict, DriftCheck, Engine, InvalidInput, Job, JobStatus
from tests.core.registry_support import diabetes, diabetes_csv, ridge_skops, train_tiny


def _shifted_csv(column: str = "bmi", rows: int = 300) -> bytes:
    X, _ = diabetes()
    current = X.head(rows).copy()
    current[column] += X[column].std()  # one σ
    return current.to_csv(index=False).encode()


def _check(engine: Engine, actor: Actor, job: Job) -> DriftCheck:
    assert job.result is not None, job.error
    return engine.drift.get(actor, job.result["drift_check_id"])


def _ridge(engine: Engine, actor: Actor, drift: dict[str, object] | None = None) -> str:
    model = engine.registry.register(actor, "Ridge", "regression", {"drift": drift or {}})
    engine.registry.upload(actor, model.id, "model", "ridge.skops", ridge_skops())
    engine.registry.upload(actor, model.id, "data", "train.csv", diabetes_csv())
    return model.id


def test_a_shifted_upload_is_flagged_in_that_column_only(engine: Engine, analyst: Actor) -> None:
    model_id = _ridge(engine, analyst)
    job = engine.drift.check(analyst, model_id=model_id, filename="shifted.csv", data=_shifted_csv())
    check = _check(engine, analyst, job)
    assert check.drifted_columns == ["bmi"]
    assert (check.source, check.reference, check.reference_rows, check.current_rows) == (
        "file",
        "data artifact",
        442,
        300,
    )
    assert check.prediction is not None and check.prediction["drifted"]  # bmi moves the predictions too
    bmi = next(c for c in check.columns if c["column"] == "bmi")["histogram"]
    assert len(bmi["labels"]) == 20 and sum(bmi["reference"]) == pytest.approx(1.0)
    frame = check.frame()
    assert list(frame["column"])[-1] == "prediction" and {"test", "statistic", "threshold"} <= set(frame.columns)
    same = engine.drift.check(analyst, model_id=model_id, filename="same.csv", data=diabetes_csv())
    unchanged = _check(engine, analyst, same)
    assert unchanged.drifted_columns == []
    assert [c.id for c in engine.drift.checks(analyst, model_id=model_id)] == [unchanged.id, check.id]


def test_drift_runs_by_itself_every_n_operations_when_on(engine: Engine, analyst: Actor) -> None:
    watched = _ridge(engine, analyst, {"enabled": True, "method": 1, "every": 2, "window": 100})
    deployment = engine.deployments.create(analyst, watched, owner="agent-1")
    X, _ = diabetes()
    shifted = X.head(120).assign(s5=X["s5"].head(120) + 2 * X["s5"].std())
    for start in (0, 40, 80):
        engine.deployments.predict(analyst, deployment.id, shifted.iloc[start : start + 40].to_dict("records"))
    [check] = engine.drift.checks(analyst, deployment_id=deployment.id)
    assert (check.source, check.current_rows, check.rule["small_sample"]) == ("operations", 80, 10_000_000)
    assert "s5" in check.drifted_columns
    [job] = engine.jobs.list(analyst, kinds=["drift_check"])
    assert job.title.endswith("(automatic)")
    on_demand = engine.drift.check(analyst, deployment_id=deployment.id, window=40)
    assert _check(engine, analyst, on_demand).current_rows == 40


def test_no_automatic_check_when_the_setting_is_off_or_inputs_are_not_kept(engine: Engine, analyst: Actor) -> None:
    model_id = _ridge(engine, analyst, {"enabled": False, "every": 1})
    quiet = engine.deployments.create(analyst, model_id, inference_data=False)
    X, _ = diabetes()
    for n in range(3):
        engine.deployments.predict(analyst, quiet.id, X.iloc[n].to_dict())
    engine.registry.update(analyst, model_id, {"drift": {"enabled": True}})
    engine.deployments.predict(analyst, quiet.id, X.iloc[0].to_dict())
    assert engine.drift.checks(analyst) == [] and engine.jobs.list(analyst, kinds=["drift_check"]) == []
    failed = engine.drift.check(analyst, deployment_id=quiet.id)
    assert failed.status == JobStatus.FAILED and "no recorded input rows" in (failed.error or "")


def test_a_trained_model_is_compared_with_its_training_data(engine: Engine, analyst: Actor) -> None:
    model_id = train_tiny(engine, analyst)
    registered = engine.registry.version(analyst, model_id).model_id
    rows = "a,b,c\n" + "".join(f"{n + 100},x,p\n" for n in range(40))
    dataset = engine.datasets.upload(analyst, name="later", filename="later.csv", data=rows.encode())
    job = engine.drift.check(analyst, model_id=registered, dataset_id=dataset.id)
    check = _check(engine, analyst, job)
    assert (check.reference, check.source) == ("training data", "dataset")
    assert set(check.drifted_columns) == {"a", "b"}


def test_drift_needs_a_reference_and_something_to_compare(engine: Engine, analyst: Actor) -> None:
    bare = engine.registry.register(analyst, "Bare", "regression")
    engine.registry.upload(analyst, bare.id, "model", "ridge.skops", ridge_skops())
    with pytest.raises(Conflict, match="data artifact"):
        engine.drift.check(analyst, model_id=bare.id, filename="x.csv", data=diabetes_csv(50))
    with pytest.raises(InvalidInput, match="dataset or a file"):
        engine.drift.check(analyst, model_id=_ridge(engine, analyst))
    with pytest.raises(InvalidInput):
        engine.drift.check(analyst)
