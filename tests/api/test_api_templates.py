"""Deliverable 5: templates in the seed's shape; partial update; export in both shapes; tenancy and roles."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from core import Actor, Engine
from tests.api.conftest import API

SEED_TEMPLATE: dict[str, Any] = {  # seed 004 §5.1, as given
    "template_name": "Telecom Customer Usage",
    "template_schema": [
        {"column_name": "CustomerID", "data_type": "String", "default_value": "CUST-0000"},
        {"column_name": "DataUsageGB", "data_type": "Float", "default_value": "0.0"},
    ],
}


def create(client: TestClient, headers: dict[str, str], body: dict[str, Any] = SEED_TEMPLATE) -> dict[str, Any]:
    response = client.post(f"{API}/template/", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_create_list_get_in_the_seed_shape(client: TestClient, admin_headers: dict[str, str]) -> None:
    created = create(client, admin_headers)
    assert created["template_name"] == "Telecom Customer Usage" and created["no_of_columns"] == 2
    assert created["template_schema"][1] == {
        "column_name": "DataUsageGB",
        "data_type": "Float",
        "default_value": "0.0",
        "required": True,
        "date_format": None,
    }
    listed = client.get(f"{API}/template/list", headers=admin_headers).json()
    assert listed["total"] == 1 and listed["data"][0]["id"] == created["id"]
    assert listed["data"][0]["created_by"] == "admin"
    got = client.get(f"{API}/template/{created['id']}", headers=admin_headers).json()
    assert got["template_schema"] == created["template_schema"]


def test_update_is_partial(client: TestClient, admin_headers: dict[str, str]) -> None:
    template_id = create(client, admin_headers)["id"]
    url = f"{API}/template/update/{template_id}"
    renamed = client.put(url, json={"template_name": "Telecom V2"}, headers=admin_headers).json()
    assert renamed["template_name"] == "Telecom V2" and renamed["no_of_columns"] == 2
    columns = [*SEED_TEMPLATE["template_schema"], {"column_name": "PlanType", "data_type": "string"}]
    updated = client.put(url, json={"template_schema": columns}, headers=admin_headers).json()
    assert updated["template_name"] == "Telecom V2" and updated["template_schema"][2]["data_type"] == "String"


def test_export_in_both_shapes_and_the_seed_shape_imports(
    client: TestClient, admin_headers: dict[str, str], engine: Engine, admin: Actor
) -> None:
    template_id = create(client, admin_headers)["id"]
    studio = client.get(f"{API}/template/{template_id}/export", headers=admin_headers)
    assert studio.json()["columns"][1]["dtype"] == "float"
    seed = client.get(f"{API}/template/{template_id}/export", params={"shape": "seed"}, headers=admin_headers)
    assert seed.json()["template_schema"][0]["column_name"] == "CustomerID"
    imported = engine.templates.import_json(admin, seed.content, name="Imported from the seed shape")
    assert [c.dtype for c in imported.columns] == ["string", "float"]


def test_errors(client: TestClient, admin_headers: dict[str, str]) -> None:
    template_id = create(client, admin_headers)["id"]
    assert client.post(f"{API}/template/", json=SEED_TEMPLATE, headers=admin_headers).status_code == 409
    bad = {"template_name": "Bad", "template_schema": [{"column_name": "x", "data_type": "Complex"}]}
    response = client.post(f"{API}/template/", json=bad, headers=admin_headers)
    assert response.status_code == 422 and response.json()["problems"][0]["value"] == "complex"
    assert client.post(f"{API}/template/", json={"template_name": "Empty"}, headers=admin_headers).status_code == 422
    assert client.get(f"{API}/template/no-such-id", headers=admin_headers).status_code == 404
    assert client.get(f"{API}/template/list").status_code == 401
    assert client.delete(f"{API}/template/{template_id}", headers=admin_headers).status_code == 200
    assert client.delete(f"{API}/template/{template_id}", headers=admin_headers).status_code == 404


def test_delete_is_refused_while_a_dataset_uses_the_template(
    client: TestClient, admin_headers: dict[str, str], engine: Engine, admin: Actor
) -> None:
    template_id = str(create(client, admin_headers)["id"])
    engine.datasets.upload(
        admin, name="usage", filename="u.csv", data=b"CustomerID,DataUsageGB\nC1,1.5\n", template_id=template_id
    )
    response = client.delete(f"{API}/template/{template_id}", headers=admin_headers)
    assert response.status_code == 409 and "usage" in response.json()["detail"]


def test_another_tenant_sees_404_and_a_viewer_cannot_write(
    client: TestClient,
    admin_headers: dict[str, str],
    outsider_headers: dict[str, str],
    viewer_headers: dict[str, str],
) -> None:
    template_id = create(client, admin_headers)["id"]
    for method, url in [
        ("GET", f"{API}/template/{template_id}"),
        ("GET", f"{API}/template/{template_id}/export"),
        ("PUT", f"{API}/template/update/{template_id}"),
        ("DELETE", f"{API}/template/{template_id}"),
    ]:
        response = client.request(method, url, json={"template_name": "x"}, headers=outsider_headers)
        assert response.status_code == 404, (method, url)
    assert client.get(f"{API}/template/list", headers=outsider_headers).json()["total"] == 0
    assert client.get(f"{API}/template/{template_id}", headers=viewer_headers).status_code == 200
    created = client.post(f"{API}/template/", json=SEED_TEMPLATE | {"template_name": "V"}, headers=viewer_headers)
    assert created.status_code == 403
    update = client.put(f"{API}/template/update/{template_id}", json={"template_name": "x"}, headers=viewer_headers)
    assert update.status_code == 403
    assert client.delete(f"{API}/template/{template_id}", headers=viewer_headers).status_code == 403
