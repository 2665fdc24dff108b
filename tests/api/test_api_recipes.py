"""/api/v1/recipes: Fix's proposal → save → preview a step → run (a job) → lineage of the new dataset; a model
trained on it scores the raw file over HTTP; export / import; 401 / 403 / 404 / 409 / 422."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from core import Actor, Engine
from tests.api.conftest import API
from tests.core.test_recipes_service import csv, raw_orders


def _upload(engine: Engine, actor: Actor) -> str:
    return engine.datasets.upload(actor, name="orders raw", filename="orders.csv", data=csv(raw_orders())).id


def test_fix_save_preview_run_and_lineage(
    client: TestClient, engine: Engine, analyst: Actor, analyst_headers: dict[str, str]
) -> None:
    source = _upload(engine, analyst)
    steps = client.get(f"{API}/recipes/suggest", params={"dataset_id": source}, headers=analyst_headers).json()
    assert [s["kind"] for s in steps] == ["cast", "cast", "filter"]

    shown = client.post(
        f"{API}/recipes/preview", json={"dataset_id": source, "steps": steps, "step": 3}, headers=analyst_headers
    )
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["removed_count"] == 2 and body["rows_total"] == 238 and len(body["rows"]) == 50
    assert {r["column"] for r in body["summary"]} == {"order_day", "price", "region", "big"}
    assert [r["failed"] for r in body["reports"]] == [1, 1, 0]

    created = client.post(
        f"{API}/recipes/", json={"name": "fix", "dataset_id": source, "steps": steps}, headers=analyst_headers
    )
    assert created.status_code == 201, created.text
    recipe = created.json()
    assert recipe["dataset_name"] == "orders raw" and recipe["steps"][0]["day_first"] is True
    listed = client.get(f"{API}/recipes/", params={"dataset_id": source}, headers=analyst_headers).json()
    assert listed["total"] == 1

    run = client.post(f"{API}/recipes/{recipe['id']}/run", json={"output_name": "orders"}, headers=analyst_headers)
    assert run.status_code == 202, run.text
    job = client.get(f"{API}/jobs/{run.json()['job_id']}", headers=analyst_headers).json()
    assert job["status"] == "succeeded" and job["usage"] == "preparation", job
    made = job["result_ids"]["dataset_id"]
    lineage = client.get(f"{API}/recipes/lineage/{made}", headers=analyst_headers).json()
    assert lineage["source_id"] == source and lineage["recipe_name"] == "fix" and lineage["replay"]["skipped"]
    assert client.get(f"{API}/recipes/lineage/{source}", headers=analyst_headers).json() is None


def test_export_import_update_delete(
    client: TestClient, engine: Engine, analyst: Actor, analyst_headers: dict[str, str]
) -> None:
    source = _upload(engine, analyst)
    body: dict[str, Any] = {"name": "drop", "dataset_id": source, "steps": [{"kind": "drop", "columns": ["region"]}]}
    recipe = client.post(f"{API}/recipes/", json=body, headers=analyst_headers).json()
    exported = client.get(f"{API}/recipes/{recipe['id']}/export", headers=analyst_headers)
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    imported = client.post(
        f"{API}/recipes/import",
        params={"dataset_id": source, "name": "drop again"},
        files={"file": ("r.json", exported.content, "application/json")},
        headers=analyst_headers,
    )
    assert imported.status_code == 201, imported.text
    assert imported.json()["steps"] == recipe["steps"]
    again = client.post(f"{API}/recipes/", json=body, headers=analyst_headers)
    assert again.status_code == 409
    patched = client.patch(f"{API}/recipes/{recipe['id']}", json={"description": "why"}, headers=analyst_headers)
    assert patched.json()["description"] == "why" and patched.json()["name"] == "drop"
    assert client.delete(f"{API}/recipes/{recipe['id']}", headers=analyst_headers).status_code == 200
    assert client.get(f"{API}/recipes/{recipe['id']}", headers=analyst_headers).status_code == 404


def test_refusals(
    client: TestClient,
    engine: Engine,
    analyst: Actor,
    analyst_headers: dict[str, str],
    viewer_headers: dict[str, str],
    outsider_headers: dict[str, str],
) -> None:
    source = _upload(engine, analyst)
    body: dict[str, Any] = {"name": "r", "dataset_id": source, "steps": [{"kind": "drop", "columns": ["nope"]}]}
    bad = client.post(f"{API}/recipes/", json=body, headers=analyst_headers)
    assert bad.status_code == 422 and "Step 1" in bad.json()["detail"] and "nope" in bad.json()["detail"]
    unknown = {**body, "steps": [{"kind": "shell", "command": "rm"}]}
    assert client.post(f"{API}/recipes/", json=unknown, headers=analyst_headers).status_code == 422
    injected = {**body, "steps": [{"kind": "filter", "condition": "1; DROP TABLE x"}]}
    assert client.post(f"{API}/recipes/", json=injected, headers=analyst_headers).status_code == 422
    good = {**body, "steps": [{"kind": "drop", "columns": ["region"]}]}
    assert client.post(f"{API}/recipes/", json=good).status_code == 401
    assert client.post(f"{API}/recipes/", json=good, headers=viewer_headers).status_code == 403
    assert client.post(f"{API}/recipes/", json=good, headers=outsider_headers).status_code == 404
    recipe = client.post(f"{API}/recipes/", json=good, headers=analyst_headers).json()
    assert client.get(f"{API}/recipes/{recipe['id']}", headers=outsider_headers).status_code == 404
    assert client.post(f"{API}/recipes/{recipe['id']}/run", headers=viewer_headers).status_code == 403
    preview = {"dataset_id": source, "steps": good["steps"], "sample_rows": 0}
    assert client.post(f"{API}/recipes/preview", json=preview, headers=analyst_headers).status_code == 422


def test_a_model_on_prepared_data_has_a_raw_form_and_scores_raw_values(
    client: TestClient, engine: Engine, analyst: Actor, analyst_headers: dict[str, str]
) -> None:
    from tests.core.test_recipes_service import _train, prepared

    source, made = prepared(engine, analyst, raw_orders())
    model = _train(engine, analyst, made)
    form = f"{API}/inference/form-based-prediction"
    raw = client.get(form, params={"id": model, "raw": True}, headers=analyst_headers)
    assert raw.status_code == 200, raw.text
    headers = {h["column_name"]: h for h in raw.json()["headers"]}
    assert list(headers) == ["order_day", "price", "region"] and headers["price"]["default_source"] == "source mode"
    typed = client.get(form, params={"id": model}, headers=analyst_headers).json()
    assert {h["column_name"] for h in typed["headers"]} >= {"price", "region"}

    features = {name: h["default_value"] for name, h in headers.items()}
    scored = client.post(f"{API}/inference/", json={"train_id": model, "features": features}, headers=analyst_headers)
    assert scored.status_code == 200, scored.text
    assert scored.json()["prediction"] in ("yes", "no")

    plain = _train(engine, analyst, source)  # the raw upload itself: no recipe
    refused = client.get(form, params={"id": plain, "raw": True}, headers=analyst_headers)
    assert refused.status_code == 422 and "uploaded data" in refused.json()["detail"]


def test_a_raw_value_the_recipe_cannot_cast_comes_back_as_a_warning(
    client: TestClient, engine: Engine, analyst: Actor, analyst_headers: dict[str, str]
) -> None:
    from tests.core.test_recipes_service import _train, prepared

    _, made = prepared(engine, analyst, raw_orders())
    model = _train(engine, analyst, made)
    features = {"order_day": "03/02/2024", "price": "12abc", "region": "north"}
    body = {"train_id": model, "features": features, "raw": True}
    scored = client.post(f"{API}/inference/form-based-prediction", json=body, headers=analyst_headers)
    assert scored.status_code == 200, scored.text
    message = "price: '12abc' could not be read as a number by the recipe's cast; it was scored as missing."
    flags = [w for w in scored.json()["input_warnings"] if w["problem"] == "unreadable value"]
    assert flags == [{"field": "price", "value": "12abc", "problem": "unreadable value", "message": message}]
    assert message in scored.json()["warnings"]

    readable = client.post(
        f"{API}/inference/", json={**body, "features": {**features, "price": "12,50"}}, headers=analyst_headers
    )
    assert readable.status_code == 200, readable.text
    assert all(w["problem"] != "unreadable value" for w in readable.json()["input_warnings"])


def test_a_batch_of_raw_rows_says_how_many_values_the_recipe_could_not_cast(
    client: TestClient, engine: Engine, analyst: Actor, analyst_headers: dict[str, str]
) -> None:
    from tests.core.test_recipes_service import _train, prepared

    model = _train(engine, analyst, prepared(engine, analyst, raw_orders())[1])
    rows = raw_orders(20, seed=11).drop(columns="big")
    rows.loc[5, "price"], rows.loc[7, "order_day"] = "10,00", "01/02/2024"  # the raw file's own bad values put right
    rows.loc[[3, 11], "price"] = ["12abc", "lots"]
    submitted = client.post(
        f"{API}/inference/batchPrediction/upload",
        params={"train_id": model},
        files={"file": ("new.csv", csv(rows))},
        headers=analyst_headers,
    )
    assert submitted.status_code == 202, submitted.text
    result = client.get(
        f"{API}/inference/result", params={"prediction_id": submitted.json()["prediction_id"]}, headers=analyst_headers
    ).json()
    assert (result["status"], result["rows"]) == ("succeeded", 20), result
    assert result["warnings"][0] == (
        "price: 2 values could not be read as a number by the recipe's cast (first: '12abc'); they were scored as "
        "missing."
    )
    logged = client.get(f"{API}/inference/predictions", params={"kind": "batch"}, headers=analyst_headers).json()
    [entry] = logged["data"]
    assert entry["warnings"] == result["warnings"]  # the predictions log keeps their texts
