"""A real uvicorn process started with the documented command, driven by the seed's own curl examples."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core import Engine
from tests.api.live_server import live_api
from tests.conftest import ADMIN_PASSWORD


@pytest.fixture
def server(home: Path) -> Iterator[str]:
    engine = Engine.open(home=home, runner="inline")
    engine.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
    engine.close()
    with live_api(home) as live:
        yield live.base
    log = live.log[0]
    assert ADMIN_PASSWORD not in log
    assert "refresh_token=***" in log and "refresh_token=ey" not in log  # the access log redacts tokens


def _curl(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        ["curl", "--silent", "--show-error", "--fail-with-body", *args], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout)  # type: ignore[no-any-return]


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_seed_curl_examples_against_a_live_server(server: str, tmp_path: Path) -> None:
    # seed 004 §1.1, with our administrator's password
    tokens = _curl(
        "--location",
        "--request",
        "POST",
        f"{server}/api/v1/login/access-token",
        "--header",
        "Content-Type: application/x-www-form-urlencoded",
        "--data-urlencode",
        "username=admin",
        "--data-urlencode",
        f"password={ADMIN_PASSWORD}",
    )
    auth = f"Authorization: Bearer {tokens['access_token']}"
    # seed 004 §5.1, as given
    template = _curl(
        "--location",
        "--request",
        "POST",
        f"{server}/api/v1/template/",
        "--header",
        auth,
        "--header",
        "Content-Type: application/json",
        "--data-raw",
        """{
"template_name": "Telecom Customer Usage",
"template_schema": [
{"column_name": "CustomerID", "data_type": "String", "default_value": "CUST-0000"},
{"column_name": "DataUsageGB", "data_type": "Float", "default_value": "0.0"}
]
}""",
    )
    assert template["no_of_columns"] == 2
    listed = _curl("--location", "--request", "GET", f"{server}/api/v1/template/list", "--header", auth)
    assert listed["total"] == 1
    # seed 004 §6.1, with our template's id and a file of its columns
    data = tmp_path / "network_congestion_dataset.csv"
    data.write_text("CustomerID,DataUsageGB\nCUST-0001,10.5\nCUST-0002,2.1\n")
    uploaded = _curl(
        "--location",
        "--request",
        "POST",
        f"{server}/api/v1/dataset/upload?dataset_name=forecast-p11&template_id={template['id']}&usage=p",
        "--header",
        auth,
        "--form",
        f'files=@"{data}"',
    )
    assert uploaded["dataset_name"] == "forecast-p11" and uploaded["files"][0]["total_records"] == 2
    assert uploaded["files"][0]["error_report"] is None
    # seed 004 §6.2
    datasets = _curl("--location", "--request", "GET", f"{server}/api/v1/dataset/list", "--header", auth)
    assert [(d["dataset_name"], d["usage"], d["file_count"]) for d in datasets["data"]] == [
        ("forecast-p11", "prediction", 1)
    ]
    # seed 004 §1.3, token in the query string (redacted in the access log)
    refreshed = _curl(
        "--location", "--request", "POST", f"{server}/api/v1/refresh?refresh_token={tokens['refresh_token']}"
    )
    assert refreshed["access_token"] != tokens["access_token"]
    docs = urllib.request.urlopen(f"{server}/api/v1/docs").read().decode()  # noqa: S310 (our server)
    assert "/api/v1/docs-static/swagger-ui-bundle.js" in docs
