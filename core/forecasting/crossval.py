"""Time-series cross-validation of all candidates at once, one StatsForecast call per chunk of series.

A few series (a single long one is common) would make one call of minutes with no progress, so then
each CV window is its own call: the same fits (each window refits on the data before its cutoff), with
progress and cancellation between windows.

StatsForecast sees each series on a surrogate integer index (0, 1, 2, … at frequency 1), mapped back to the
series' dates afterwards: the models only need the order of the values, and integer time works for any
calendar, including dates pandas' nanoseconds cannot hold (before 1677, histories over 292 years).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import Naive

from core.forecasting import models
from core.forecasting.models import SeriesPlan
from core.forecasting.parallel import chunked, run_chunks
from core.progress import TaskContext

CvTask = tuple[pd.DataFrame, SeriesPlan, int, int]  # frame (integer ds), plan, horizon, windows
MIN_TASKS = 10  # fewer chunks than this: split them by CV window


@dataclass(frozen=True)
class SeriesCV:
    """One series' CV outcome: actuals, and per candidate its forecasts and own sigma per point."""

    uid: str
    frame: pd.DataFrame  # ds, cutoff, y (rows of all windows, in time order)
    forecasts: dict[str, np.ndarray]
    sigmas: dict[str, np.ndarray]  # ones for candidates without their own intervals


def cross_validate(
    long: pd.DataFrame,
    plans: dict[str, SeriesPlan],
    horizon: int,
    n_jobs: int,
    ctx: TaskContext,
    span: tuple[float, float],
) -> Iterator[SeriesCV]:
    """CV every planned series (``tiny`` ones excluded) with all candidates of its plan.

    Series sharing a plan share StatsForecast calls; each call covers a chunk of series so that the
    work spreads over ``n_jobs`` processes with progress and cancellation in between.
    """
    by_plan: dict[SeriesPlan, list[str]] = defaultdict(list)
    for uid, plan in plans.items():
        if plan.kind != "tiny":
            by_plan[plan].append(uid)
    positions = long.assign(ds=long.groupby("unique_id", sort=False).cumcount())
    dates = {str(uid): g.to_numpy() for uid, g in long.groupby("unique_id", sort=False)["ds"]}
    grouped = positions.groupby("unique_id", sort=False)
    tasks: list[CvTask] = []
    for plan, uids in by_plan.items():
        for chunk in chunked(uids, n_jobs):
            frame = pd.concat([grouped.get_group(uid) for uid in chunk], ignore_index=True)
            tasks.append((frame, plan, horizon, plan.n_windows))
    if len(tasks) < MIN_TASKS:
        tasks = [window for task in tasks for window in _by_window(task)]
    parts: dict[str, list[pd.DataFrame]] = defaultdict(list)
    candidates: dict[str, tuple[str, ...]] = {}
    series_word = "series" if len(plans) != 1 else "the series"
    for part, (_, plan, _, _) in zip(
        run_chunks(_cv_chunk, tasks, n_jobs, ctx, span, f"Cross-validating {series_word}"), tasks, strict=False
    ):
        for uid, rows in part.groupby("unique_id", sort=False):
            parts[str(uid)].append(rows)
            candidates[str(uid)] = plan.candidates
    for uid, frames in parts.items():
        rows = pd.concat(frames).sort_values(["cutoff", "ds"])
        rows["ds"], rows["cutoff"] = dates[uid][rows["ds"].to_numpy()], dates[uid][rows["cutoff"].to_numpy()]
        yield _series_cv(uid, rows, candidates[uid])


def _by_window(task: CvTask) -> list[CvTask]:
    """One task per CV window: window ``w`` (0 = oldest) sees each series without its last later windows."""
    frame, plan, horizon, windows = task
    from_end = frame.groupby("unique_id", sort=False).cumcount(ascending=False)
    return [(frame[from_end >= later * horizon], plan, horizon, 1) for later in range(windows - 1, -1, -1)]


def _cv_chunk(task: CvTask) -> pd.DataFrame:
    frame, plan, horizon, windows = task
    sf = StatsForecast(
        models=[models.build(name, plan.season_length, plan.seasons, plan.exogenous) for name in plan.candidates],
        freq=1,
        n_jobs=1,
        fallback_model=Naive(),
    )
    return sf.cross_validation(h=horizon, df=frame, n_windows=windows, step_size=horizon, level=[models.REF_LEVEL])


def _series_cv(uid: str, rows: pd.DataFrame, candidates: tuple[str, ...]) -> SeriesCV:
    forecasts = {name: rows[name].to_numpy(dtype=float) for name in candidates}
    sigmas = {}
    for name in candidates:
        lo = f"{name}-lo-{models.REF_LEVEL}"
        if name in models.WITH_INTERVALS and lo in rows:
            sigmas[name] = models.sigma_from_band(rows[lo], rows[f"{name}-hi-{models.REF_LEVEL}"])
        else:
            sigmas[name] = np.ones(len(rows))
    frame = rows[["ds", "cutoff", "y"]].reset_index(drop=True)
    return SeriesCV(uid=uid, frame=frame, forecasts=forecasts, sigmas=sigmas)
