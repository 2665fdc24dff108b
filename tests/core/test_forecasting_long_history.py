"""Histories longer than 292 years and dates before 1677: pandas' nanoseconds hold neither, so such series are
kept in seconds and statsforecast sees an integer index; training, forecasts, CSV and JSON keep the real dates."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from core import Actor, Engine, TrainRequest
from core.exports import safe_csv
from core.forecasting import ForecastFit, fit_select, forecast, infer_frequency, to_long


def _cycle(n: int) -> np.ndarray:
    t = np.arange(n)
    return 50 + 40 * np.sin(2 * np.pi * t / 11) + np.random.default_rng(0).normal(0, 5, n)


def test_a_yearly_series_from_1700_to_2020_trains_and_forecasts_with_correct_dates(
    engine: Engine, admin: Actor
) -> None:
    years = np.arange(1700, 2021)
    csv = pd.DataFrame({"year": years, "spots": _cycle(len(years))}).to_csv(index=False).encode()
    dataset = engine.datasets.upload(admin, name="spots", filename="spots.csv", data=csv)
    request = TrainRequest(
        dataset_id=dataset.id, name="spots", target="spots", problem_type="forecast", time_column="year"
    )
    job = engine.training.submit(admin, request)
    assert job.status == "succeeded", job.error
    assert job.result is not None
    model_id = job.result["model_id"]
    history = engine.forecasts.history(admin, model_id)
    assert history["ds"].iloc[0] == pd.Timestamp("1700-01-01") and history["ds"].iloc[-1] == pd.Timestamp("2020-01-01")
    frame = engine.forecasts.forecast(admin, model_id, steps=5)
    assert list(frame["ds"].dt.year) == [2021, 2022, 2023, 2024, 2025]
    assert frame["forecast"].between(-50, 150).all() and (frame["lo-95"] < frame["hi-95"]).all()
    done = engine.forecasts.submit(admin, model_id, steps=3)
    assert list(engine.forecasts.result(admin, done.id)["ds"].dt.year) == [2021, 2022, 2023]
    summary = engine.forecasts.summary(admin, model_id)
    assert summary.freq == "YS" and summary.cv["ds"].dt.year.max() == 2020


def test_monthly_dates_before_1677_survive_training_forecast_json_and_csv() -> None:
    months = pd.date_range("1500-01-01", periods=120, freq="MS", unit="s")
    table = pd.DataFrame({"month": months.strftime("%Y-%m-%d"), "value": _cycle(120)})
    long = to_long(table, "month", "value")
    assert long["ds"].iloc[0] == pd.Timestamp("1500-01-01") and infer_frequency(long) == "MS"
    fit = ForecastFit.from_dict(fit_select(long, "MS", 12, 6).to_dict())
    assert fit.cv["ds"].min() == pd.Timestamp("1508-07-01")
    frame = forecast(long, fit, 14)
    assert frame["ds"].iloc[0] == pd.Timestamp("1510-01-01") and frame["ds"].iloc[-1] == pd.Timestamp("1511-02-01")
    back = pd.read_csv(io.BytesIO(safe_csv(frame)))
    assert back["ds"].iloc[0].startswith("1510-01-01")
