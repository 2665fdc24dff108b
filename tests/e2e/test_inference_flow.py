"""First admin with the demo data → a model trained through the engine → form prediction with its explanation
→ "what if" → batch upload scored by a worker process → download the CSV."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core import Engine
from core.entities import TrainRequest
from tests.e2e.helpers import TIMEOUT, click, csv_file, fill, first_admin, open_page, shot, upload, wait_idle

pytestmark = pytest.mark.e2e

BATCH = "sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,plant\n" + "".join(
    f"{5.0 + i / 10:.1f},{3.0 + (i % 4) / 10:.1f},{1.3 + i / 4:.2f},{0.2 + i / 10:.1f},p{i}\n" for i in range(25)
)


def _train_iris(home: Path) -> None:
    """Training has its own page (another issue); here the engine trains against the server's workspace."""
    eng = Engine.open(home=home, runner="inline")
    try:
        chief = eng.users.authenticate("chief", "chief-pass-123")
        iris = next(d for d in eng.datasets.list(chief) if d.name == "iris")
        job = eng.training.submit(
            chief, TrainRequest(dataset_id=iris.id, name="iris", target="species", time_budget_s=1, explain=False)
        )
        assert job.status == "succeeded", job.error
    finally:
        eng.close()


def test_form_prediction_what_if_and_batch_download(server, browser, shots: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1400, "height": 2200}, accept_downloads=True)
    page.goto(server.url)
    first_admin(page)
    _train_iris(server.home)

    open_page(page, "Predict one case")
    click(page, "Predict")
    value = page.get_by_test_id("stMetricValue").first
    expect(value).to_be_visible(timeout=TIMEOUT)
    first = value.inner_text()
    expect(page.get_by_text("Why", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(2, timeout=TIMEOUT)  # probabilities, explanation
    shot(page, shots, "01-form-prediction")

    fill(page, "petal_length_cm", "1.3")
    fill(page, "petal_width_cm", "0.2")
    click(page, "Predict")
    expect(value).not_to_have_text(first, timeout=TIMEOUT)
    assert value.inner_text() == "setosa"
    expect(page.get_by_label("petal_length_cm", exact=True)).to_have_value("1.3")
    shot(page, shots, "02-what-if")

    open_page(page, "Batch predictions")
    shot(page, shots, "03-batch-page")
    page.get_by_text("A file", exact=True).click()
    wait_idle(page)
    upload(page, "File to score", [csv_file("new-plants.csv", BATCH)])
    click(page, "Score")
    expect(page.get_by_text("Score new-plants.csv with iris v1: finished.")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Ignored columns not used by the model: plant.")).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "04-batch-result")

    with page.expect_download(timeout=TIMEOUT) as caught:
        page.get_by_role("button", name="Download new-plants-scored-iris-v1.csv", exact=False).click()
    saved = tmp_path / "scored.csv"
    caught.value.save_as(saved)
    with saved.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 25 and [r["plant"] for r in rows] == [f"p{i}" for i in range(25)]
    assert list(rows[0]) == [
        *BATCH.splitlines()[0].split(","),
        "prediction",
        "probability_setosa",
        "probability_versicolor",
        "probability_virginica",
        "input_warnings",
    ]
    # iris petals reach 6.9 cm long and 2.5 cm wide: only the last two plants lie outside what the model saw
    assert [r["plant"] for r in rows if r["input_warnings"]] == ["p23", "p24"]
    assert "petal_length_cm" in rows[23]["input_warnings"] and "petal_width_cm" in rows[24]["input_warnings"]

    open_page(page, "Predictions log")
    expect(page.get_by_test_id("stDataFrame")).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "05-predictions-log")
