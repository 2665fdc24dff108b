"""Forecast with calibrated intervals by refitting each series' chosen configuration on its history."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.errors import InvalidInput, Problem
from core.forecasting import models
from core.forecasting.fit import ForecastFit, SeriesConfig
from core.forecasting.parallel import chunked, run_chunks
from core.forecasting.prepare import unit_of
from core.progress import NullContext, TaskContext

MAX_STEPS = 10_000
HISTORY_MULTIPLE = 10  # more steps than this many times the history is extrapolation beyond reason
MAX_ROWS = 2_000_000  # steps × series: a forecast is kept as one CSV and drawn in the browser

_Exogenous = tuple[np.ndarray, np.ndarray] | None  # (history rows, future rows) × columns
_Task = tuple[list[tuple[str, np.ndarray, SeriesConfig, _Exogenous]], int]


def forecast(
    long: pd.DataFrame,
    fit: ForecastFit,
    steps: int,
    series_ids: Sequence[str] | None = None,
    levels: Sequence[float] = (80, 95),
    n_jobs: int = 1,
    ctx: TaskContext | None = None,
    future: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``unique_id, ds, model, forecast, lo-<l>, hi-<l>…`` for ``steps`` periods after each series' end.

    ``long`` is the training data the fit was made on (``unique_id, ds, y`` and the exogenous columns);
    ``series_ids`` None means every fitted series. Interval half-widths are the calibrated quantile times
    the series' scale times the chosen models' own sigma per step (see ``core.forecasting.calibration``).
    A fit with exogenous columns needs ``future``: ``unique_id, ds`` and those columns for every forecast
    period (``InvalidInput`` naming what is missing otherwise).
    """
    ctx = ctx or NullContext()
    histories = {str(uid): g for uid, g in long.groupby("unique_id", sort=False)}
    uids = _check_request(fit, histories, steps, series_ids, levels)
    dates = {uid: _dates(histories[uid]["ds"].max(), steps, fit.freq) for uid in uids}
    exogenous = _exogenous(fit, histories, dates, future)
    tasks: list[_Task] = [
        (
            [(uid, histories[uid]["y"].to_numpy(dtype=float), fit.configs[uid], exogenous.get(uid)) for uid in chunk],
            steps,
        )
        for chunk in chunked(uids, n_jobs)
    ]
    frames = []
    for part in run_chunks(_forecast_chunk, tasks, n_jobs, ctx, (0.0, 1.0), "Forecasting"):
        for uid, mean, sigma in part:
            frames.append(_series_frame(uid, mean, sigma, fit, dates[uid], sorted(levels)))
    order = {uid: i for i, uid in enumerate(uids)}
    frames.sort(key=lambda frame: order[frame["unique_id"].iloc[0]])
    return pd.concat(frames, ignore_index=True)


def _check_request(
    fit: ForecastFit,
    histories: dict[str, pd.DataFrame],
    steps: int,
    series_ids: Sequence[str] | None,
    levels: Sequence[float],
) -> list[str]:
    uids = list(fit.configs) if series_ids is None else [str(uid) for uid in dict.fromkeys(series_ids)]
    problems = [Problem("unknown series id", field="series_ids", value=uid) for uid in uids if uid not in fit.configs]
    problems += [
        Problem("series missing from the training data given", field="series_ids", value=uid)
        for uid in uids
        if uid in fit.configs and uid not in histories
    ]
    if not uids:
        problems.append(Problem("choose at least one series", field="series_ids"))
    problems += [
        Problem("levels must lie strictly between 0 and 100", field="levels", value=str(v))
        for v in levels
        if not 0 < v < 100
    ]
    if problems:
        raise InvalidInput("The forecast request cannot be used.", problems)
    check_steps(steps, [histories[uid]["ds"] for uid in uids], fit.freq)
    return uids


def check_steps(steps: object, histories: Sequence[pd.Series], freq: str) -> int:
    """``steps`` as an int, or ``InvalidInput`` saying the limit that applies: ``MAX_STEPS``, ten times the
    longest history, ``MAX_ROWS`` over all series, or the last date pandas can represent (year 2262)."""
    longest = max(len(ds) for ds in histories)
    limits = [
        (MAX_STEPS, f"at most {MAX_STEPS:,}"),
        (HISTORY_MULTIPLE * longest, f"at most {HISTORY_MULTIPLE}× the {longest:,} points of history"),
        (MAX_ROWS // len(histories), f"at most {MAX_ROWS:,} forecast rows over {len(histories):,} series"),
    ]
    limit, why = min(limits)
    last = max(ds.max() for ds in histories)
    room = _periods_left(last, freq, limit)
    if room < limit:
        limit, why = room, f"dates stop at {pd.Timestamp.max:%Y-%m-%d}"
    if isinstance(steps, int | np.integer) and not isinstance(steps, bool) and 1 <= steps <= limit:
        return int(steps)
    raise InvalidInput(
        f"Steps must be a whole number from 1 to {limit:,} ({why}).",
        [Problem(f"must be from 1 to {limit}", field="steps", value=str(steps))],
    )


def _periods_left(last: pd.Timestamp, freq: str, wanted: int) -> int:
    """How many of ``wanted`` periods after ``last`` still have a representable date (bisection: pandas
    raises instead of stopping at the end of its calendar)."""

    def fits(periods: int) -> bool:
        try:
            pd.date_range(last, periods=periods + 1, freq=freq, unit=last.unit)
            return True
        except (pd.errors.OutOfBoundsDatetime, OverflowError):
            return False

    low, high = 0, wanted
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    return low


def _dates(last: pd.Timestamp, steps: int, freq: str) -> pd.DatetimeIndex:
    return pd.date_range(last, periods=steps + 1, freq=freq, unit=last.unit)[1:]


def extend_history(long: pd.DataFrame, newer: pd.DataFrame, freq: str) -> pd.DataFrame:
    """``long`` continued by ``newer`` (both as ``to_long`` returns them; series ``long`` lacks are left out): a
    newer value replaces the older one of the same period, and no period may be missing between the two."""
    newer = newer[newer["unique_id"].isin(set(long["unique_id"]))]
    if len(newer) and newer["ds"].dtype != long["ds"].dtype:
        newer = newer.assign(ds=newer["ds"].astype(long["ds"].dtype))
    union = pd.concat([long, newer], ignore_index=True).drop_duplicates(["unique_id", "ds"], keep="last")
    union = union.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    problems = []
    for uid, group in union.groupby("unique_id", sort=False):
        ds = pd.DatetimeIndex(group["ds"])
        missing = pd.date_range(ds[0], ds[-1], freq=freq, unit=unit_of(ds)).difference(ds)
        if len(missing):
            problem = f"series {uid!s}: {len(missing)} missing periods (first {missing[0]})"
            problems.append(Problem(problem, field="ds", value=str(missing[0])))
    if problems:
        raise InvalidInput(
            f"{len(problems)} series would have gaps: give every {freq} period from the end of the training data on.",
            problems[:50],
        )
    return union


def check_future(
    fit: ForecastFit, long: pd.DataFrame, steps: int, series_ids: Sequence[str], future: pd.DataFrame | None
) -> None:
    """``InvalidInput`` when a fit with exogenous columns lacks future values for some forecast period."""
    if fit.exogenous:
        histories = {str(uid): g for uid, g in long.groupby("unique_id", sort=False)}
        dates = {uid: _dates(histories[uid]["ds"].max(), steps, fit.freq) for uid in series_ids}
        _exogenous(fit, histories, dates, future)


def _exogenous(
    fit: ForecastFit,
    histories: dict[str, pd.DataFrame],
    dates: dict[str, pd.DatetimeIndex],
    future: pd.DataFrame | None,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per series, the exogenous values of its history and of its forecast periods (empty without any)."""
    if not fit.exogenous:
        return {}
    columns = list(fit.exogenous)
    named = ", ".join(repr(c) for c in columns)
    if future is None:
        raise InvalidInput(
            f"This model uses the exogenous columns {named}: give a dataset with their future values "
            "(the time column, the series column if any, and those columns) for every forecast period.",
            [Problem("future values required", field=c) for c in columns],
        )
    missing = [c for c in ("unique_id", "ds", *columns) if c not in future]
    if missing:
        raise InvalidInput(
            f"The future values lack the columns {', '.join(repr(c) for c in missing)}.",
            [Problem("missing column", field=c) for c in missing],
        )
    rows = future.assign(unique_id=future["unique_id"].astype(str)).drop_duplicates(["unique_id", "ds"])
    rows = rows.set_index(["unique_id", "ds"])[columns]
    out, problems = {}, []
    for uid, wanted in dates.items():
        values = rows.reindex(pd.MultiIndex.from_arrays([[uid] * len(wanted), wanted]))
        absent = values.isna().any(axis=1).to_numpy()
        if absent.any():
            first = wanted[int(np.argmax(absent))]
            problems.append(
                Problem(f"series {uid}: no future values for {int(absent.sum())} periods", field="ds", value=str(first))
            )
            continue
        history = histories[uid][columns].to_numpy(dtype=float)
        out[uid] = (history, values.to_numpy(dtype=float))
    if problems:
        raise InvalidInput(
            f"The future values of {named} do not cover every forecast period: {problems[0].problem} "
            f"(the first is {problems[0].value}).",
            problems[:50],
        )
    return out


def _forecast_chunk(task: _Task) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Refit each series' chosen models and combine their means and sigmas as the configuration says."""
    series, steps = task
    out = []
    for uid, y, config, exogenous in series:
        x, x_future = exogenous if exogenous is not None else (None, None)
        fits = {
            name: models.forecast_one(name, config.season_length, y, steps, config.seasons, x, x_future)
            for name in config.models
        }
        mean = config.option.apply({name: m for name, (m, _) in fits.items()})
        sigma = config.option.apply_sigma({name: s for name, (_, s) in fits.items()})
        out.append((uid, mean, sigma if config.profile == "model" else np.ones(steps)))
    return out


def _series_frame(
    uid: str, mean: np.ndarray, sigma: np.ndarray, fit: ForecastFit, dates: pd.DatetimeIndex, levels: list[float]
) -> pd.DataFrame:
    config = fit.configs[uid]
    frame = pd.DataFrame({"unique_id": uid, "ds": dates, "model": config.name, "forecast": mean})
    sigma = np.where(np.isfinite(sigma), sigma, np.nanmax(np.where(np.isfinite(sigma), sigma, 0.0)))
    for level in levels:
        half = fit.interval_quantile(config.profile, level) * config.scale * sigma
        lo = mean - half
        frame[f"lo-{level:g}"] = np.maximum(lo, 0.0) if config.nonnegative else lo
        frame[f"hi-{level:g}"] = mean + half
    return frame
