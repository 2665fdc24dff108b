"""First admin with the demo data → Train page: forecast AirPassengers (time column month, value passengers) → watch
progress → Forecast page: 12 steps → chart → download the CSV and check its rows → the model view."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import TIMEOUT, choose, click, fill, first_admin, open_page, shot, wait_idle

pytestmark = pytest.mark.e2e


def test_train_air_passengers_forecast_12_steps_see_chart_and_download_csv(  # type: ignore[no-untyped-def]
    server, browser, shots: Path, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1800}, accept_downloads=True)
    page.goto(server.url)
    first_admin(page)

    open_page(page, "Train")
    choose(page, "Dataset", re.compile(r"^air_passengers · 144 rows"))
    page.get_by_role("radio", name="Forecast (a time series)").click()
    wait_idle(page)
    expect(page.get_by_role("combobox", name="Time column", exact=True)).to_have_value("month", timeout=TIMEOUT)
    expect(page.get_by_role("combobox", name="Value to forecast", exact=True)).to_have_value("passengers")
    expect(
        page.get_by_text(re.compile(r"1 series of 144 points; frequency MS \(inferred\), season length 12"))
    ).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "01-train-forecast-form")
    page.get_by_role("button", name="Train", exact=True).click()
    working = page.get_by_text(
        re.compile(r"Train air_passengers passengers forecast on air_passengers: (preparing|Cross-valid)")
    )
    expect(working.or_(page.get_by_text(re.compile(r"model on air_passengers: finished")))).to_be_visible(
        timeout=60_000
    )
    page.screenshot(path=str(shots / "02-progress.png"), full_page=True)  # mid-run: no waiting for idle
    expect(page.get_by_text("Train air_passengers passengers forecast on air_passengers: finished.")).to_be_visible(
        timeout=180_000  # ~15 s alone; minutes beside another test worker's training on two cores
    )
    headline = re.compile(r"CV MASE 0\.\d+ \(cross-validation error\) averaged over 1 series")
    expect(page.get_by_text(headline)).to_be_visible()
    shot(page, shots, "03-trained")

    click(page, "Open the forecast")
    expect(page.get_by_role("combobox", name="Forecast model", exact=True)).to_have_value(
        re.compile(r"^air_passengers passengers forecast v1 · passengers · 1 series"), timeout=TIMEOUT
    )
    fill(page, "Steps ahead", "12")
    wait_idle(page)
    click(page, "Forecast")
    expect(
        page.get_by_text(
            re.compile(r"Forecast passengers, 12 steps, with air_passengers passengers forecast v1: finished")
        )
    ).to_be_visible(timeout=60_000)
    expect(page.get_by_text(re.compile(r"^passengers: .+, 12 steps ahead$"))).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    shot(page, shots, "04-forecast")

    with page.expect_download(timeout=TIMEOUT) as caught:
        page.get_by_role("button", name="Download the forecast (CSV)").click()
    target = tmp_path / "forecast.csv"
    caught.value.save_as(target)
    frame = pd.read_csv(target, parse_dates=["month"])  # the dataset's own column names, as on screen
    assert list(frame.columns) == ["unique_id", "month", "model", "forecast", "lo-80", "hi-80", "lo-95", "hi-95"]
    assert len(frame) == 12 and set(frame["unique_id"]) == {"passengers"}
    assert list(frame["month"]) == list(pd.date_range("1961-01-01", periods=12, freq="MS"))
    assert ((frame["lo-95"] < frame["lo-80"]) & (frame["hi-80"] < frame["hi-95"])).all()

    page.get_by_role("tab", name="Model: leaderboard & cross-validation").click()
    expect(page.get_by_text("Selected (per series)").first).to_be_visible(timeout=TIMEOUT)
    expect(
        page.get_by_text("passengers: cross-validation forecasts of air_passengers passengers forecast v1")
    ).to_be_visible()
    page.set_viewport_size({"width": 1400, "height": 2700})  # Streamlit scrolls inside the page: show it all
    shot(page, shots, "05-model-view")
