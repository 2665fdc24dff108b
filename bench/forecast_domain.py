"""Per-series model selection + forecast in the domain layer (core.forecasting, no engine, no storage) against raw
StatsForecast, in the same run: the cost of our selection alone (bench/forecast.py measures the engine).

Usage: python bench/forecast_domain.py [--series 200] [--points 120] [--n-jobs 2] [--abba]

N monthly series (trend + yearly seasonality + noise, from ``bench/forecast.make_series``) go through
``run_ours``: ``fit_select`` (one StatsForecast cross-validation of AutoETS, AutoARIMA, AutoTheta, AutoCES,
SeasonalNaive and Naive over 3 windows of 12 months, per-series choice among combinations, calibration) and
``forecast`` (refit of the chosen models only, 12 steps, 80 and 95 % intervals). The baseline is StatsForecast
itself with AutoETS, AutoARIMA, AutoTheta, AutoCES and SeasonalNaive: ``cross_validation`` (3 windows of 12,
levels 80 and 95) then ``forecast`` (12 steps, levels 80 and 95), on the same cores. Prints both times and the
ratio (target ≤ 1.2). ``run_ours`` is the one place to swap for the engine call. The machine is shared: load
changes between the two timings skew the ratio, so ``--abba`` times raw, ours, ours, raw and compares the sums.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

sys.path[0] = str(Path(__file__).resolve().parents[1])  # repo root, not bench/ (bench/shap.py shadows shap)

from bench.forecast import HORIZON, LEVELS, SEASON, WINDOWS, make_series, raw_statsforecast
from core.forecasting import fit_select, forecast


def as_long(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns={"store": "unique_id", "month": "ds", "sales": "y"})[["unique_id", "ds", "y"]]


def run_ours(long: pd.DataFrame, n_jobs: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Model selection and a forecast of every series: (forecast frame, CV leaderboard)."""
    fit = fit_select(long, "MS", SEASON, HORIZON, n_windows=WINDOWS, levels=LEVELS, n_jobs=n_jobs)
    return forecast(long, fit, HORIZON, levels=LEVELS, n_jobs=n_jobs), fit.leaderboard


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=200)
    parser.add_argument("--points", type=int, default=120)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--abba", action="store_true", help="time raw, ours, ours, raw (fairer on a shared machine)")
    args = parser.parse_args()
    frame = make_series(args.series, args.points)
    warm = make_series(2, args.points, seed=1)
    raw_statsforecast(warm, 1)  # imports and first-call costs, for both sides
    run_ours(as_long(warm), 1)
    raw = ours = 0.0
    for side in ("raw", "ours", "ours", "raw") if args.abba else ("raw", "ours"):
        if side == "raw":
            raw += raw_statsforecast(frame, args.n_jobs)
            continue
        started = time.perf_counter()
        out, board = run_ours(as_long(frame), args.n_jobs)
        ours += time.perf_counter() - started
        assert len(out) == HORIZON * args.series
    print(f"{args.series} monthly series × {args.points} points, n_jobs {args.n_jobs}, load {os.getloadavg()[0]:.1f}")
    print(board[["model", "mase", "smape", "chosen_for", "in_ensembles"]].round(3).to_string(index=False))
    print(f"raw StatsForecast (CV {WINDOWS}×{HORIZON} + forecast, levels {LEVELS}): {raw:.1f} s")
    print(f"fit_select + forecast: {ours:.1f} s")
    print(f"ratio ours / raw: {ours / raw:.2f} (target ≤ 1.2)")


if __name__ == "__main__":
    main()
