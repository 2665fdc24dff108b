"""Models page links: "Open the model summary" from the Train page, a bookmark and a reload open the model that was
chosen, not the first one in the list (the chosen model travels in the URL). On the way, the Train page's default
name names the target, and a name taken by a predictor of another target is refused before training."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.entities import TrainRequest
from tests.e2e.helpers import (
    TIMEOUT,
    choose,
    click,
    dataset_id,
    fill,
    first_admin,
    open_page,
    shot,
    trained,
    wait_idle,
    workspace,
)

pytestmark = pytest.mark.e2e


def test_links_reloads_and_bookmarks_open_the_chosen_model(server, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(server.url)
    first_admin(page)
    engine, chief = workspace(server.home)
    iris = dataset_id(engine, chief, "iris")
    first = trained(engine, chief, TrainRequest(iris, "aaa first", "species", time_budget_s=2, explain=False))
    petals = TrainRequest(iris, "zzz petals", "petal_width_cm", time_budget_s=2, explain=False)
    second = trained(engine, chief, petals)

    page.goto(f"{server.url}/models?model={second}")  # a bookmark
    heading = page.get_by_role("heading", name=re.compile(r" v1 — "))
    expect(heading).to_have_text("zzz petals v1 — regression of petal_width_cm", timeout=TIMEOUT)
    page.reload()
    expect(heading).to_have_text("zzz petals v1 — regression of petal_width_cm", timeout=TIMEOUT)
    choose(page, "Predictor", "aaa first")
    expect(heading).to_have_text("aaa first v1 — classification of species", timeout=TIMEOUT)
    assert f"model={first}" in page.url
    shot(page, shots, "01-models")

    open_page(page, "Train")
    choose(page, "Dataset", re.compile(r"^iris · 150 rows"))
    name = page.get_by_label("Predictor name", exact=True)
    expect(name).to_have_value("iris species model", timeout=TIMEOUT)
    choose(page, "Column to predict (target)", "petal_width_cm")  # a regressor is another predictor
    expect(name).to_have_value("iris petal_width_cm model")
    fill(page, "Predictor name", "aaa first")  # the species classifier's name
    expect(page.get_by_text("The name 'aaa first' is taken by a classification of 'species'")).to_be_visible()
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_disabled()
    shot(page, shots, "02-name-taken")
    choose(page, "Column to predict (target)", "species")
    fill(page, "Predictor name", "iris species model")
    fill(page, "Time budget (seconds)", "2")
    page.get_by_text("Compute feature importance (SHAP) after training").click()
    wait_idle(page)
    click(page, "Train")
    expect(page.get_by_role("button", name="Open the model summary")).to_be_visible(timeout=120_000)
    click(page, "Open the model summary")
    expect(heading).to_have_text("iris species model v1 — classification of species", timeout=TIMEOUT)
    page.reload()
    expect(heading).to_have_text("iris species model v1 — classification of species", timeout=TIMEOUT)
    shot(page, shots, "03-opened-from-train")
