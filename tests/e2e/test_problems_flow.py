"""First admin with the demo data → iris split (in the test process) into hidden test rows, training rows and
rows to predict → Problems: create the problem on the test rows, add two algorithms and the training data, watch
the six learning tasks finish (process jobs), read the leaderboard and its plot, predict with the best model."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from core import ColumnSpec
from tests.e2e.helpers import TIMEOUT, choose, click, first_admin, shot, wait_idle, workspace

pytestmark = pytest.mark.e2e

IRIS = Path(__file__).resolve().parents[2] / "data" / "samples" / "iris.csv"


def _seed(home: Path) -> None:
    engine, chief = workspace(home)
    try:
        iris = pd.read_csv(IRIS).sample(frac=1.0, random_state=0).reset_index(drop=True)
        columns = [ColumnSpec(c, "float") for c in iris.columns[:-1]] + [ColumnSpec("species", "string")]
        template = engine.templates.create(chief, "iris columns", columns)
        for name, rows in (("iris-test", iris[:30]), ("iris-train", iris[30:150]), ("iris-new", iris[:20])):
            data = rows.to_csv(index=False).encode()
            engine.datasets.upload(chief, name=name, filename=f"{name}.csv", data=data, template_id=template.id)
    finally:
        engine.close()


def _form(page: Page, submit: str):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name=submit, exact=True))


def _multi(page: Page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    wait_idle(page)


def _algorithm(page: Page, name: str, family: str, settings: str) -> None:
    form = _form(page, "Add the algorithm")
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_role("combobox", name="Algorithm", exact=True).click()
    page.get_by_role("option", name=family, exact=True).click()
    form.get_by_label("Settings", exact=False).fill(settings)
    click(page, "Add the algorithm")
    expect(page.get_by_test_id("stDataFrame").filter(has_text="settings").first).to_contain_text(name, timeout=TIMEOUT)


def test_create_a_problem_add_algorithms_and_data_watch_tasks_read_the_leaderboard_and_predict(
    server, browser, shots: Path
) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1400, "height": 1800}, accept_downloads=True)
    page.goto(server.url)
    first_admin(page, demo=False)
    _seed(server.home)

    page.goto(f"{server.url}/problems")
    expect(page.get_by_role("heading", name="Problems")).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    choose(page, "Template", "iris columns")
    form = _form(page, "Create the problem")
    form.get_by_label("Name", exact=True).fill("Iris species")
    form.get_by_label("What to predict and why", exact=True).fill("The species of a flower from its measures.")
    form.get_by_role("combobox", name="Target", exact=True).click()
    page.get_by_role("option", name="species", exact=True).click()
    form.get_by_label("Rows per mini-batch", exact=True).fill("40")
    _multi(page, "Test data (hidden from submitters)", "iris-test")
    shot(page, shots, "problems-01-create")
    click(page, "Create the problem")
    expect(page.get_by_text("scored by accuracy (higher is better)", exact=False)).to_be_visible(timeout=TIMEOUT)

    page.get_by_role("tab", name="Algorithms", exact=True).click()
    _algorithm(page, "logistic", "linear", '{"C": 0.5}')
    _algorithm(page, "forest", "random_forest", '{"n_estimators": 20}')
    page.get_by_role("tab", name="Data", exact=True).click()
    _multi(page, "Training data", "iris-train")
    click(page, "Attach")

    page.get_by_role("tab", name="Tasks", exact=True).click()
    expect(page.get_by_text("6 of 6 learning tasks finished")).to_be_visible(timeout=4 * TIMEOUT)
    wait_idle(page)
    shot(page, shots, "problems-02-tasks")
    page.get_by_role("tab", name="Leaderboard", exact=True).click()
    expect(page.get_by_text("Best model: Iris species v", exact=False)).to_be_visible(timeout=TIMEOUT)
    board = page.get_by_test_id("stDataFrame").filter(has_text="best accuracy")
    expect(board).to_contain_text("forest")
    expect(board).to_contain_text("logistic")
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()
    shot(page, shots, "problems-03-leaderboard")

    page.get_by_role("tab", name="Predict", exact=True).click()
    choose(page, "Data to predict", "iris-new")
    click(page, "Predict with the best model")
    expect(page.get_by_role("button", name="Download the latest result (iris-new)")).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "problems-04-predicted")
