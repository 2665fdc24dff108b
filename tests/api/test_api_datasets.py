"""Deliverable 6: datasets (seed 004 §6) — upload of several files with a report each, list and filters, get,
paged view, delete, statistics as a job; tenancy, roles and every error status."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core import Actor, ColumnSpec, Engine
from tests.api.conftest import API, bearer, sign_in
from tests.conftest import ADMIN_PASSWORD

JAN = b"id,amount\n1,9.5\n2,3.0\n"
FEB = b"id,amount\n3,1.5\n4,abc\n"
Headers = dict[str, str]


def upload(
    client: TestClient,
    headers: Headers,
    name: str = "sales",
    files: list[tuple[str, bytes]] | None = None,
    **params: Any,
) -> Any:
    parts = [("files", item) for item in (files or [("jan.csv", JAN), ("feb.csv", FEB)])]
    return client.post(f"{API}/dataset/upload", params={"dataset_name": name, **params}, files=parts, headers=headers)


def created(client: TestClient, headers: Headers, **kwargs: Any) -> dict[str, Any]:
    response = upload(client, headers, **kwargs)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_upload_several_files_into_one_dataset_with_a_report_each(client: TestClient, admin_headers: Headers) -> None:
    body = created(client, admin_headers, usage="p")
    assert (body["dataset_name"], body["data_source"], body["rows"], body["usage"]) == ("sales", "csv", 4, "prediction")
    jan, feb = body["files"]
    assert (jan["file_name"], jan["total_fields"], jan["total_records"], jan["error_report"]) == ("jan.csv", 2, 2, None)
    assert feb["error_report"]["problems"] == [
        {"row": 2, "column": "amount", "value": "abc", "problem": "wrong type", "expected": "float"}
    ]
    assert feb["status"] == "has problems" and body["status"] == "has problems"


def test_list_list_validated_and_the_usage_filter(client: TestClient, admin_headers: Headers) -> None:
    created(client, admin_headers, name="scoring", usage="p")
    created(client, admin_headers, name="clean", files=[("jan.csv", JAN)], usage="training")
    listed = client.get(f"{API}/dataset/list", headers=admin_headers).json()
    assert listed["total"] == 2
    clean = next(d for d in listed["data"] if d["dataset_name"] == "clean")
    assert (clean["file_count"], clean["is_valid"], clean["dataset_usability"], clean["dataset_usage"]) == (
        1,
        True,
        "100%",
        "Training",
    )
    only = client.get(f"{API}/dataset/list", params={"usage": "P"}, headers=admin_headers).json()
    assert [d["dataset_name"] for d in only["data"]] == ["scoring"]
    validated = client.get(f"{API}/dataset/list_validated", headers=admin_headers).json()
    assert [d["dataset_name"] for d in validated] == ["clean"]
    problems = client.get(f"{API}/dataset/list", params={"status": "has problems"}, headers=admin_headers).json()
    assert [d["dataset_name"] for d in problems["data"]] == ["scoring"]


def test_get_view_and_delete(client: TestClient, admin_headers: Headers) -> None:
    dataset_id = created(client, admin_headers)["dataset_id"]
    got = client.get(f"{API}/dataset/get_dataset_by_id", params={"dataset_id": dataset_id}, headers=admin_headers)
    body = got.json()
    assert body["columns"] == [
        {"column_name": "id", "data_type": "integer"},
        {"column_name": "amount", "data_type": "float"},
    ]
    assert [f["file_name"] for f in body["files"]] == ["jan.csv", "feb.csv"] and body["versions"][0]["version"] == 1
    assert "path" not in got.text
    view = client.get(
        f"{API}/dataset/view", params={"dataset_id": dataset_id, "limit": 2, "offset": 1}, headers=admin_headers
    ).json()
    assert (view["total_rows"], view["preview"]) == (4, [{"id": 2, "amount": 3.0}, {"id": 3, "amount": 1.5}])
    assert client.delete(f"{API}/dataset/delete/{dataset_id}", headers=admin_headers).status_code == 200
    assert client.get(f"{API}/dataset/list", headers=admin_headers).json()["total"] == 0


def test_statistics_are_a_job_whose_result_is_read_when_done(
    client: TestClient, viewer_headers: Headers, admin_headers: Headers
) -> None:
    dataset_id = created(client, admin_headers)["dataset_id"]
    url = f"{API}/dataset/statistics"
    assert (
        client.get(url, params={"dataset_id": dataset_id}, headers=viewer_headers).json()["status"] == "not generated"
    )
    submitted = client.post(
        f"{API}/dataset/generate_statistics", params={"dataset_id": dataset_id}, headers=viewer_headers
    )
    assert submitted.status_code == 202 and submitted.json()["status"] == "success"
    job_id = submitted.json()["job_id"]
    result = client.get(url, params={"dataset_id": dataset_id, "job_id": job_id}, headers=viewer_headers).json()
    assert (result["status"], result["progress"]) == ("ready", 1.0)
    assert [s["column"] for s in result["statistics"]] == ["id", "amount"] and result["statistics"][0]["count"] == 4
    other = created(client, admin_headers, name="other", files=[("jan.csv", JAN)])["dataset_id"]
    mismatch = client.get(url, params={"dataset_id": other, "job_id": job_id}, headers=viewer_headers)
    assert mismatch.status_code == 404


def test_errors(client: TestClient, admin_headers: Headers, engine: Engine, admin: Actor) -> None:
    created(client, admin_headers)
    assert upload(client, admin_headers).status_code == 409  # the name is taken (ignoring case too)
    assert upload(client, admin_headers, name="SALES").status_code == 409
    rejected = upload(client, admin_headers, name="strict", on_problems="reject")
    assert rejected.status_code == 422 and rejected.json()["problems"][0]["value"] == "abc"
    assert upload(client, admin_headers, name="x", usage="sometimes").status_code == 422
    assert upload(client, admin_headers, name="x", files=[("x.exe", b"MZ\x00\x00")]).status_code == 422
    assert (
        client.post(f"{API}/dataset/upload", params={"dataset_name": "none"}, headers=admin_headers).status_code == 422
    )
    assert upload(client, admin_headers, name="x", template_id="no-such-template").status_code == 404
    missing = {"dataset_id": "00000000-0000-0000-0000-000000000000"}
    for method, url in [
        ("GET", f"{API}/dataset/get_dataset_by_id"),
        ("GET", f"{API}/dataset/view"),
        ("GET", f"{API}/dataset/statistics"),
        ("POST", f"{API}/dataset/generate_statistics"),
        ("DELETE", f"{API}/dataset/delete/{missing['dataset_id']}"),
    ]:
        assert client.request(method, url, params=missing, headers=admin_headers).status_code == 404, url
    template = engine.templates.create(admin, "t", [ColumnSpec("id", "integer")])
    used = created(client, admin_headers, name="templated", files=[("jan.csv", JAN)], template_id=template.id)
    assert client.delete(f"{API}/template/{template.id}", headers=admin_headers).status_code == 409
    assert used["files"][0]["error_report"]["problem_counts"] == {"unknown column": 1}


def test_another_tenant_gets_404_and_a_viewer_cannot_write(
    client: TestClient, admin_headers: Headers, viewer_headers: Headers, outsider_headers: Headers
) -> None:
    dataset_id = created(client, admin_headers)["dataset_id"]
    ids = {"dataset_id": dataset_id}
    for method, url in [
        ("GET", f"{API}/dataset/get_dataset_by_id"),
        ("GET", f"{API}/dataset/view"),
        ("GET", f"{API}/dataset/statistics"),
        ("POST", f"{API}/dataset/generate_statistics"),
        ("DELETE", f"{API}/dataset/delete/{dataset_id}"),
    ]:
        assert client.request(method, url, params=ids, headers=outsider_headers).status_code == 404, url
    assert client.get(f"{API}/dataset/list", headers=outsider_headers).json()["total"] == 0
    assert client.get(f"{API}/dataset/view", params=ids, headers=viewer_headers).status_code == 200
    assert upload(client, viewer_headers, name="mine").status_code == 403
    assert client.delete(f"{API}/dataset/delete/{dataset_id}", headers=viewer_headers).status_code == 403


@pytest.fixture
def small_limit_client(
    home: Path, monkeypatch: pytest.MonkeyPatch, engine: Engine, admin: Actor
) -> Iterator[TestClient]:
    """The same workspace behind an engine whose upload limit is 1 MB."""
    monkeypatch.setenv("DATAML_MAX_UPLOAD_MB", "1")
    small = Engine.open(home=home, runner="inline")
    with TestClient(create_app(small)) as client:
        yield client
    small.close()


def test_an_upload_over_the_limit_answers_413_and_stores_nothing(small_limit_client: TestClient) -> None:
    headers = bearer(sign_in(small_limit_client, "admin", ADMIN_PASSWORD))
    big = b"id,amount\n" + b"1,2.5\n" * 200_000
    response = upload(small_limit_client, headers, name="big", files=[("big.csv", big)])
    assert response.status_code == 413 and "upload limit of 1 MB" in response.json()["detail"]
    assert small_limit_client.get(f"{API}/dataset/list", headers=headers).json()["total"] == 0
