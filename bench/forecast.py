"""Forecasting through the engine against raw StatsForecast on the same series, in the same run.

Usage: python bench/forecast.py [--series 200] [--points 120]

N monthly series (trend + yearly seasonality + noise) are uploaded as one CSV with a series column. The engine
(inline runner, a temporary workspace) trains a forecaster (``eng.training.submit``: checks, cross-validation of
AutoETS, AutoARIMA, AutoTheta, AutoCES, SeasonalNaive and Naive over 3 windows of 12 months, per-series choice
among combinations, calibration, the model row) and forecasts 12 months with 80 and 95 % intervals for every series
(``eng.inference.forecast``: refit of the chosen models, CSV result file, predictions log). The baseline is
StatsForecast itself with AutoETS, AutoARIMA, AutoTheta, AutoCES and SeasonalNaive: ``cross_validation`` (3 windows of
12, levels 80 and 95) then ``forecast`` (12 steps, levels 80 and 95). Both use the same cores (the engine's
job cores, at most 2). Prints both times and the ratio engine / raw (target ≤ 1.2).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path[0] = str(Path(__file__).resolve().parents[1])  # repo root, not bench/ (bench/shap.py shadows shap)

from core import Engine
from core.entities import TrainRequest
from core.services.forecasts import job_cores

SEASON, HORIZON, WINDOWS, LEVELS = 12, 12, 3, [80, 95]


def make_series(count: int, points: int, seed: int = 0) -> pd.DataFrame:
    """``month, store, sales``: each store its own level, trend, seasonal amplitude and phase, and noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(points)
    months = pd.date_range("2010-01-01", periods=points, freq="MS")
    parts = []
    for i in range(count):
        level, trend, amplitude = rng.uniform(50, 500), rng.uniform(-0.2, 1.5), rng.uniform(5, 60)
        y = level + trend * t + amplitude * np.sin(2 * np.pi * t / SEASON + rng.uniform(0, 6.3))
        y = y + rng.normal(0, amplitude / 5 + 1, points)
        parts.append(pd.DataFrame({"month": months, "store": f"store-{i:04d}", "sales": np.round(y, 2)}))
    return pd.concat(parts, ignore_index=True)


def raw_statsforecast(frame: pd.DataFrame, n_jobs: int) -> float:
    """Seconds for StatsForecast's cross-validation and forecast with the same models, windows and levels."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoCES, AutoETS, AutoTheta, SeasonalNaive

    long = frame.rename(columns={"store": "unique_id", "month": "ds", "sales": "y"})[["unique_id", "ds", "y"]]
    started = time.perf_counter()
    sf = StatsForecast(
        models=[
            AutoETS(season_length=SEASON),
            AutoARIMA(season_length=SEASON),
            AutoTheta(season_length=SEASON),
            AutoCES(season_length=SEASON),
            SeasonalNaive(season_length=SEASON),
        ],
        freq="MS",
        n_jobs=n_jobs,
    )
    sf.cross_validation(h=HORIZON, df=long, n_windows=WINDOWS, step_size=HORIZON, level=LEVELS)
    sf.forecast(h=HORIZON, df=long, level=LEVELS)
    return time.perf_counter() - started


def through_engine(frame: pd.DataFrame, home: Path) -> dict[str, float | str]:
    """Seconds to upload, train and forecast through the engine (inline runner), and what it chose."""
    engine = Engine.open(home=home, runner="inline")
    try:
        admin = engine.users.bootstrap_admin(
            username="bench", password=secrets.token_urlsafe(16), email="bench@example.com"
        )
        started = time.perf_counter()
        data = frame.to_csv(index=False, date_format="%Y-%m-%d").encode()
        dataset = engine.datasets.upload(admin, name="stores", filename="stores.csv", data=data)
        uploaded = time.perf_counter()
        job = engine.training.submit(
            admin,
            TrainRequest(
                dataset_id=dataset.id,
                name="stores",
                target="sales",
                problem_type="forecast",
                time_column="month",
                series_column="store",
                horizon=HORIZON,
            ),
        )
        trained = time.perf_counter()
        if job.status != "succeeded" or not job.result:
            raise SystemExit(f"training failed: {job.error}")
        model_id = job.result["model_id"]
        forecast = engine.inference.forecast(admin, model_id, steps=HORIZON, level=LEVELS)
        done = time.perf_counter()
        board = engine.forecasts.summary(admin, model_id).leaderboard
        assert len(forecast) == HORIZON * frame["store"].nunique()
        return {
            "upload": uploaded - started,
            "train": trained - uploaded,
            "forecast": done - trained,
            "board": board[["model", "mase", "smape", "chosen_for"]].round(3).to_string(index=False),
        }
    finally:
        engine.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=200)
    parser.add_argument("--points", type=int, default=120)
    args = parser.parse_args()
    os.environ.setdefault("DATAML_BCRYPT_ROUNDS", "4")
    cores = job_cores()
    frame = make_series(args.series, args.points)
    warm = make_series(2, args.points, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        raw_statsforecast(warm, 1)  # imports and first-call costs, for both sides
        through_engine(warm, Path(tmp) / "warm")
        raw = raw_statsforecast(frame, cores)
        ours = through_engine(frame, Path(tmp) / "run")
    engine_s = float(ours["train"]) + float(ours["forecast"])
    print(f"{args.series} monthly series × {args.points} points, {cores} cores, load {os.getloadavg()[0]:.1f}")
    print(ours["board"])
    print(f"raw StatsForecast (CV {WINDOWS}×{HORIZON} + forecast, levels {LEVELS}): {raw:.1f} s")
    print(
        f"engine train {float(ours['train']):.1f} s + forecast {float(ours['forecast']):.1f} s = {engine_s:.1f} s "
        f"(upload {float(ours['upload']):.1f} s, not counted)"
    )
    print(f"ratio engine / raw: {engine_s / raw:.2f} (target ≤ 1.2)")


if __name__ == "__main__":
    main()
