"""The predictions log (eng.predictions): paging, a prediction followed by its id, outcomes from a labelled
dataset matched by the model's id column (forecasts: series and time); forecasts from newer history and the
frequency check (eng.forecasts)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from types import SimpleNamespace

import pandas as pd
import pytest

from core import Engine, InvalidInput, NotFound, PermissionDenied
from core.entities import TrainRequest
from core.services import outcomes
from core.services.predictions import LOG_COLUMNS, _row
from tests.conftest import ADMIN_PASSWORD, make_user
from tests.prediction_data import csv, customers, monthly


def _model(job) -> str:  # type: ignore[no-untyped-def]
    assert job.status == "succeeded" and job.result, job.error
    return str(job.result["model_id"])


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """One workspace, three tiny models: a classifier with an id column, a regressor without, a forecaster."""
    eng = Engine.open(home=tmp_path_factory.mktemp("log") / "workspace", runner="inline")
    admin = eng.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
    viewer = make_user(eng, admin, "vic", "viewer")
    eng.tenants.create(
        admin, name="Other Org", admin_username="otto", admin_password=ADMIN_PASSWORD, admin_email="o@example.com"
    )
    train = eng.datasets.upload(admin, name="customers", filename="c.csv", data=csv(customers()))
    sales = eng.datasets.upload(admin, name="sales", filename="s.csv", data=csv(monthly(36)))
    fit = {"time_budget_s": 1, "explain": False, "features": ("x", "c")}
    clf = TrainRequest(dataset_id=train.id, name="churn", target="label", id_column="cid", **fit)  # type: ignore[arg-type]
    reg = TrainRequest(dataset_id=train.id, name="spend", target="amount", **fit)  # type: ignore[arg-type]
    fc = TrainRequest(
        dataset_id=sales.id, name="sales", target="sales", problem_type="forecast", time_column="month", horizon=3
    )
    models = [_model(eng.training.submit(admin, request)) for request in (clf, reg, fc)]
    yield SimpleNamespace(
        eng=eng,
        admin=admin,
        viewer=viewer,
        outsider=eng.users.authenticate("otto", ADMIN_PASSWORD),
        clf=models[0],
        reg=models[1],
        fc=models[2],
    )
    eng.close()


def _upload(w: SimpleNamespace, name: str, frame: pd.DataFrame) -> str:
    return w.eng.datasets.upload(w.admin, name=name, filename=f"{name}.csv", data=csv(frame)).id


def test_as_text_makes_whole_floats_and_integers_the_same_key() -> None:
    floats = outcomes.as_text(pd.DataFrame({"k": [17.0, 3.0, None], "v": ["=x", "a", "b"]}))
    ints = outcomes.as_text(pd.DataFrame({"k": [17, 3, 4], "v": ["=x", "a", "b"]}))
    assert list(floats["k"][:2]) == list(ints["k"][:2]) == ["17", "3"] and pd.isna(floats["k"][2])
    assert floats["v"][0] == ints["v"][0] == "'=x"  # guarded as the result CSVs guard it


def test_form_and_batch_predictions_get_their_accuracy_from_a_later_labelled_dataset(w) -> None:
    eng, admin = w.eng, w.admin
    new = customers(40, seed=7, start=1000)
    with_id = eng.inference.predict_one(admin, w.clf, {"cid": "C1000", "x": float(new.x[0]), "c": new.c[0]})
    without_id = eng.inference.predict_one(admin, w.clf, {"x": 0.1, "c": "a"})
    scoring = _upload(w, "to-score", new.drop(columns=["label", "amount"]))
    batch = eng.inference.predict_batch(admin, w.clf, dataset_id=scoring)
    scored = eng.inference.batch_result(admin, batch.id)
    truth = new.assign(label=new.label.where(new.index % 4 != 0, "unknown"))  # every fourth label differs
    expected = (scored.set_index("cid")["prediction"] == truth.set_index("cid")["label"]).mean()

    found = eng.predictions.evaluate(admin, w.clf, _upload(w, "truth", truth[["cid", "label"]]))

    assert (found.key, found.metric, found.rows, found.entries) == (("cid",), "accuracy", 41, 2)
    assert found.unmatched >= 1  # the form prediction given no id
    entries = {e.id: e for e in eng.predictions.list(admin, model_id=w.clf)}
    batch_entry = next(e for e in entries.values() if e.job_id == batch.id)
    assert batch_entry.outcome is not None and batch_entry.outcome.rows == 40
    assert batch_entry.outcome.value == pytest.approx(expected)
    form = entries[with_id.log_id]
    assert form.inputs is not None and form.inputs["cid"] == "C1000" and form.outcome is not None
    assert form.outcome.value == float(with_id.prediction == truth.label[0])
    assert entries[without_id.log_id].outcome is None and "cid" not in (entries[without_id.log_id].inputs or {})
    assert (batch_entry.problem_type, batch_entry.domain) == ("classification", None)  # trained without a domain

    elsewhere = _upload(w, "unrelated", pd.DataFrame({"cid": ["Z1"], "label": ["yes"]}))
    assert eng.predictions.evaluate(admin, w.clf, elsewhere).entries == 0
    assert eng.predictions.result(admin, batch.id).record.outcome == batch_entry.outcome  # kept


def test_evaluate_refuses_what_cannot_be_matched(w) -> None:
    eng, admin = w.eng, w.admin
    labels = _upload(w, "labels-only", pd.DataFrame({"cid": ["C1"], "amount": [1.0], "label": ["no"]}))
    with pytest.raises(InvalidInput, match="no id column"):
        eng.predictions.evaluate(admin, w.reg, labels)
    no_target = _upload(w, "ids-only", pd.DataFrame({"cid": ["C1"], "x": [1.0]}))
    with pytest.raises(InvalidInput, match="lacks 'label'") as refused:
        eng.predictions.evaluate(admin, w.clf, no_target)
    assert [p.field for p in refused.value.problems] == ["label"]
    with pytest.raises(PermissionDenied):
        eng.predictions.evaluate(w.viewer, w.clf, labels)
    with pytest.raises(NotFound):
        eng.predictions.evaluate(w.outsider, w.clf, labels)
    with pytest.raises(NotFound):
        eng.predictions.evaluate(admin, w.clf, "00000000-0000-0000-0000-000000000000")


def test_forecast_outcome_is_the_mean_absolute_error_of_the_periods_observed_later(w) -> None:
    eng, admin = w.eng, w.admin
    frame = eng.forecasts.forecast(admin, w.fc, steps=3)
    actual = monthly(3, offset=36)
    found = eng.predictions.evaluate(admin, w.fc, _upload(w, "actuals", actual))
    assert (found.key, found.metric, found.rows) == (("month",), "mae", 3)
    entry = next(
        e for e in eng.predictions.list(admin, model_id=w.fc, kind="forecast") if e.id == frame.attrs["log_id"]
    )
    assert entry.outcome is not None
    assert entry.outcome.value == pytest.approx((frame["forecast"] - actual["sales"].to_numpy()).abs().mean())


def test_a_forecast_starts_from_newer_history_without_retraining(w) -> None:
    eng, admin = w.eng, w.admin
    newer = _upload(w, "sales-later", monthly(12, offset=30))  # overlaps the training data, then 6 months more
    frame = eng.forecasts.forecast(admin, w.fc, steps=2, history_dataset_id=newer, frequency="Month")
    assert list(frame["ds"].dt.strftime("%Y-%m")) == ["2018-07", "2018-08"]  # after the newer history's end
    job = eng.forecasts.submit(admin, w.fc, steps=2, history_dataset_id=newer)
    assert eng.forecasts.result(admin, job.id)["forecast"].tolist() == pytest.approx(frame["forecast"].tolist())
    logged = eng.predictions.result(admin, job.id)
    assert (logged.kind, logged.dataset_id, logged.rows) == ("forecast", newer, 2)

    with pytest.raises(InvalidInput, match="would have gaps"):
        eng.forecasts.forecast(admin, w.fc, steps=2, history_dataset_id=_upload(w, "gap", monthly(3, offset=40)))
    with pytest.raises(InvalidInput, match=r"no observation .* after the training data"):
        eng.forecasts.forecast(admin, w.fc, steps=2, history_dataset_id=_upload(w, "old", monthly(6)))
    with pytest.raises(NotFound):
        eng.forecasts.forecast(w.outsider, w.fc, steps=2)


@pytest.mark.parametrize("frequency", ["MS", "Month", "monthly", "ME", "1 month"])
def test_any_spelling_of_the_models_frequency_is_accepted(w, frequency: str) -> None:
    assert len(w.eng.forecasts.forecast(w.admin, w.fc, steps=1, frequency=frequency)) == 1


@pytest.mark.parametrize(("frequency", "message"), [("Week", "one month per step"), ("fortnightly", "Unknown")])
def test_another_frequency_is_refused_in_one_sentence(w, frequency: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as refused:
        w.eng.forecasts.submit(w.admin, w.fc, steps=1, frequency=frequency)
    assert refused.value.problems[0].field == "frequency"


def test_result_follows_a_batch_by_job_or_log_id_and_nothing_else(w) -> None:
    eng, admin = w.eng, w.admin
    rows = customers(5, seed=3).drop(columns=["label", "amount"])
    job = eng.inference.predict_batch(admin, w.clf, data=io.BytesIO(csv(rows)), filename="five.csv")
    by_job = eng.predictions.result(admin, job.id)
    assert (by_job.kind, by_job.status, by_job.rows, by_job.dataset_id) == ("batch", "succeeded", 5, None)
    assert by_job.file_id == job.result["file_id"] and by_job.summary and by_job.summary["kind"] == "classes"
    assert by_job.record is not None
    by_log = eng.predictions.result(admin, by_job.record.id)
    assert (by_log.job_id, by_log.file_id) == (job.id, by_job.file_id)
    form = eng.inference.predict_one(admin, w.clf, {"x": 0.2, "c": "b"})
    assert eng.predictions.result(w.viewer, form.log_id).summary["prediction"] == form.prediction  # type: ignore[index]
    for other in (eng.jobs.selftest(admin, steps=1).id, "nope"):
        with pytest.raises(NotFound):
            eng.predictions.result(admin, other)
    with pytest.raises(NotFound):
        eng.predictions.result(w.outsider, job.id)


def test_the_log_pages_counts_and_filters_by_kind(w) -> None:
    eng, admin = w.eng, w.admin
    for value in (0.1, 0.2, 0.3):
        eng.inference.predict_one(admin, w.clf, {"x": value, "c": "a"})
    forms = eng.predictions.list(admin, model_id=w.clf, kind="form")
    assert eng.predictions.count(admin, model_id=w.clf, kind="form") == len(forms) >= 3
    pages = [eng.predictions.list(admin, model_id=w.clf, kind="form", offset=i, limit=1)[0].id for i in range(3)]
    assert pages == [e.id for e in forms[:3]]
    assert eng.predictions.count(w.outsider) == 0 and eng.predictions.list(w.outsider) == []
    table = eng.inference.log(admin)
    assert set(table["problem_type"]) >= {"classification", "forecast"}
    assert list(table.columns) == LOG_COLUMNS and set(_row(forms[0])) == set(LOG_COLUMNS)  # every column filled
