"""Seed 003 over HTTP: register a model (metadata, then files), find it, deploy it, predict with SHAP, record and
list operations, check drift; pickles refused, roles and tenants respected."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from core import Actor, Engine
from tests.api.conftest import API
from tests.core.registry_support import diabetes, diabetes_csv, pickle_payload, ridge_skops, train_tiny

Headers = dict[str, str]
SEED_MODEL = {
    "modelname": "Ridge",
    "modelkind": "Regressor",
    "hyperparameter": [{"parameter": "alpha", "value": 1.0}],
    "modelperformance": [{"metric": "r2", "order": 1, "threshold": 0.4}],
    "trainingresource": [{"resource_name": "GPU", "value": 16, "deploy": "string"}],
    "runresource": [{"resource_name": "CPU", "value": 1, "deploy": "edge"}],
    "featurelist": ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"],
    "inference": [{"type": "batch", "value": "no"}],
    "modeltags": ["regression", "fast"],
    "drift_detection": [{"is_true": 1, "method": 0}],
}


def _register(client: TestClient, headers: Headers) -> str:
    added = client.post(f"{API}/model/add", json=SEED_MODEL, headers=headers)
    assert added.status_code == 201, added.text
    model_id: str = added.json()["id"]
    for kind, name, data in (("model", "ridge.skops", ridge_skops()), ("data", "diabetes.csv", diabetes_csv())):
        uploaded = client.post(
            f"{API}/model/{model_id}/upload", files={"file": (name, data)}, data={"file_kind": kind}, headers=headers
        )
        assert uploaded.status_code == 201, uploaded.text
    return model_id


def test_the_seed_registration_deployment_and_prediction_flow(client: TestClient, analyst_headers: Headers) -> None:
    model_id = _register(client, analyst_headers)
    model = client.get(f"{API}/model/{model_id}", headers=analyst_headers).json()
    assert (model["modelkind"], model["versions"], model["reference"]) == ("regression", 1, "data artifact")
    assert model["drift_detection"][0] == {
        "is_true": 1,
        "method": 0,
        "method_name": "auto",
        "every": 100,
        "window": 1000,
        "share": 0.5,
    }
    assert model["hyperparameter"] == [{"parameter": "alpha", "value": 1.0}]
    assert [m["id"] for m in client.get(f"{API}/model/getkind/regression", headers=analyst_headers).json()] == [
        model_id
    ]
    assert client.get(f"{API}/model/getkind/astrology", headers=analyst_headers).status_code == 422
    search = client.get(
        f"{API}/model/search", params=[("tags", "fast"), ("tags", "regression")], headers=analyst_headers
    )
    assert [m["id"] for m in search.json()] == [model_id]
    assert client.get(f"{API}/model/search", params={"tags": "slow"}, headers=analyst_headers).json() == []
    deployment = client.post(
        f"{API}/deployment/add",
        json={
            "modelid": model_id,
            "ownerid": "agent-1",
            "placement": {"clusterID": "*", "node": "*", "continuum": True},
            "deployment_id": "dep-5678",
            "inference_data": 1,
        },
        headers=analyst_headers,
    )
    assert deployment.status_code == 201, deployment.text
    dep = deployment.json()
    assert (dep["name"], dep["status"], dep["version"]) == ("dep-5678", "running", 1)
    status = client.get(f"{API}/deployment/get/status/{dep['deployment_id']}", headers=analyst_headers).json()
    assert status["status"] == "running"
    X, _ = diabetes()
    row = X.iloc[0].tolist()
    answer = client.post(
        f"{API}/deployment/{dep['deployment_id']}/predict", json={"data": row, "explain": True}, headers=analyst_headers
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert len(body["prediction"]) == 1 and body["explanation"]["method"] == "shap"
    assert len(body["explanation"]["feature_importance"]) == 10
    recorded = client.post(
        f"{API}/deployment/add/operation",
        json={
            "ownerid": "agent-1",
            "deploymentid": dep["deployment_id"],
            "modelid": body["version_id"],
            "data": json.dumps(X.iloc[:2].to_dict("records")),
            "result": '{"prediction": [1, 2]}',
        },
        headers=analyst_headers,
    )
    assert recorded.status_code == 201, recorded.text
    operations = client.get(f"{API}/deployment/get/opos/agent-1", headers=analyst_headers).json()
    assert [o["source"] for o in operations] == ["external", "served"] and operations[1]["rows"] == 1
    assert client.delete(f"{API}/model/{model_id}", headers=analyst_headers).status_code == 409
    assert client.delete(f"{API}/deployment/{dep['deployment_id']}", headers=analyst_headers).status_code == 200
    assert client.delete(f"{API}/model/{model_id}", headers=analyst_headers).status_code == 200


def test_a_pickle_upload_is_refused_unopened(client: TestClient, analyst_headers: Headers, tmp_path: Path) -> None:
    model_id = client.post(
        f"{API}/model/add", json={"modelname": "m", "modelkind": "classification"}, headers=analyst_headers
    ).json()["id"]
    target = tmp_path / "pwned"
    refused = client.post(
        f"{API}/model/{model_id}/upload",
        files={"file": ("model.pkl", pickle_payload(target))},
        data={"file_kind": "model"},
        headers=analyst_headers,
    )
    assert refused.status_code == 422 and "skops.io" in refused.json()["detail"]
    assert not target.exists()


def test_patch_aliases_history_and_versions(client: TestClient, analyst_headers: Headers) -> None:
    model_id = _register(client, analyst_headers)
    client.post(
        f"{API}/model/{model_id}/upload",
        files={"file": ("r2.skops", ridge_skops(2.0))},
        data={"file_kind": "model"},
        headers=analyst_headers,
    )
    patched = client.patch(
        f"{API}/model/{model_id}",
        json={"modeltags": ["updated-tag"], "drift_detection": [{"is_true": 1, "method": 1}]},
        headers=analyst_headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["modeltags"] == ["updated-tag"] and patched.json()["drift_detection"][0]["method"] == 1
    assert patched.json()["featurelist"][0] == "age"  # kept
    for version in (1, 2):
        moved = client.put(f"{API}/model/{model_id}/alias/champion", json={"version": version}, headers=analyst_headers)
        assert moved.status_code == 200 and moved.json()["aliases"] == ["champion"]
    history = client.get(f"{API}/model/{model_id}/aliases/history", headers=analyst_headers).json()
    assert [(h["from_version"], h["to_version"]) for h in history] == [(None, 1), (1, 2)]
    versions = client.get(f"{API}/model/{model_id}/versions", headers=analyst_headers).json()
    card = client.get(f"{API}/model/version/{versions[0]['id']}/card", headers=analyst_headers)
    assert card.status_code == 200 and card.text.startswith("# Model card: Ridge v2")
    noted = client.patch(
        f"{API}/model/version/{versions[0]['id']}", json={"description": "better"}, headers=analyst_headers
    )
    assert noted.json()["description"] == "better"


def test_drift_check_on_an_uploaded_file_over_http(client: TestClient, analyst_headers: Headers) -> None:
    model_id = _register(client, analyst_headers)
    X, _ = diabetes()
    shifted = X.head(200).assign(bmi=X["bmi"].head(200) + X["bmi"].std()).to_csv(index=False).encode()
    submitted = client.post(
        f"{API}/drift/check",
        params={"model_id": model_id},
        files={"file": ("shifted.csv", shifted)},
        headers=analyst_headers,
    )
    assert submitted.status_code == 202, submitted.text
    [check] = client.get(f"{API}/drift/checks", params={"model_id": model_id}, headers=analyst_headers).json()
    assert check["drifted_columns"] == ["bmi"] and check["source"] == "file"
    csv = client.get(f"{API}/drift/{check['id']}/csv", headers=analyst_headers)
    assert csv.status_code == 200 and csv.text.startswith("column,")


def test_trained_models_are_listed_and_retrained_with_placement(
    client: TestClient, engine: Engine, analyst: Actor, analyst_headers: Headers
) -> None:
    version_id = train_tiny(engine, analyst)
    [model] = client.get(f"{API}/model/all", headers=analyst_headers).json()
    assert (model["origin"], model["featurelist"]) == ("trained", ["a", "b"])
    trained = client.post(
        f"{API}/mltraining/add",
        json={
            "modelid": model["id"],
            "time_budget_s": 1,
            "placement": {"clusterID": "c1", "node": "*", "continuum": False},
        },
        headers=analyst_headers,
    )
    assert trained.status_code == 201, trained.text
    assert trained.json()["status"] == "succeeded"
    again = client.get(f"{API}/model/{model['id']}", headers=analyst_headers).json()
    assert again["versions"] == 2 and again["training_placement"]["clusterID"] == "c1"
    deployed = client.post(f"{API}/deployment/add", json={"modelid": version_id}, headers=analyst_headers).json()
    answer = client.post(
        f"{API}/deployment/{deployed['deployment_id']}/predict",
        json={"data": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}], "explain": True},
        headers=analyst_headers,
    ).json()
    assert len(answer["prediction"]) == 2 and len(answer["explanation"]["feature_importance"]) == 2


def test_the_operations_log_shows_a_calls_warnings(
    client: TestClient, engine: Engine, analyst: Actor, analyst_headers: Headers
) -> None:
    deployed = client.post(
        f"{API}/deployment/add", json={"modelid": train_tiny(engine, analyst)}, headers=analyst_headers
    ).json()
    column = "extra_" + "x" * 10_000  # a column the model ignores, named at length: its warning is as long
    for row in ({"a": 1, "b": "x", column: 1}, {"a": 1, "b": "x"}):
        answer = client.post(
            f"{API}/deployment/{deployed['deployment_id']}/predict", json={"data": row}, headers=analyst_headers
        )
        assert answer.status_code == 200, answer.text
    listed = client.get(f"{API}/deployment/{deployed['deployment_id']}/operations", headers=analyst_headers)
    assert listed.status_code == 200, listed.text
    by_count = {len(o["warnings"]): o["warnings"] for o in listed.json()}
    assert set(by_count) == {0, 1}
    [kept] = by_count[1]
    assert kept.startswith("Ignored columns not used by the model: extra_xxx") and kept.endswith("…")
    assert len(kept) == 300


def test_roles_and_tenants(
    client: TestClient, analyst_headers: Headers, viewer_headers: Headers, outsider_headers: Headers
) -> None:
    model_id = _register(client, analyst_headers)
    assert (
        client.post(f"{API}/model/add", json=SEED_MODEL | {"modelname": "x"}, headers=viewer_headers).status_code == 403
    )
    assert client.get(f"{API}/model/{model_id}", headers=viewer_headers).status_code == 200
    assert client.post(f"{API}/deployment/add", json={"modelid": model_id}, headers=viewer_headers).status_code == 403
    assert client.get(f"{API}/model/{model_id}", headers=outsider_headers).status_code == 404
    assert client.get(f"{API}/model/all", headers=outsider_headers).json() == []
    assert client.delete(f"{API}/model/{model_id}", headers=outsider_headers).status_code == 404
