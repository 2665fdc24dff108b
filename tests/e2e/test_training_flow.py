"""First admin with the demo data → Train iris with a small budget → watch progress → model summary with the
confusion matrix → feature importance chart → download the model schema JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import TIMEOUT, choose, click, fill, first_admin, open_page, shot, wait_idle

pytestmark = pytest.mark.e2e


def test_train_iris_watch_progress_read_summary_and_download_schema(  # type: ignore[no-untyped-def]
    server, browser, shots: Path, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 2200}, accept_downloads=True)
    page.goto(server.url)
    first_admin(page)

    open_page(page, "Train")
    choose(page, "Dataset", re.compile(r"^iris · 150 rows"))
    expect(page.get_by_text("Automatic choice:")).to_be_visible(timeout=TIMEOUT)
    fill(page, "Time budget (seconds)", "6")
    wait_idle(page)
    shot(page, shots, "01-train-form")
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_text(re.compile(r"candidate \d+: \w+"))).to_be_visible(
        timeout=TIMEOUT
    )  # the search proposes until the budget ends
    page.screenshot(path=str(shots / "02-progress.png"), full_page=True)  # mid-run: no waiting for idle
    expect(page.get_by_text("Train iris species model on iris: finished.")).to_be_visible(timeout=90_000)
    shot(page, shots, "03-finished")

    click(page, "Open the model summary")
    expect(page.get_by_text("iris species model v1 — classification of species")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Confusion matrix (held-out rows)")).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "04-summary")
    page.set_viewport_size({"width": 1400, "height": 3400})  # the page scrolls inside its own container
    shot(page, shots, "05-whole-summary")
    page.set_viewport_size({"width": 1400, "height": 2200})

    page.get_by_role("tab", name="Feature importance").click()
    expect(page.get_by_text(re.compile(r"Feature importance \(top 4\)"))).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("SHAP value of every explained row")).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "06-importance")

    page.get_by_role("tab", name="Schema, files & delete").click()
    with page.expect_download(timeout=TIMEOUT) as caught:
        page.get_by_role("button", name="Download the model schema (JSON)").click()
    target = tmp_path / "schema.json"
    caught.value.save_as(target)
    schema = json.loads(target.read_text())
    assert (schema["model"], schema["target"], schema["problem_type"]) == (
        "iris species model v1",
        "species",
        "classification",
    )
    assert schema["classes"] == ["setosa", "versicolor", "virginica"]
    assert [f["name"] for f in schema["features"]] == [
        "sepal_length_cm",
        "sepal_width_cm",
        "petal_length_cm",
        "petal_width_cm",
    ]
    shot(page, shots, "07-files")
