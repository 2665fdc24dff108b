"""First admin with the demo data → two versions of an iris model trained through the engine → Registry: point
``champion`` at v1 → Deployments: deploy following ``champion``, try it, see the operations log → Drift: upload a
copy of the training data with one column shifted by 5 σ, see that column (only) drifted → download the model card."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Locator, expect

from core.entities import TrainRequest
from tests.e2e.helpers import (
    TIMEOUT,
    choose,
    click,
    csv_file,
    dataset_id,
    first_admin,
    open_page,
    shot,
    trained,
    upload,
    wait_idle,
    workspace,
)

pytestmark = pytest.mark.e2e

IRIS = Path(__file__).resolve().parents[2] / "data" / "samples" / "iris.csv"
SHIFTED, STEADY = "petal_length_cm", "sepal_width_cm"


def _seed(home: Path) -> None:
    """Two versions of ``iris`` (training has its own page and test); v2 is the newest, v1 will be champion."""
    engine, chief = workspace(home)
    try:
        request = TrainRequest(
            dataset_id=dataset_id(engine, chief, "iris"), name="iris", target="species", time_budget_s=2
        )
        for _ in range(2):
            trained(engine, chief, request)
    finally:
        engine.close()


def _shifted_csv() -> str:
    iris = pd.read_csv(IRIS)
    iris[SHIFTED] = iris[SHIFTED] + 5 * iris[SHIFTED].std()
    buffer = io.StringIO()
    iris.to_csv(buffer, index=False)
    return buffer.getvalue()


def _verdict(grid: Locator, column: str) -> Locator:
    """The "drifted" cell of ``column`` in the drift table (the grid's cells are in the DOM, inside its canvas)."""
    drifted = grid.locator('thead th:text-is("drifted")').get_attribute("aria-colindex")
    row = f'tbody tr:has(td[aria-colindex="1"]:text-is("{column}"))'
    return grid.locator(f'{row} td[aria-colindex="{drifted}"]')


def test_promote_deploy_try_drift_and_card(server, browser, shots: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1400, "height": 2200}, accept_downloads=True)
    page.goto(server.url)
    first_admin(page)
    _seed(server.home)

    open_page(page, "Registry")
    shot(page, shots, "01-registry")
    alias_form = page.get_by_test_id("stForm").filter(has_text="Point the alias at this version")
    alias_form.get_by_role("combobox", name="Version", exact=True).click()
    page.get_by_role("option", name="1", exact=True).click()
    wait_idle(page)
    click(page, "Point the alias at this version")
    aliases = page.get_by_test_id("stTabs")
    expect(aliases.get_by_text("champion → v1", exact=True)).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "02-champion")

    open_page(page, "Deployments")
    page.get_by_text("Deploy a model", exact=True).click()
    wait_idle(page)
    form = page.get_by_test_id("stForm").filter(has_text="Deploy")
    form.get_by_label("Follow an alias (champion, latest, …); empty: pin the newest version").fill("champion")
    form.get_by_label("Name", exact=True).fill("iris-prod")
    shot(page, shots, "03-deploy-form")
    click(page, "Deploy")
    expect(page.get_by_text("follows champion")).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "04-deployed")
    answer = page.get_by_text(re.compile(r"^Prediction \(iris v1, \d+ ms\): (setosa|versicolor|virginica)$"))
    log = page.get_by_test_id("stDataFrame").filter(has_text="latency (ms)")
    for calls in (1, 2):
        click(page, "Predict")
        expect(answer).to_be_visible(timeout=TIMEOUT)
        expect(log.locator('td:text-is("served")')).to_have_count(calls, timeout=TIMEOUT)
    expect(log.locator('td:text-is("iris v1")')).to_have_count(2)  # the champion, not the newest version
    expect(page.get_by_text("Latency of answered calls").first).to_be_visible(timeout=TIMEOUT)  # title and hover copy
    shot(page, shots, "05-tried")

    open_page(page, "Drift")
    shot(page, shots, "06-drift-page")
    upload(
        page,
        "Compare a file (CSV, Excel, Parquet); empty: the deployment's recent inputs",
        [csv_file("shifted.csv", _shifted_csv())],
    )
    click(page, "Run a drift check")
    expect(page.get_by_text(f"Drifted: {SHIFTED}")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text(re.compile(r"did not drift: 25% of columns drifted"))).to_be_visible()
    grid = page.get_by_test_id("stDataFrame").filter(has_text="drifted below / above")
    expect(_verdict(grid, SHIFTED)).to_have_text("true", timeout=TIMEOUT)
    expect(_verdict(grid, STEADY)).to_have_text("false")
    shot(page, shots, "07-drift-result")

    open_page(page, "Registry")
    choose(page, "Version (card and notes)", "iris v1")
    with page.expect_download(timeout=TIMEOUT) as caught:
        page.get_by_role("button", name="Model card (Markdown)").click()
    card = tmp_path / "card.md"
    caught.value.save_as(card)
    text = card.read_text()
    assert text.startswith("# Model card: iris v1\n"), text[:200]
    assert "Aliases: champion" in text and "| iris-prod | running | champion |" in text
    assert f"{SHIFTED} drifted" in text and "| feature | mean abs. SHAP |" in text
