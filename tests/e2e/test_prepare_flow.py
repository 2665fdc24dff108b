"""Issue 17 in the browser: upload a raw file (day-first dates, decimal commas, bad values) → Datasets → Fix →
review the proposed steps and the rows they drop → run into a new dataset → train on it → batch-score the raw
file: every raw row scored, the model's recipe applied first, the values it could not read named."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect

from tests.core.test_recipes_service import raw_orders
from tests.e2e.helpers import TIMEOUT, choose, click, csv_file, fill, first_admin, open_page, shot, upload, wait_idle

pytestmark = pytest.mark.e2e


def test_fix_prepare_train_and_score_the_raw_file(server, browser, shots: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    raw = raw_orders().to_csv(index=False)
    page = browser.new_page(viewport={"width": 1400, "height": 2000}, accept_downloads=True)
    page.goto(server.url)
    first_admin(page, demo=False)

    open_page(page, "Upload data")
    upload(page, "Data file", [csv_file("orders-raw.csv", raw)])
    click(page, "Store the dataset")
    expect(page.get_by_text("Dataset 'orders-raw' stored: 240 rows")).to_be_visible(timeout=TIMEOUT)

    open_page(page, "Datasets")
    click(page, "Fix and prepare")
    expect(page.get_by_text("Fix proposed 3 step(s)")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Cast order_day to date (day-first)")).to_be_visible()
    expect(page.get_by_text("Cast price to float (decimal comma)")).to_be_visible()
    page.get_by_role("tab", name="Removed rows (2)").click()
    shot(page, shots, "01-fix-proposed")

    fill(page, "New dataset", "orders")
    click(page, "Run on all rows")
    expect(page.get_by_text("Dataset 'orders': 238 rows, validated.")).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "02-prepared")

    click(page, "Train a model on it")
    choose(page, "Column to predict (target)", "big")
    fill(page, "Predictor name", "big orders")
    fill(page, "Time budget (seconds)", "3")
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_text(re.compile(r"Train big orders on orders: finished\."))).to_be_visible(timeout=TIMEOUT)

    open_page(page, "Batch predictions")
    page.get_by_text("A file", exact=True).click()
    wait_idle(page)
    upload(page, "File to score", [csv_file("new-orders.csv", raw)])
    click(page, "Score")
    done = r"Score new-orders.csv with big orders v1 \(raw rows prepared by the recipe 'prepare orders-raw'\)"
    done += r": finished\."
    expect(page.get_by_text(re.compile(done))).to_be_visible(timeout=TIMEOUT)
    # The raw file's bad values (the rows Fix's filter drops when preparing) are scored as missing, and said so.
    expect(page.get_by_text("price: 'lots' could not be read as a number by the recipe's cast")).to_be_visible()
    expect(page.get_by_text("order_day: 'unknown' could not be read as a date")).to_be_visible()
    shot(page, shots, "03-raw-file-scored")
    with page.expect_download(timeout=TIMEOUT) as caught:
        page.get_by_role("button", name=re.compile(r"^Download new-orders-scored")).click()
    target = tmp_path / "scored.csv"
    caught.value.save_as(target)
    scored = pd.read_csv(target)
    assert len(scored) == 240 and scored["prediction"].notna().all()
    assert scored["order_day"].iloc[0] == pd.to_datetime(raw_orders()["order_day"].iloc[0], dayfirst=True).strftime(
        "%Y-%m-%d"
    )  # the recipe's cast ran before scoring

    open_page(page, "Predict one case")
    expect(page.get_by_text("Enter the case as")).to_be_visible(timeout=TIMEOUT)
    click(page, "Predict")
    expect(page.get_by_text("Predicted big")).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "04-raw-case-predicted")
