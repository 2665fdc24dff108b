"""Train page, Forecast mode, on a daily weather table: the value to forecast and the predictor name the analyst
chose survive reruns, switching the problem type away and back, and leaving the page; the job trains on them."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import TIMEOUT, choose, click, fill, first_admin, open_page, shot, wait_idle, workspace

pytestmark = pytest.mark.e2e


def weather_csv(days: int = 120) -> bytes:
    """Seattle-weather's shape: a date and four numbers, ``wind`` last (the old default value to forecast)."""
    rng = np.random.default_rng(7)
    t = np.arange(days)
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2015-01-01", periods=days, freq="D").strftime("%Y-%m-%d"),
            "precipitation": rng.gamma(0.6, 4.0, days).round(1),
            "temp_max": (12 + 8 * np.sin(t / 58) + rng.normal(0, 2, days)).round(1),
            "temp_min": (5 + 6 * np.sin(t / 58) + rng.normal(0, 2, days)).round(1),
            "wind": rng.gamma(3.0, 1.2, days).round(1),
        }
    )
    return frame.to_csv(index=False).encode()


def test_forecast_choices_survive_reruns_mode_switches_and_leaving_the_page(  # type: ignore[no-untyped-def]
    server, browser, shots: Path
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(server.url)
    first_admin(page, demo=False)
    engine, chief = workspace(server.home)
    engine.datasets.upload(chief, name="weather", filename="weather.csv", data=weather_csv())

    open_page(page, "Train")
    choose(page, "Dataset", re.compile(r"^weather · 120 rows"))
    page.get_by_role("radio", name="Forecast (a time series)").click()
    wait_idle(page)
    value = page.get_by_role("combobox", name="Value to forecast", exact=True)
    name = page.get_by_label("Predictor name", exact=True)
    choose(page, "Value to forecast", "temp_max")
    fill(page, "Predictor name", "weather max temperature")
    fill(page, "Season length (0: inferred)", "7")  # one more rerun
    expect(value).to_have_value("temp_max", timeout=TIMEOUT)
    expect(name).to_have_value("weather max temperature")

    page.get_by_role("radio", name="Automatic").click()  # the forecast widgets are not drawn in this run
    wait_idle(page)
    page.get_by_role("radio", name="Forecast (a time series)").click()
    wait_idle(page)
    expect(value).to_have_value("temp_max", timeout=TIMEOUT)
    expect(name).to_have_value("weather max temperature")

    open_page(page, "Jobs")
    open_page(page, "Train")
    expect(value).to_have_value("temp_max", timeout=TIMEOUT)
    expect(name).to_have_value("weather max temperature")
    expect(page.get_by_label("Season length (0: inferred)", exact=True)).to_have_value("7")
    expect(
        page.get_by_text(
            re.compile(
                r"^The job will train: a forecast of temp_max over date \(inferred frequency D, season length 7,"
            )
        )
    ).to_be_visible()
    shot(page, shots, "01-forecast-form-after-coming-back")

    click(page, "Train")
    expect(page.get_by_text(re.compile(r"^Submitted: a forecast of temp_max over date"))).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "02-submitted")
    job = engine.jobs.list(chief)[0]
    assert (job.params["target"], job.params["name"], job.params["season_length"]) == (
        "temp_max",
        "weather max temperature",
        7,
    )
