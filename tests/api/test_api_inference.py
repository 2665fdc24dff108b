"""Seed 004 §9 over HTTP: one case with its explanation and its form, batches of a dataset or an upload (a job,
then the CSV by file id), forecasts with intervals from newer history, a prediction by id, the predictions log
with accuracy from a later labelled dataset; tenancy, roles and every error status."""

from __future__ import annotations

import io
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core import Engine
from core.entities import TrainRequest
from core.storage.repositories import jobs as job_repo
from tests.api.conftest import API, bearer, sign_in
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD, make_user
from tests.prediction_data import csv, customers, monthly

NOBODY = "00000000-0000-0000-0000-000000000000"


def _model(job: Any) -> str:
    assert job.status == "succeeded" and job.result, job.error
    return str(job.result["model_id"])


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """One workspace and client for the module: a classifier with an id column and a monthly forecaster."""
    eng = Engine.open(home=tmp_path_factory.mktemp("api-inference") / "workspace", runner="inline")
    admin = eng.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
    make_user(eng, admin, "ana", "analyst")
    make_user(eng, admin, "vic", "viewer")
    eng.tenants.create(
        admin, name="Other Org", admin_username="otto", admin_password=USER_PASSWORD, admin_email="o@example.com"
    )
    otto = eng.users.authenticate("otto", USER_PASSWORD)
    train = eng.datasets.upload(admin, name="customers", filename="c.csv", data=csv(customers()))
    sales = eng.datasets.upload(admin, name="sales", filename="s.csv", data=csv(monthly(36)))
    clf = eng.training.submit(
        admin,
        TrainRequest(
            dataset_id=train.id,
            name="churn",
            target="label",
            features=("x", "c"),
            id_column="cid",
            time_budget_s=1,
            domain="Churn",
        ),
    )
    fc = eng.training.submit(
        admin,
        TrainRequest(dataset_id=sales.id, name="sales", target="sales", problem_type="forecast", time_column="month"),
    )
    new = customers(30, seed=5, start=500)
    scoring = eng.datasets.upload(admin, name="to-score", filename="n.csv", data=csv(new.drop(columns="label")))
    with TestClient(create_app(eng), raise_server_exceptions=False) as client:
        yield SimpleNamespace(
            eng=eng,
            client=client,
            admin=bearer(sign_in(client, "admin", ADMIN_PASSWORD)),
            analyst=bearer(sign_in(client, "ana", USER_PASSWORD)),
            viewer=bearer(sign_in(client, "vic", USER_PASSWORD)),
            outsider=bearer(sign_in(client, "otto", USER_PASSWORD)),
            clf=_model(clf),
            clf_job=clf.id,
            fc=_model(fc),
            new=new,
            scoring=scoring.id,
            foreign_dataset=eng.datasets.upload(otto, name="theirs", filename="t.csv", data=csv(new)).id,
            later=eng.datasets.upload(admin, name="later", filename="l.csv", data=csv(monthly(6, offset=36))).id,
        )
    eng.close()


def post(w: SimpleNamespace, path: str, who: str = "analyst", **kwargs: Any) -> Any:
    return w.client.post(f"{API}/inference{path}", headers=getattr(w, who), **kwargs)


def get(w: SimpleNamespace, path: str, who: str = "analyst", **params: Any) -> Any:
    return w.client.get(f"{API}/inference{path}", headers=getattr(w, who), params=params)


def case(w: SimpleNamespace, row: int = 0) -> dict[str, Any]:
    return {"cid": w.new.cid[row], "x": float(w.new.x[row]), "c": w.new.c[row]}


def test_the_form_lists_the_inputs_with_types_and_defaults(w: SimpleNamespace) -> None:
    body = get(w, "/form-based-prediction", who="viewer", id=w.clf_job).json()  # by the training job's id
    assert (body["id"], body["model_id"], body["target"], body["id_column"]) == (w.clf_job, w.clf, "label", "cid")
    headers = {h["column_name"]: h for h in body["headers"]}
    assert list(headers) == ["x", "c"] and headers["c"]["kind"] == "categorical"
    assert set(headers["c"]["options"]) == {"a", "b"} and headers["x"]["default_source"] == "training median"
    assert get(w, "/form-based-prediction", id=NOBODY).status_code == 404
    assert get(w, "/form-based-prediction", who="outsider", id=w.clf).status_code == 404
    assert get(w, "/form-based-prediction").status_code == 422


@pytest.mark.parametrize("path", ["/", "/form-based-prediction"])
def test_one_case_with_its_explanation_adds_up_and_is_logged(w: SimpleNamespace, path: str) -> None:
    response = post(w, path, json={"train_id": w.clf, "features": case(w), "target": "label", "explain": True})
    assert response.status_code == 200, response.text
    body = response.json()
    explanation = body["explanation"]
    assert sum(body["probabilities"].values()) == pytest.approx(1.0)
    assert explanation["base_value"] + sum(explanation["contributions"].values()) == pytest.approx(
        explanation["model_output"], abs=1e-6
    )
    assert set(explanation["contributions"]) == {"x", "c"} and explanation["baseline"]
    logged = get(w, "/result", prediction_id=body["prediction_id"]).json()
    assert (logged["prediction_type"], logged["status"], logged["summary"]["prediction"]) == (
        "form",
        "succeeded",
        body["prediction"],
    )
    plain = post(w, path, json={"train_id": w.clf_job, "features": {"x": 9.0, "c": "z"}}).json()
    assert plain["explanation"] is None
    assert {(i["field"], i["problem"]) for i in plain["input_warnings"]} == {
        ("x", "above range"),
        ("c", "unseen category"),
    }


def test_one_case_refusals(w: SimpleNamespace) -> None:
    def status(who: str = "analyst", **body: Any) -> int:
        return int(post(w, "/", who=who, json={"train_id": w.clf, "features": case(w), **body}).status_code)

    assert status(who="viewer") == 403
    assert status(who="outsider") == 404
    assert status(train_id=NOBODY) == 404
    assert status(target="churned") == 422
    assert status(features={"x": "many"}) == 422  # the wrong type, and c missing
    assert status(features={"x": [1], "c": "a"}) == 422
    assert status(train_id=w.fc) == 422  # a forecaster scores no rows
    admin = w.eng.users.authenticate("admin", ADMIN_PASSWORD)
    with w.eng.db.session() as session:  # a training the queue holds: no model yet
        queued = job_repo.create_job(
            session, tenant_id=admin.tenant_id, owner_id=admin.user_id, kind="train_tabular", title="late", params={}
        )
    assert status(train_id=queued.id) == 409
    assert post(w, "/", json={"features": {}}).status_code == 422


def test_a_batch_of_a_dataset_is_a_job_whose_csv_matches_the_form(w: SimpleNamespace) -> None:
    response = post(w, "/batchPrediction", json={"train_id": w.clf, "dataset_id": w.scoring})
    assert response.status_code == 202, response.text
    submitted = response.json()
    assert submitted["prediction_id"] == submitted["job_id"] and submitted["job_status"] == "succeeded"
    result = get(w, "/result", prediction_id=submitted["job_id"]).json()
    assert (result["status"], result["dataset_id"], result["rows"], result["prediction_type"]) == (
        "succeeded",
        w.scoring,
        30,
        "batch",
    )
    assert sum(result["summary"]["counts"].values()) == 30 and result["log_id"]
    download = w.client.get(f"{API}/files/download/", params={"file_id": result["file_id"]}, headers=w.analyst)
    scored = pd.read_csv(io.BytesIO(download.content))
    assert list(scored["cid"]) == list(w.new.cid)
    one = post(w, "/", json={"train_id": w.clf, "features": case(w, 3)}).json()
    assert scored["prediction"][3] == one["prediction"]
    assert get(w, "/result", prediction_id=result["log_id"]).json()["job_id"] == submitted["job_id"]


def test_batch_refusals(w: SimpleNamespace) -> None:
    def status(who: str = "analyst", **body: Any) -> int:
        return int(
            post(w, "/batchPrediction", who=who, json={"train_id": w.clf, "dataset_id": w.scoring, **body}).status_code
        )

    assert status(who="viewer") == 403
    assert status(who="outsider") == 404
    assert status(dataset_id=w.foreign_dataset) == 404
    assert status(dataset_id=NOBODY) == 404
    assert status(dataset_id=w.later) == 422  # lacks the model's columns
    assert status(explain_top=4) == 422
    assert post(w, "/batchPrediction", json={"train_id": w.clf}).status_code == 422


def test_a_batch_of_an_uploaded_file(w: SimpleNamespace) -> None:
    rows = csv(w.new.head(4).drop(columns=["label", "amount"]))
    response = post(w, "/batchPrediction/upload", params={"train_id": w.clf}, files={"file": ("four.csv", rows)})
    assert response.status_code == 202, response.text
    result = get(w, "/result", prediction_id=response.json()["prediction_id"]).json()
    assert (result["rows"], result["dataset_id"], result["status"]) == (4, None, "succeeded")
    empty = post(w, "/batchPrediction/upload", params={"train_id": w.clf}, files={"file": ("e.csv", b"")})
    assert empty.status_code == 422
    viewer = post(
        w, "/batchPrediction/upload", who="viewer", params={"train_id": w.clf}, files={"file": ("f.csv", rows)}
    )
    assert viewer.status_code == 403


def test_a_forecast_with_intervals_from_newer_history(w: SimpleNamespace) -> None:
    body = {"train_id": w.fc, "steps": 3, "levels": [80, 95], "frequency": "Month", "unique_id": "sales"}
    response = post(w, "/forecast", json=body)
    assert response.status_code == 200, response.text
    forecast = response.json()
    assert (forecast["rows"], forecast["series"], forecast["frequency"], forecast["truncated"]) == (3, 1, "MS", False)
    first = forecast["forecast"][0]
    assert first["date"] == "2018-01-01" and [i["level"] for i in first["intervals"]] == [80, 95]
    narrow, wide = first["intervals"]
    assert wide["lower"] <= narrow["lower"] <= first["value"] <= narrow["upper"] <= wide["upper"]
    csv_file = w.client.get(f"{API}/files/download/", params={"file_id": forecast["file_id"]}, headers=w.analyst)
    assert len(pd.read_csv(io.BytesIO(csv_file.content))) == 3
    later = post(w, "/forecast", json={**body, "dataset_id": w.later}).json()
    assert later["forecast"][0]["date"] == "2018-07-01"  # after the newer history's last month
    logged = get(w, "/result", prediction_id=later["prediction_id"]).json()
    assert (logged["prediction_type"], logged["dataset_id"]) == ("forecast", w.later)


def test_forecast_refusals(w: SimpleNamespace) -> None:
    def status(who: str = "analyst", **body: Any) -> int:
        return int(post(w, "/forecast", who=who, json={"train_id": w.fc, "steps": 2, **body}).status_code)

    assert status(who="viewer") == 403
    assert status(who="outsider") == 404
    assert status(frequency="Week") == 422
    assert status(unique_id=["nope"]) == 422
    assert status(levels=[100]) == 422
    assert status(steps=0) == 422
    assert status(train_id=w.clf) == 422  # not a forecaster
    assert status(dataset_id=w.foreign_dataset) == 404
    assert status(dataset_id=w.scoring) == 422  # not the training data's columns


def test_the_log_pages_filters_and_shows_accuracy_once_true_values_are_known(w: SimpleNamespace) -> None:
    post(w, "/", json={"train_id": w.clf, "features": case(w, 1)})
    batch = post(w, "/batchPrediction", json={"train_id": w.clf, "dataset_id": w.scoring}).json()
    truth = w.eng.datasets.upload(
        w.eng.users.authenticate("ana", USER_PASSWORD),
        name="truth",
        filename="t.csv",
        data=csv(w.new[["cid", "label"]]),
    )
    evaluated = post(w, "/predictions/evaluate", json={"train_id": w.clf_job, "dataset_id": truth.id})
    assert evaluated.status_code == 200, evaluated.text
    found = evaluated.json()
    assert (found["metric"], found["key"]) == ("accuracy", ["cid"]) and found["entries"] >= 2 and found["rows"] >= 31

    page = get(w, "/predictions", who="viewer", train_id=w.clf, kind="batch", limit=1).json()
    assert page["total"] >= 1 and len(page["data"]) == 1 and page["limit"] == 1
    entry = page["data"][0]
    assert (entry["prediction_id"], entry["prediction_type"], entry["problem_type"]) == (
        get(w, "/result", prediction_id=batch["job_id"]).json()["log_id"],
        "batch",
        "classification",
    )
    assert entry["accuracy"] == entry["outcome"]["value"] and 0.5 < entry["accuracy"] <= 1.0
    assert (entry["outcome"]["rows"], entry["input_data"], entry["domain_name"]) == (
        30,
        f"dataset_id:{w.scoring}",
        "Churn",
    )
    second = get(w, "/predictions", train_id=w.clf, kind="batch", limit=1, skip=1).json()["data"]
    assert not second or second[0]["prediction_id"] != entry["prediction_id"]
    assert get(w, "/predictions", user="nobody").json()["total"] == 0
    assert get(w, "/predictions", date_to="2000-01-01").json()["total"] == 0
    assert get(w, "/predictions", who="outsider").json()["total"] == 0
    assert get(w, "/predictions", who="outsider", train_id=w.clf).status_code == 404
    assert get(w, "/predictions", kind="guess").status_code == 422
    assert get(w, "/predictions", limit=0).status_code == 422


def test_evaluate_and_result_refusals(w: SimpleNamespace) -> None:
    def status(who: str = "analyst", **body: Any) -> int:
        payload = {"train_id": w.clf, "dataset_id": w.scoring, **body}
        return int(post(w, "/predictions/evaluate", who=who, json=payload).status_code)

    assert status(who="viewer") == 403
    assert status(who="outsider") == 404
    assert status(dataset_id=w.foreign_dataset) == 404
    assert status() == 422  # the scoring rows have no label
    selftest = w.eng.jobs.selftest(w.eng.users.authenticate("ana", USER_PASSWORD), steps=1)
    assert get(w, "/result", prediction_id=selftest.id).status_code == 404  # a job, but not a prediction
    assert get(w, "/result", prediction_id=NOBODY).status_code == 404
    assert get(w, "/result").status_code == 422
    batch = post(w, "/batchPrediction", json={"train_id": w.clf, "dataset_id": w.scoring}).json()
    assert get(w, "/result", who="outsider", prediction_id=batch["job_id"]).status_code == 404
