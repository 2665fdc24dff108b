"""Seed 004 §11: the datalake routes — schemas, tables, columns, metadata, numeric stats, distinct counts — plus
snapshots, previews and the query box; 401 / 403 / 404 / 422 and another tenant's tables as 404."""

from __future__ import annotations

import statistics
from typing import Any

import pytest
from fastapi.testclient import TestClient

from core import Actor, Engine
from tests.api.conftest import API

CSV = b"city,people,area\nLyon,520,47.9\nNice,340,71.9\nParis,2100,105.4\nLille,230,34.8\n"
Headers = dict[str, str]
TABLE = {"schema_name": "silver", "table_name": "cities"}


def _cities(engine: Engine, admin: Actor) -> None:
    engine.datasets.upload(admin, name="cities", filename="cities.csv", data=CSV)


def get(client: TestClient, path: str, headers: Headers, **params: Any) -> Any:
    return client.get(f"{API}/datalake/{path}", params=params, headers=headers)


def test_browse_schemas_tables_columns_and_metadata(
    client: TestClient, engine: Engine, admin: Actor, viewer_headers: Headers
) -> None:
    _cities(engine, admin)
    assert get(client, "schemas", viewer_headers).json() == ["bronze", "silver", "gold"]
    assert get(client, "schemas/tables", viewer_headers, schema_name="silver").json() == ["cities"]
    assert get(client, "schemas/tables", viewer_headers, schema_name="gold").json() == []
    columns = get(client, "tables/columns", viewer_headers, **TABLE).json()
    assert columns == [
        {"column_name": "city", "data_type": "varchar", "note": ""},
        {"column_name": "people", "data_type": "bigint", "note": ""},
        {"column_name": "area", "data_type": "double", "note": ""},
    ]
    meta = get(client, "table_metadata", viewer_headers, **TABLE).json()
    assert {k: meta[k] for k in ("schema", "table", "owner", "format", "rows", "status")} == {
        "schema": "silver",
        "table": "cities",
        "owner": "admin",
        "format": "iceberg",
        "rows": 4,
        "status": "ready",
    }
    assert meta["location"] == f"lake/{admin.tenant_id}/silver/cities"
    assert meta["created_time"].endswith(("Z", "+00:00")) and meta["last_access_time"] >= meta["created_time"]
    [listed] = client.get(f"{API}/dataset/list", headers=viewer_headers).json()["data"]
    dataset = client.get(
        f"{API}/dataset/get_dataset_by_id", params={"dataset_id": listed["id"]}, headers=viewer_headers
    )
    assert listed["iceberg_table_name"] == dataset.json()["iceberg_table_name"] == "cities"  # seed §6


def test_numeric_stats_and_distinct_count_with_the_seeds_parameters(
    client: TestClient, engine: Engine, admin: Actor, viewer_headers: Headers
) -> None:
    _cities(engine, admin)
    stats = get(client, "numeric_stats", viewer_headers, **TABLE, column_name="people").json()
    assert stats == {
        "column": "people",
        "count": 4,
        "mean": 797.5,
        "std_dev": stats["std_dev"],
        "min": 230.0,
        "max": 2100.0,
        "median": 430.0,
    }
    assert stats["std_dev"] == pytest.approx(statistics.stdev([520, 340, 2100, 230]))
    count = get(client, "distinct-count", viewer_headers, schema="silver", table="cities", column="city").json()
    assert count == {"schema": "silver", "table": "cities", "column": "city", "distinct_count": 4}


def test_snapshots_preview_time_travel_and_query(
    client: TestClient, engine: Engine, admin: Actor, analyst_headers: Headers
) -> None:
    _cities(engine, admin)
    [dataset] = engine.datasets.list(admin)
    engine.dataset_files.add(admin, dataset.id, files=[("more.csv", b"city,people,area\nNantes,320,65.2\n")])
    snapshots = get(client, "snapshots", analyst_headers, **TABLE).json()
    assert [(s["rows_added"], s["total_rows"]) for s in snapshots] == [(4, 4), (1, 5)]
    first = get(client, "preview", analyst_headers, **TABLE, snapshot_id=snapshots[0]["snapshot_id"]).json()
    assert len(first["rows"]) == 4 and first["columns"] == ["city", "people", "area"]
    assert len(get(client, "preview", analyst_headers, **TABLE, limit=2).json()["rows"]) == 2
    body = {"sql": "SELECT city FROM silver.cities WHERE people > 400 ORDER BY city"}
    result = client.post(f"{API}/datalake/query", json=body, headers=analyst_headers).json()
    assert result["rows"] == [{"city": "Lyon"}, {"city": "Paris"}] and result["tables"] == ["silver.cities"]


def test_refusals_answer_422_with_the_reason(
    client: TestClient, engine: Engine, admin: Actor, viewer_headers: Headers
) -> None:
    _cities(engine, admin)
    for sql, reason in [
        ("SELECT * FROM read_csv('/etc/passwd')", "Table functions such as read_csv()"),
        ("COPY silver.cities TO '/tmp/out.csv'", "not COPY"),
        ("ATTACH '/tmp/x.db'", "not ATTACH"),
        ("DROP TABLE silver.cities", "not DROP"),
    ]:
        response = client.post(f"{API}/datalake/query", json={"sql": sql}, headers=viewer_headers)
        assert response.status_code == 422 and reason in response.json()["detail"], response.text
    response = get(client, "numeric_stats", viewer_headers, **TABLE, column_name="city")
    assert response.status_code == 422 and "not a numeric column" in response.json()["detail"]
    assert get(client, "schemas/tables", viewer_headers).status_code == 422  # schema_name is required
    too_many = client.post(f"{API}/datalake/query", json={"sql": "SELECT 1", "max_rows": 0}, headers=viewer_headers)
    assert too_many.status_code == 422


def test_unknown_or_another_tenants_tables_answer_404(
    client: TestClient, engine: Engine, admin: Actor, outsider_headers: Headers, viewer_headers: Headers
) -> None:
    _cities(engine, admin)
    for path, params in [
        ("tables/columns", TABLE),
        ("table_metadata", TABLE),
        ("numeric_stats", {**TABLE, "column_name": "people"}),
        ("distinct-count", {"schema": "silver", "table": "cities", "column": "city"}),
        ("snapshots", TABLE),
        ("preview", TABLE),
        ("schemas/tables", {"schema_name": "platinum"}),
    ]:
        assert get(client, path, outsider_headers, **params).status_code == 404, path
    assert get(client, "schemas/tables", outsider_headers, schema_name="silver").json() == []
    assert get(client, "table_metadata", viewer_headers, schema_name="silver", table_name="nope").status_code == 404
    assert get(client, "numeric_stats", viewer_headers, **TABLE, column_name="nope").status_code == 404
    refused = client.post(
        f"{API}/datalake/query", json={"sql": "SELECT * FROM silver.cities"}, headers=outsider_headers
    )
    assert refused.status_code == 422 and "among your tables" in refused.json()["detail"]


def test_upload_with_the_seeds_iceberg_table_name(client: TestClient, analyst_headers: Headers) -> None:
    def upload(table: str) -> Any:
        params = {"dataset_name": f"for {table}", "iceberg_table_name": table}
        files = [("files", ("cities.csv", CSV))]
        return client.post(f"{API}/dataset/upload", params=params, files=files, headers=analyst_headers)

    assert upload("city_table").status_code == 201
    assert get(client, "schemas/tables", analyst_headers, schema_name="silver").json() == ["city_table"]
    assert upload("city_table").status_code == 409
    assert upload("City Table").status_code == 422


def test_retry_needs_write_permission_and_a_token(
    client: TestClient, viewer_headers: Headers, analyst_headers: Headers
) -> None:
    assert client.post(f"{API}/datalake/retry", headers=viewer_headers).status_code == 403
    assert client.post(f"{API}/datalake/retry", headers=analyst_headers).json() == []
    assert client.get(f"{API}/datalake/schemas").status_code == 401
