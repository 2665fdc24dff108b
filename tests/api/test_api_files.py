"""Deliverable 7: files (seed 004 §7) — add to a dataset (a new version) or on their own, list by dataset, view,
download and get by id, delete (a dataset's file: a version without its rows); tenancy, roles, errors."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from core import Actor, Engine
from tests.api.conftest import API
from tests.api.test_api_datasets import JAN, created

MAR = b"id,amount\n5,7.5\n"
Headers = dict[str, str]


def add(client: TestClient, headers: Headers, files: list[tuple[str, bytes]], **params: Any) -> Any:
    return client.post(f"{API}/files/add", params=params, files=[("files", f) for f in files], headers=headers)


def test_adding_a_file_to_a_dataset_appends_its_rows_as_a_new_version(
    client: TestClient, admin_headers: Headers
) -> None:
    dataset_id = created(client, admin_headers)["dataset_id"]
    response = add(client, admin_headers, [("mar.csv", MAR)], dataset_id=dataset_id)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["version"], body["rows"], body["files"][0]["dataset_version"]) == (2, 5, 2)
    listed = client.get(f"{API}/files/list", params={"dataset_id": dataset_id}, headers=admin_headers).json()
    assert [f["file_name"] for f in listed["data"]] == ["jan.csv", "feb.csv", "mar.csv"] and listed["total"] == 3
    view = client.get(f"{API}/dataset/view", params={"dataset_id": dataset_id}, headers=admin_headers).json()
    assert [row["id"] for row in view["preview"]] == [1, 2, 3, 4, 5]


def test_view_download_get_and_delete_by_id(client: TestClient, admin_headers: Headers) -> None:
    body = created(client, admin_headers)
    jan = body["files"][0]["id"]
    view = client.get(f"{API}/files/view", params={"file_id": jan}, headers=admin_headers).json()
    assert view["content_preview"] == ["id,amount", "1,9.5", "2,3.0"] and view["kind"] == "table"
    download = client.get(f"{API}/files/download/", params={"file_id": jan}, headers=admin_headers)
    assert download.content == JAN and "jan.csv" in download.headers["content-disposition"]
    got = client.get(f"{API}/files/get_file_by_id/", params={"file_id": jan}, headers=admin_headers).json()
    assert (got["dataset_id"], got["total_records"], got["kind"], got["size"]) == (
        body["dataset_id"],
        2,
        "data",
        len(JAN),
    )
    assert "path" not in str(got)
    deleted = client.delete(f"{API}/files/delete/{jan}", headers=admin_headers).json()
    assert (deleted["dataset_id"], deleted["dataset_version"]) == (body["dataset_id"], 2)
    view = client.get(f"{API}/dataset/view", params={"dataset_id": body["dataset_id"]}, headers=admin_headers).json()
    assert [row["id"] for row in view["preview"]] == [3, 4]
    assert client.get(f"{API}/files/get_file_by_id/", params={"file_id": jan}, headers=admin_headers).status_code == 404


def test_standalone_files_with_a_kind(client: TestClient, admin_headers: Headers) -> None:
    response = add(client, admin_headers, [("notes.md", b"hello\nworld\n"), ("run.py", b"print(1)\n")], kind="code")
    assert response.status_code == 201 and response.json()["dataset_id"] is None
    notes, script = (f["id"] for f in response.json()["files"])
    listed = client.get(f"{API}/files/list", params={"kind": "code"}, headers=admin_headers).json()
    assert {f["id"] for f in listed["data"]} == {notes, script}
    view = client.get(f"{API}/files/view", params={"file_id": notes}, headers=admin_headers).json()
    assert (view["kind"], view["content_preview"]) == ("text", ["hello", "world"])
    deleted = client.delete(f"{API}/files/delete/{script}", headers=admin_headers).json()
    assert deleted == {"message": "The file was deleted.", "dataset_id": None, "dataset_version": None}


def test_view_gives_one_line_per_row_with_formulas_neutralized(client: TestClient, admin_headers: Headers) -> None:
    hostile = b'id,note\r\n1,"x\r=1+1"\r\n2,=SUM(A1)\r\n'
    response = add(client, admin_headers, [("hostile.csv", hostile)], kind="data")
    assert response.status_code == 201, response.text
    file_id = response.json()["files"][0]["id"]
    view = client.get(f"{API}/files/view", params={"file_id": file_id}, headers=admin_headers).json()
    assert view["content_preview"] == ["id,note", '1,"x\r=1+1"', "2,'=SUM(A1)"]


def test_errors(client: TestClient, admin_headers: Headers, engine: Engine, admin: Actor) -> None:
    dataset = created(client, admin_headers, files=[("jan.csv", JAN)])
    only = dataset["files"][0]["id"]
    assert add(client, admin_headers, [("x.txt", b"x")]).status_code == 422  # neither dataset_id nor kind
    both = add(client, admin_headers, [("x.txt", b"x")], kind="code", dataset_id=dataset["dataset_id"])
    assert both.status_code == 422
    assert add(client, admin_headers, [("x.txt", b"x")], kind="dataset").status_code == 422
    bad = add(
        client, admin_headers, [("b.csv", b"id,amount\nx,1\n")], dataset_id=dataset["dataset_id"], on_problems="reject"
    )
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "id"
    assert client.delete(f"{API}/files/delete/{only}", headers=admin_headers).status_code == 409  # its only file
    parquet = engine.datasets.get(admin, dataset["dataset_id"]).file_id
    assert client.delete(f"{API}/files/delete/{parquet}", headers=admin_headers).status_code == 409
    missing = "00000000-0000-0000-0000-000000000000"
    for method, url, params in [
        ("GET", f"{API}/files/view", {"file_id": missing}),
        ("GET", f"{API}/files/download/", {"file_id": missing}),
        ("GET", f"{API}/files/get_file_by_id/", {"file_id": missing}),
        ("GET", f"{API}/files/list", {"dataset_id": missing}),
        ("DELETE", f"{API}/files/delete/{missing}", {}),
    ]:
        assert client.request(method, url, params=params, headers=admin_headers).status_code == 404, url
    assert add(client, admin_headers, [("m.csv", MAR)], dataset_id=missing).status_code == 404
    path = client.get(f"{API}/files/download/", params={"file_path": "/etc/passwd"}, headers=admin_headers)
    assert path.status_code == 422  # files are read by id only


def test_another_tenant_gets_404_and_a_viewer_cannot_write(
    client: TestClient, admin_headers: Headers, viewer_headers: Headers, outsider_headers: Headers
) -> None:
    body = created(client, admin_headers)
    dataset_id, file_id = body["dataset_id"], body["files"][0]["id"]
    for method, url, params in [
        ("GET", f"{API}/files/view", {"file_id": file_id}),
        ("GET", f"{API}/files/download/", {"file_id": file_id}),
        ("GET", f"{API}/files/get_file_by_id/", {"file_id": file_id}),
        ("GET", f"{API}/files/list", {"dataset_id": dataset_id}),
        ("DELETE", f"{API}/files/delete/{file_id}", {}),
    ]:
        assert client.request(method, url, params=params, headers=outsider_headers).status_code == 404, url
    assert add(client, outsider_headers, [("m.csv", MAR)], dataset_id=dataset_id).status_code == 404
    assert client.get(f"{API}/files/list", headers=outsider_headers).json()["total"] == 0
    assert client.get(f"{API}/files/view", params={"file_id": file_id}, headers=viewer_headers).status_code == 200
    assert add(client, viewer_headers, [("m.csv", MAR)], dataset_id=dataset_id).status_code == 403
    assert add(client, viewer_headers, [("n.txt", b"n")], kind="other").status_code == 403
    assert client.delete(f"{API}/files/delete/{file_id}", headers=viewer_headers).status_code == 403
