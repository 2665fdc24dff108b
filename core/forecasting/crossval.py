"""Time-series cross-validation of all candidates at once, one StatsForecast call per chunk of series."""

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

CvTask = tuple[pd.DataFrame, SeriesPlan, str, int]


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
    freq: str,
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
    grouped = long.groupby("unique_id", sort=False)
    tasks: list[CvTask] = []
    for plan, uids in by_plan.items():
        for chunk in chunked(uids, n_jobs):
            frame = pd.concat([grouped.get_group(uid) for uid in chunk], ignore_index=True)
            tasks.append((frame, plan, freq, horizon))
    for part, (_, plan, _, _) in zip(
        run_chunks(_cv_chunk, tasks, n_jobs, ctx, span, "Cross-validating"), tasks, strict=False
    ):
        for uid, rows in part.groupby("unique_id", sort=False):
            yield _series_cv(str(uid), rows.sort_values(["cutoff", "ds"]), plan.candidates)


def _cv_chunk(task: CvTask) -> pd.DataFrame:
    frame, plan, freq, horizon = task
    sf = StatsForecast(
        models=[models.build(name, plan.season_length) for name in plan.candidates],
        freq=freq,
        n_jobs=1,
        fallback_model=Naive(),
    )
    return sf.cross_validation(
        h=horizon, df=frame, n_windows=plan.n_windows, step_size=horizon, level=[models.REF_LEVEL]
    )


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
