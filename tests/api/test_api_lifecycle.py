"""The whole lifecycle against a live ``python -m api`` with the process runner, through ``api.client``: sign in,
upload, train, poll the job, a form prediction with its explanation, a batch prediction whose CSV agrees with it, a
forecast with intervals, and an ELF sample attributed by every model."""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from api.client import ApiError, DataMLClient
from core import Engine
from tests.api.live_server import live_api
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD, make_user
from tests.core.test_attribution_rerun import build_small_library, elf

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


@pytest.fixture
def dml(home: Path) -> Iterator[DataMLClient]:
    engine = Engine.open(home=home, runner="inline")
    admin = engine.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
    make_user(engine, admin, "ana", "analyst")
    build_small_library(engine, admin)  # the seeds have no route that builds a reference library
    engine.close()
    with live_api(home, runner="process") as live, DataMLClient(live.base, timeout=120) as client:
        yield client


def test_sign_in_upload_train_predict_batch_forecast_and_attribute(dml: DataMLClient) -> None:
    dml.sign_in("ana", USER_PASSWORD)
    iris = pd.read_csv(SAMPLES / "iris.csv")
    dataset = dml.upload_dataset(SAMPLES / "iris.csv", name="iris")
    training = dml.train(dataset["dataset_id"], "iris", target="species", time_budget_s=3, algorithm="random_forest")
    assert training["status"] in ("queued", "training")
    job = dml.wait(training["job_id"], timeout=300)
    assert job["result_ids"]["model_id"]

    features = iris.drop(columns="species").iloc[0].to_dict()
    case = dml.predict(training["id"], features, explain=True)
    assert case["prediction"] == "setosa" and set(case["probabilities"]) == set(iris["species"])
    explanation = case["explanation"]
    total = explanation["base_value"] + sum(explanation["contributions"].values())
    assert total == pytest.approx(explanation["model_output"], abs=1e-6)
    assert set(explanation["contributions"]) == set(features)

    unlabelled = iris.drop(columns="species").head(5).to_csv(index=False).encode()
    to_score = dml.upload_dataset("to_score.csv", data=unlabelled, usage="prediction")
    batch = dml.wait(dml.batch_predict(training["id"], to_score["dataset_id"])["job_id"], timeout=300)
    scored = pd.read_csv(io.BytesIO(dml.download(batch["result_ids"]["file_id"])))
    assert len(scored) == 5 and scored["prediction"].iloc[0] == case["prediction"]
    assert scored["probability_setosa"].iloc[0] == pytest.approx(case["probabilities"]["setosa"], abs=1e-9)

    air = dml.upload_dataset(SAMPLES / "air_passengers.csv", name="air")
    forecaster = dml.train(air["dataset_id"], "air", target="passengers", problem_type="forecast", time_column="month")
    dml.wait(forecaster["job_id"], timeout=300)
    forecast = dml.forecast(forecaster["id"], 6, levels=[80, 95])
    assert forecast["rows"] == 6 and forecast["forecast"][0]["date"] == "1961-01-01"
    for point in forecast["forecast"]:
        low80, low95 = (i["lower"] for i in point["intervals"])
        high80, high95 = (i["upper"] for i in point["intervals"])
        assert low95 <= low80 <= point["value"] <= high80 <= high95

    sample = elf("lifecycle")
    submitted = dml.json("POST", "/attribution/sample", files={"sample": ("tool.bin", sample)})
    assert submitted["sample_id"] == hashlib.sha256(sample).hexdigest()
    deadline = time.monotonic() + 300
    while True:
        status = dml.json("GET", f"/attribution/status/{submitted['sample_id']}")["status"]
        if all(state in ("done", "failed", "not_applicable") for state in status.values()):
            break
        assert time.monotonic() < deadline, status
        time.sleep(1)
    assert "failed" not in status.values(), status
    results = dml.json("GET", f"/attribution/results/{submitted['sample_id']}")
    assert results  # the consensus first, then each model's answer (shapes: test_api_attribution)

    with pytest.raises(ApiError) as refused:
        dml.predict(training["id"], {"petal_colour": "blue"})
    assert refused.value.status == 422 and refused.value.detail
