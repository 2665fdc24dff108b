"""Seed 004 §8: training over HTTP — submit in the seed's shape, check first, list with states and filters, result,
update, delete, schema, summary with precision and recall, SHAP importance as a job; every error status, tenancy
and roles. One workspace per module (inline jobs), two trainings of a second each."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core import TrainRequest
from core.storage.repositories import jobs as job_repo
from tests.api.conftest import API, bearer, sign_in
from tests.conftest import USER_PASSWORD
from tests.core.test_model_labels import customers_workspace
from tests.core.test_training_service import csv

MISSING = "00000000-0000-0000-0000-000000000000"
Headers = dict[str, str]


def seed_body(dataset_id: str, **changes: Any) -> dict[str, Any]:
    """Seed §8.1's sample request, on our customers table, with a small budget."""
    body = {
        "dataset_id": dataset_id,
        "predictor_name": "churn_v1",
        "domain": "Churn",
        "problem_type": "Classification",
        "columns": [
            {"column_name": "customer", "data_type": "String", "attribute_name": "Id"},
            {"column_name": "churn", "data_type": "Boolean", "attribute_name": "Target"},
        ],
        "shap_enabled": False,
        "algorithm": "Linear",
        "time_budget_s": 1,
    }
    return body | changes


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    home = tmp_path_factory.mktemp("train-api") / "workspace"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATAML_HOME", str(home))
        eng, admin, data = customers_workspace(home)
        eng.tenants.create(
            admin, name="Other Org", admin_username="otto", admin_password=USER_PASSWORD, admin_email="o@example.com"
        )
        months = pd.DataFrame({"month": pd.date_range("2020-01-01", periods=36, freq="MS"), "sales": range(36)})
        series = eng.datasets.upload(admin, name="sales", filename="s.csv", data=csv(months))
        with TestClient(create_app(eng), raise_server_exceptions=False) as client:
            heads = {u: bearer(sign_in(client, u, USER_PASSWORD)) for u in ("vic", "ana", "otto")}
            body = seed_body(data.id, columns=[*seed_body(data.id)["columns"], *FEATURES])
            submitted = client.post(f"{API}/train/", json=body, headers=heads["ana"])
            assert submitted.status_code == 202, submitted.text
            yield SimpleNamespace(
                engine=eng, admin=admin, client=client, data=data, series=series, trained=submitted.json(), **heads
            )
        eng.close()


FEATURES = [
    {"column_name": "spend", "attribute_name": "feature"},
    {"column_name": "region", "data_type": "Category", "attribute_name": "Feature"},
]


def queued(world: SimpleNamespace, name: str) -> str:
    """A training as the queue holds it before a worker takes it (the inline runner never leaves one queued)."""
    params = TrainRequest(dataset_id=world.data.id, name=name, target="churn", domain="Churn").to_params()
    with world.engine.workspace.db.session() as session:
        return job_repo.create_job(
            session,
            tenant_id=world.admin.tenant_id,
            owner_id=world.admin.user_id,
            kind="train_tabular",
            title=f"Train {name}",
            params=params,
            datasets=[world.data.id],
        ).id


def test_submit_in_the_seed_shape_answers_202_with_the_train_id(world) -> None:
    trained, eng = world.trained, world.engine
    assert (trained["predictor_name"], trained["domain"], trained["problem_type"]) == (
        "churn_v1",
        "Churn",
        "classification",
    )
    assert (trained["status"], trained["train_status"], trained["training_status"]) == ("ready", "ready", "Ready")
    assert trained["id"] == trained["job_id"] and trained["algorithm"] == "LogisticRegression"
    assert trained["created_by"] == "ana" and trained["dataset_name"] == "customers" and trained["accuracy"] > 0.5
    model = eng.models.of_training(world.admin, trained["id"])
    assert model.feature_names == ["spend", "region"] and model.schema.feature("region").kind == "categorical"
    assert model.details.algorithm == "linear" and model.details.importance is None
    result = world.client.get(f"{API}/train/result", params={"train_id": trained["id"]}, headers=world.vic)
    assert result.status_code == 200 and result.json()["model_id"] == model.id
    by_model = world.client.get(f"{API}/train/result", params={"train_id": model.id}, headers=world.vic).json()
    assert by_model["id"] == trained["id"]


def test_get_details_gives_the_schema_the_roles_and_the_checks_verdict(world) -> None:
    client, url = world.client, f"{API}/train/get_details"
    bare = {
        "dataset_id": world.data.id,
        "predictor_name": "churn_v1",
        "domain": "Churn",
        "problem_type": "Classification",
    }
    details = client.post(url, json=bare, headers=world.ana).json()
    assert [c["column_name"] for c in details["dataset_schema"]] == ["customer", "spend", "region", "note", "churn"]
    assert (details["attributes"], details["columns"], details["check"]) == (["Id", "Target", "Feature"], [], None)
    region_only = [*seed_body(world.data.id)["columns"], FEATURES[1]]
    asked = client.post(
        url, json=seed_body(world.data.id, predictor_name="by region", columns=region_only), headers=world.ana
    )
    asked = asked.json()
    assert {c["column_name"]: (c["attribute_name"], c["data_type"]) for c in asked["columns"]} == {
        "customer": ("Id", "string"),
        "spend": ("Ignored", "float"),
        "region": ("Feature", "category"),
        "note": ("Ignored", "string"),
        "churn": ("Target", "string"),
    }
    assert asked["check"]["ok"] and asked["check"]["problem_type"] == "classification"
    other_target = seed_body(world.data.id, problem_type="regression")
    other_target["columns"][1]["column_name"] = "spend"
    refused = client.post(url, json=other_target, headers=world.ana).json()["check"]
    assert not refused["ok"] and "is taken by a classification" in refused["detail"]
    forecast = {
        **bare,
        "dataset_id": world.series.id,
        "predictor_name": "sales",
        "problem_type": "forecast",
        "time_column": "month",
        "columns": [{"column_name": "sales", "attribute_name": "Target"}],
    }
    verdict = client.post(url, json=forecast, headers=world.ana).json()
    assert [c["attribute_name"] for c in verdict["columns"]] == ["Time", "Target"]
    assert (verdict["check"]["frequency"], verdict["check"]["season_length"]) == ("MS", 12)


def test_the_list_has_every_state_and_filters(world) -> None:
    client, eng = world.client, world.engine
    later, stuck = queued(world, "later"), queued(world, "stuck")
    eng.jobs.cancel(world.admin, stuck)  # cancelled through the engine
    listed = client.get(f"{API}/train/list", headers=world.vic).json()
    assert {t["predictor_name"]: t["status"] for t in listed["data"]} == {
        "later": "queued",
        "stuck": "canceled",
        "churn_v1": "ready",
    }
    assert listed["total"] == 3 and next(t for t in listed["data"] if t["id"] == later)["version"] is None
    for params, names in [
        ({"status": "canceled"}, ["stuck"]),
        ({"domain": "churn", "problem_type": "classification"}, ["churn_v1"]),
        ({"problem_type": "auto", "status": "queued"}, ["later"]),
        ({"domain": "Fraud"}, []),
    ]:
        for route in ("list", "refresh"):
            found = client.get(f"{API}/train/{route}", params=params, headers=world.vic).json()["data"]
            assert [t["predictor_name"] for t in found] == names, (route, params)
    assert client.get(f"{API}/train/list", params={"status": "done"}, headers=world.vic).status_code == 422
    assert client.get(f"{API}/train/list", headers=world.otto).json() == {"total": 0, "data": []}
    for train_id in (later, stuck):  # no model: 409 wherever a model is needed
        assert (
            client.get(f"{API}/train/model-summary", params={"train_id": train_id}, headers=world.ana).status_code
            == 409
        )
        assert client.delete(f"{API}/train/delete/{train_id}", headers=world.ana).status_code == 409
    assert (
        client.get(f"{API}/train/result", params={"train_id": stuck}, headers=world.ana).json()["status"] == "canceled"
    )
    eng.jobs.cancel(world.admin, later)


def test_summary_schema_and_importance_by_train_id(world) -> None:
    client, train_id = world.client, world.trained["id"]
    ids = {"train_id": train_id}
    summary = client.get(f"{API}/train/model-summary", params=ids, headers=world.vic).json()
    headline = summary["model_summary"]
    assert headline["model"] == "LogisticRegression" and {"accuracy", "precision", "recall", "f1_score"} <= set(
        headline
    )
    assert [c["class"] for c in summary["per_class"]] == summary["classes"] == ["no", "yes"]
    assert sum(map(sum, summary["confusion_matrix"])) == sum(c["support"] for c in summary["per_class"])
    assert next(m for m in summary["metrics"] if m["metric"] == "recall")["label"] == "Recall (macro)"
    schema = client.get(f"{API}/train/download-schema/{train_id}", headers=world.vic).json()
    assert [(c["column_name"], c["attribute_name"]) for c in schema["schema"]] == [
        ("customer", "Id"),
        ("spend", "Feature"),
        ("region", "Feature"),
        ("churn", "Target"),
    ]
    assert schema["schema"][2]["data_type"] == "category" and schema["model_schema"]["classes"] == ["no", "yes"]
    view = client.get(f"{API}/train/view-feature-importance", params=ids, headers=world.vic).json()
    assert (view["status"], view["feature_importance"]) == ("not generated", {})
    job = client.post(f"{API}/train/generate-feature-importance", params={**ids, "sample_rows": 50}, headers=world.ana)
    assert job.status_code == 202 and job.json()["shap_job_id"] == job.json()["job_id"]
    followed = client.get(f"{API}/train/shap-result", params={**ids, "job_id": job.json()["job_id"]}, headers=world.vic)
    assert (followed.json()["job_status"], followed.json()["status"]) == ("succeeded", "completed")
    view = client.get(f"{API}/train/view-feature-importance", params=ids, headers=world.vic).json()
    assert set(view["feature_importance"]) == {"spend", "region"} and view["source"] == "explain job"
    not_its = client.get(f"{API}/train/shap-result", params={**ids, "job_id": world.trained["id"]}, headers=world.vic)
    assert not_its.status_code == 404
    assert client.delete(f"{API}/train/delete-feature-importance/{train_id}", headers=world.ana).status_code == 200
    assert client.get(f"{API}/train/shap-result", params=ids, headers=world.vic).json()["status"] == "not generated"


def test_update_renames_labels_and_refuses_what_it_cannot_change(world) -> None:
    client, url, train_id = world.client, f"{API}/train/update/", world.trained["id"]
    body = {"train_id": train_id, "predictor_name": "churn", "domain": "Retention", "description": "first"}
    updated = client.post(url, json=body, headers=world.ana)
    assert updated.status_code == 200, updated.text
    assert [updated.json()[k] for k in ("predictor_name", "domain", "description")] == ["churn", "Retention", "first"]
    assert client.post(url, json={"train_id": train_id, "preprocess_id": 20}, headers=world.ana).status_code == 422
    assert client.post(url, json={"train_id": train_id, "domain": "x" * 101}, headers=world.ana).status_code == 422
    assert client.post(url, json={"train_id": train_id, "domain": "x"}, headers=world.vic).status_code == 403
    assert client.post(url, json={"train_id": train_id, "domain": "x"}, headers=world.otto).status_code == 404
    assert client.post(url, json={"train_id": MISSING, "domain": "x"}, headers=world.ana).status_code == 404
    client.post(url, json={"train_id": train_id, "predictor_name": "churn_v1", "domain": "Churn"}, headers=world.ana)


def test_incremental_training_continues_the_latest_version_and_delete_removes_one(world) -> None:
    client = world.client
    body = seed_body(world.data.id, is_incremental=True, columns=[*seed_body(world.data.id)["columns"], *FEATURES])
    body.pop("domain")  # the predictor's
    again = client.post(f"{API}/train/", json=body, headers=world.ana)
    assert again.status_code == 202, again.text
    assert (again.json()["version"], again.json()["domain"], again.json()["status"]) == (2, "Churn", "ready")
    model = world.engine.models.of_training(world.admin, again.json()["id"])
    assert model.parent_id == world.trained["model_id"]
    assert model.schema.feature("region").kind == "categorical"
    assert client.delete(f"{API}/train/delete/{again.json()['id']}", headers=world.vic).status_code == 403
    assert client.delete(f"{API}/train/delete/{again.json()['id']}", headers=world.otto).status_code == 404
    assert client.delete(f"{API}/train/delete/{again.json()['id']}", headers=world.ana).status_code == 200
    assert (
        client.get(f"{API}/train/result", params={"train_id": again.json()["id"]}, headers=world.ana).status_code == 404
    )
    nothing = seed_body(world.data.id, predictor_name="nobody", is_incremental=True)
    assert client.post(f"{API}/train/", json=nothing, headers=world.ana).status_code == 404


def test_bad_requests_are_refused_before_anything_is_queued(world) -> None:
    client, data = world.client, world.data.id
    jobs_before = len(world.engine.jobs.list(world.admin))
    target = seed_body(data)["columns"][1]
    refusals = [
        (422, seed_body(data, columns=[])),  # no Target
        (422, seed_body(data, columns=[target, target])),
        (422, seed_body(data, problem_type="clustering")),
        (422, seed_body(data, algorithm="deep_learning")),
        (422, seed_body(data, time_budget_s=0)),
        (
            422,
            seed_body(
                data, columns=[target, {"column_name": "spend", "data_type": "money", "attribute_name": "Feature"}]
            ),
        ),
        (
            422,
            seed_body(
                data, columns=[target, {"column_name": "note", "data_type": "Integer", "attribute_name": "Feature"}]
            ),
        ),
        (422, seed_body(data, columns=[target, {"column_name": "nope", "attribute_name": "Feature"}])),
        (422, seed_body(data, problem_type="forecast", time_column="customer")),  # a forecast takes no Id column
        (
            422,
            seed_body(
                world.series.id,
                predictor_name="s",
                columns=[{"column_name": "sales", "attribute_name": "Target"}],
                problem_type="Forecast",
                time_column="month",
                frequency="not a frequency",
            ),
        ),
        (422, seed_body(data, predictor_name="bad/name")),
        (
            409,
            seed_body(data, problem_type="regression", columns=[{"column_name": "spend", "attribute_name": "Target"}]),
        ),
        (404, seed_body(MISSING)),
        (409, seed_body(data, parent_train_id=queued(world, "unfinished"))),
        (403, seed_body(data)),
    ]
    for expected, body in refusals:
        who = world.vic if expected == 403 else world.ana
        response = client.post(f"{API}/train/", json=body, headers=who)
        assert response.status_code == expected, (body, response.text)
    assert client.post(f"{API}/train/", json=seed_body(data)).status_code == 401
    assert len(world.engine.jobs.list(world.admin)) == jobs_before + 1  # the queued parent only


def test_another_tenants_ids_answer_404_and_a_viewer_cannot_write(world) -> None:
    client, train_id = world.client, world.trained["id"]
    ids = {"train_id": train_id}
    reads = [
        ("GET", f"{API}/train/result", ids),
        ("GET", f"{API}/train/model-summary", ids),
        ("GET", f"{API}/train/view-feature-importance", ids),
        ("GET", f"{API}/train/shap-result", ids),
        ("GET", f"{API}/train/download-schema/{train_id}", {}),
    ]
    writes = [
        ("POST", f"{API}/train/generate-feature-importance", ids),
        ("DELETE", f"{API}/train/delete-feature-importance/{train_id}", {}),
        ("DELETE", f"{API}/train/delete/{train_id}", {}),
    ]
    for method, url, params in reads + writes:
        assert client.request(method, url, params=params, headers=world.otto).status_code == 404, url
        missing = {k: MISSING for k in params}
        assert (
            client.request(method, url.replace(train_id, MISSING), params=missing, headers=world.ana).status_code == 404
        )
    for method, url, params in reads:
        assert client.request(method, url, params=params, headers=world.vic).status_code == 200, url
    for method, url, params in writes:
        assert client.request(method, url, params=params, headers=world.vic).status_code == 403, url
    details = {"dataset_id": world.data.id, "predictor_name": "x"}
    assert client.post(f"{API}/train/get_details", json=details, headers=world.otto).status_code == 404
    assert client.post(f"{API}/train/get_details", json=details, headers=world.vic).status_code == 200  # no check asked
    with_target = seed_body(world.data.id)
    assert client.post(f"{API}/train/get_details", json=with_target, headers=world.vic).status_code == 403
