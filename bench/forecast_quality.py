"""Holdout quality of the forecasting engine on real series of several frequencies.

Usage: python bench/forecast_quality.py [--n-jobs 2]

Every series comes from a package installed with the project (statsforecast, statsmodels), so nothing
is downloaded: 59 series from hourly to yearly, including sunspots from 1700 (a history over 292 years).
The last horizon of each series is held out; the engine (season detection, per-series choice among
combinations and single models by CV, calibrated intervals) is fitted on the rest and compared, by
holdout MASE, with every single candidate model applied to all series at the frequency's natural season.
Prints one row per series, the mean MASE per method, the engine's mean MASE over the best single model's
(target ≤ 0.97) and the coverage of the 80 % and 95 % intervals (target for 95 %: 0.90-0.98; AutoARIMA's
own for reference). The protocol is fixed: the engine's settings were not tuned on these series.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels import datasets as smd
from statsmodels.datasets import elec_equip

sys.path[0] = str(Path(__file__).resolve().parents[1])  # repo root, not bench/ (bench/shap.py shadows shap)

from core.forecasting import models
from core.forecasting.metrics import mase_scale
from core.forecasting.predict import forecast
from core.forecasting.prepare import season_length_for, to_long
from core.forecasting.selection import fit_select

LEVELS = (80, 95)
ELEC_VIC = Path(smd.__file__).resolve().parents[1] / "tsa/stl/tests/results/mstl_elec_vic.csv"


def _wide(frame: pd.DataFrame, time_column: str, columns: list[str], freq: str) -> pd.DataFrame:
    """Series stored as columns -> long table with unique ids, checked by the engine's own to_long."""
    melted = frame.melt(id_vars=[time_column], value_vars=columns, var_name="series", value_name="value")
    return to_long(melted.dropna(), time_column, "value", "series", resample=True, freq=freq)


def load_groups() -> dict[str, tuple[pd.DataFrame, str, int]]:
    """Frequency group -> (long frame, freq, horizon)."""
    from statsforecast.utils import AirPassengersDF

    air = AirPassengersDF.assign(series="AirPassengers")
    elec = elec_equip.load_pandas().data.reset_index()
    elec.columns = ["ds", "elec_equip"]
    nino = smd.elnino.load_pandas().data.melt(id_vars="YEAR", var_name="month", value_name="elnino")
    nino["ds"] = pd.to_datetime(nino["YEAR"].astype(int).astype(str) + "-" + nino["month"], format="%Y-%b")
    co2 = smd.co2.load_pandas().data.rename_axis("ds").reset_index()
    co2_monthly = co2.set_index("ds")["co2"].resample("MS").mean().rename("co2_monthly").reset_index()
    monthly = pd.concat(
        [
            _wide(air.rename(columns={"y": "AirPassengers"}), "ds", ["AirPassengers"], "MS"),
            _wide(elec, "ds", ["elec_equip"], "MS"),
            _wide(nino[["ds", "elnino"]], "ds", ["elnino"], "MS"),
            _wide(co2_monthly, "ds", ["co2_monthly"], "MS"),
        ]
    )
    weekly = _wide(co2.iloc[-520:], "ds", ["co2"], "W-SAT")
    macro = smd.macrodata.load_pandas().data
    macro["ds"] = pd.PeriodIndex.from_fields(
        year=macro["year"].astype(int), quarter=macro["quarter"].astype(int), freq="Q"
    ).to_timestamp()
    macro_cols = [
        "realgdp",
        "realcons",
        "realinv",
        "realgovt",
        "realdpi",
        "cpi",
        "m1",
        "tbilrate",
        "unemp",
        "pop",
        "infl",
        "realint",
    ]
    danish = smd.danish_data.load_pandas().data.rename_axis("ds").reset_index()
    rates_q = smd.interest_inflation.load_pandas().data
    rates_q["ds"] = pd.PeriodIndex.from_fields(
        year=rates_q["year"].astype(int), quarter=rates_q["quarter"].astype(int), freq="Q"
    ).to_timestamp()
    quarterly = pd.concat(
        [
            _wide(macro, "ds", macro_cols, "QS"),
            _wide(rates_q, "ds", ["Dp", "R"], "QS"),
            _wide(danish, "ds", ["lrm", "lry", "lpy", "ibo", "ide"], "QS"),
        ]
    )
    sun = smd.sunspots.load_pandas().data.rename(columns={"YEAR": "ds", "SUNACTIVITY": "sunspots"})
    nile = smd.nile.load_pandas().data.rename(columns={"year": "ds", "volume": "nile"})
    rates = (
        smd.fertility.load_pandas()
        .data.set_index("Country Code")
        .drop(columns=["Country Name", "Indicator Name", "Indicator Code", "2012", "2013"])
    )
    rates = rates.dropna().iloc[::10].T.rename_axis("ds").reset_index()  # every 10th complete country
    rates["ds"] = rates["ds"].astype(int)
    fertility = _wide(rates, "ds", [c for c in rates.columns if c != "ds"], "YS")
    grunfeld = smd.grunfeld.load_pandas().data.pivot(index="year", columns="firm", values="invest")
    grunfeld = grunfeld.rename_axis(columns=None).rename(columns=lambda firm: f"invest {firm}").reset_index()
    grunfeld["year"] = grunfeld["year"].astype(int)
    invest = _wide(grunfeld, "year", [c for c in grunfeld.columns if c != "year"], "YS")
    yearly = pd.concat([_wide(sun, "ds", ["sunspots"], "YS"), _wide(nile, "ds", ["nile"], "YS"), fertility, invest])
    vic = pd.read_csv(ELEC_VIC, parse_dates=["ds"]).rename(columns={"y": "elec_vic"})
    hourly = _wide(vic.iloc[-24 * 42 :], "ds", ["elec_vic"], "h")
    daily_vic = vic.set_index("ds")["elec_vic"].resample("D").sum().rename("elec_vic_daily").reset_index()
    daily = _wide(daily_vic, "ds", ["elec_vic_daily"], "D")
    return {
        "monthly": (monthly, "MS", 12),
        "weekly": (weekly, "W-SAT", 13),
        "quarterly": (quarterly, "QS", 8),
        "yearly": (yearly, "YS", 6),
        "daily": (daily, "D", 14),
        "hourly": (hourly, "h", 24),
    }


def evaluate(long: pd.DataFrame, freq: str, horizon: int, n_jobs: int) -> pd.DataFrame:
    """One row per series: engine choice, holdout MASE of the engine and of each candidate, coverage."""
    m = season_length_for(freq)
    long = long.reset_index(drop=True)  # the groups concatenate frames: labels repeat, and drop() goes by label
    test = long.groupby("unique_id").tail(horizon)
    train = long.drop(test.index)
    fit = fit_select(train, freq, None, horizon, levels=LEVELS, n_jobs=n_jobs)  # None: detected, as in the app
    ours = forecast(train, fit, horizon, levels=LEVELS, n_jobs=n_jobs)
    rows = []
    for uid, history in train.groupby("unique_id"):
        y_train = history["y"].to_numpy(dtype=float)
        actual = test.loc[test["unique_id"] == uid, "y"].to_numpy(dtype=float)
        mine = ours[ours["unique_id"] == uid]
        scale = mase_scale(y_train, m)
        row: dict[str, object] = {
            "series": uid,
            "freq": freq,
            "n": len(y_train),
            "chosen": fit.configs[uid].name,
            "engine": np.mean(np.abs(actual - mine["forecast"].to_numpy())) / scale,
        }
        for level in LEVELS:
            inside = (actual >= mine[f"lo-{level}"].to_numpy()) & (actual <= mine[f"hi-{level}"].to_numpy())
            row[f"in{level}"] = int(inside.sum())
        for name in models.REGULAR:
            own = _own_forecast(name, m, y_train, horizon)
            row[name] = np.mean(np.abs(actual - own["mean"])) / scale
            if name == "AutoARIMA":
                for level in LEVELS:
                    inside = (actual >= own[f"lo-{level}"]) & (actual <= own[f"hi-{level}"])
                    row[f"arima_in{level}"] = int(inside.sum())
        row["points"] = len(actual)
        rows.append(row)
    return pd.DataFrame(rows)


def _own_forecast(name: str, m: int, y: np.ndarray, horizon: int) -> dict[str, np.ndarray]:
    """A single candidate with its own intervals, falling back to Naive like the engine does."""
    try:
        return models.build(name, m).forecast(y=y, h=horizon, level=list(LEVELS))
    except Exception:
        return models.build("Naive", 1).forecast(y=y, h=horizon, level=list(LEVELS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--groups", nargs="*", help="frequency groups to run (default: all)")
    args = parser.parse_args()
    started = time.perf_counter()
    parts = []
    for group, (long, freq, horizon) in load_groups().items():
        if args.groups and group not in args.groups:
            continue
        clock = time.perf_counter()
        parts.append(evaluate(long, freq, horizon, args.n_jobs))
        print(f"{group}: {long['unique_id'].nunique()} series in {time.perf_counter() - clock:.0f} s", flush=True)
    table = pd.concat(parts, ignore_index=True)
    methods = ["engine", *models.REGULAR]
    pd.set_option("display.width", 250)
    pd.set_option("display.max_colwidth", 60)
    print(table[["series", "freq", "n", "chosen", *methods]].round(3).to_string(index=False))
    print("\nmean holdout MASE over", len(table), "series:")
    means = table[methods].mean()
    print(means.round(3).to_string())
    best = means[list(models.REGULAR)].idxmin()
    print(
        f"engine / best single model ({best}): {means['engine'] / means[best]:.3f} (target ≤ 0.97); "
        f"series trained and forecast: {len(table)}"
    )
    points = table["points"].sum()
    by_freq = table.groupby("freq")[[f"in{level}" for level in LEVELS] + ["points"]].sum()
    for level in LEVELS:
        by_freq[f"{level}%"] = (by_freq[f"in{level}"] / by_freq["points"]).round(3)
    print("\ncoverage per frequency:\n" + by_freq[["points"] + [f"{level}%" for level in LEVELS]].to_string())
    for level in LEVELS:
        print(
            f"{level}% interval coverage: engine {table[f'in{level}'].sum() / points:.1%}, "
            f"AutoARIMA's own {table[f'arima_in{level}'].sum() / points:.1%} ({points} held-out points)"
        )
    print(f"took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
