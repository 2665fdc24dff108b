"""Pick the best forecasting configuration per series by time-series cross-validation.

Each series is cross-validated with every candidate of its plan (one StatsForecast call for all
candidates); combinations of the core models are scored too, and the configuration with the lowest CV
error (MAE, i.e. MASE within a series), combinations preferred, wins (see ``core.forecasting.combine``).
Intervals are calibrated on the CV errors of the selection procedure itself, window by window (see
``_choose`` and ``core.forecasting.calibration``). Without a season length from the user, each series'
seasons are detected (``core.forecasting.seasonality``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from core.errors import InvalidInput, Problem
from core.forecasting import calibration, combine, models, seasonality
from core.forecasting.crossval import SeriesCV, cross_validate
from core.forecasting.fit import ForecastFit, SeriesConfig
from core.forecasting.metrics import METRICS, error_metrics, mase_scale
from core.forecasting.models import SeriesPlan, plan_series
from core.forecasting.prepare import season_length_for
from core.progress import NullContext, TaskContext

MAX_HORIZON = 10_000
_LISTED_IDS = 10


def fit_select(
    long: pd.DataFrame,
    freq: str,
    season_length: int | None,
    horizon: int,
    n_windows: int = 3,
    levels: Sequence[int] = (80, 95),
    ctx: TaskContext | None = None,
    n_jobs: int = 1,
    exogenous: Sequence[str] = (),
) -> ForecastFit:
    """Cross-validate the candidates on ``long`` (``unique_id, ds, y`` and the ``exogenous`` columns) and
    choose a configuration per series.

    ``horizon`` is both the CV window length and the evaluation horizon; ``n_windows`` windows end at
    the last observation. ``season_length`` None detects each series' seasons among the natural ones of
    ``freq``. Series too short for the season or for the windows get simpler plans, and series with fewer
    than 3 points are left out; ``notes`` says which. Exogenous columns are used by AutoARIMA and MSTL's
    trend; forecasting then needs their future values.
    """
    ctx = ctx or NullContext()
    natural = season_length_for(freq) if season_length is None else season_length
    check_settings(long, freq, natural, horizon, n_windows, levels)
    exogenous = tuple(exogenous)
    long = long[["unique_id", "ds", "y", *exogenous]]
    long = long.assign(unique_id=long["unique_id"].astype(str)).sort_values(["unique_id", "ds"])
    values = {str(uid): g["y"].to_numpy(dtype=float) for uid, g in long.groupby("unique_id", sort=True)}
    seasons = {uid: _seasons(y, freq, season_length) for uid, y in values.items()}
    plans, notes = _plan(values, seasons, horizon, n_windows, bool(exogenous))
    configs: dict[str, SeriesConfig] = {}
    pooled: dict[str, list[float]] = defaultdict(list)
    metric_rows: list[dict[str, object]] = []
    cv_frames: list[pd.DataFrame] = []
    for cv in cross_validate(long, plans, horizon, n_jobs, ctx, (0.0, 0.9)):
        plan = plans[cv.uid]
        history = values[cv.uid][: len(values[cv.uid]) - plan.n_windows * horizon]
        config, chosen_forecast, rows = _choose(cv, plan, mase_scale(history, plan.season_length), pooled)
        configs[cv.uid] = config
        metric_rows += rows
        cv_frames.append(_cv_frame(cv, plan.candidates, chosen_forecast))
    ctx.progress(0.95, "Calibrating intervals")
    for uid, plan in plans.items():
        if plan.kind == "tiny":
            configs[uid] = _tiny_config(values[uid])
    series_metrics = pd.DataFrame(metric_rows, columns=["unique_id", "model", *METRICS, "chosen"])
    candidates = tuple(dict.fromkeys(name for plan in plans.values() for name in plan.candidates))
    ctx.progress(1.0, "Model selection done")
    return ForecastFit(
        freq=freq,
        season_length=natural,
        horizon=horizon,
        n_windows=n_windows,
        levels=tuple(sorted(int(v) for v in levels)),
        candidates=candidates,
        configs=dict(sorted(configs.items())),
        series_metrics=series_metrics,
        leaderboard=_leaderboard(series_metrics, configs),
        cv=pd.concat(cv_frames, ignore_index=True) if cv_frames else pd.DataFrame(),
        pooled_scores={k: tuple(np.sort(v).tolist()) for k, v in pooled.items()},
        notes=tuple(notes),
        exogenous=exogenous,
    )


def check_settings(
    long: pd.DataFrame,
    freq: str,
    season_length: int,
    horizon: int,
    n_windows: int = 3,
    levels: Sequence[int] = (80, 95),
) -> None:
    """What ``fit_select`` refuses, checked without fitting (so a pre-training check can say it first)."""
    problems = [Problem("missing column", field=c) for c in ("unique_id", "ds", "y") if c not in long]
    if not problems and (long.empty or long["y"].isna().any()):
        problems.append(Problem("the series must be non-empty and have no missing values", field="y"))
    try:
        to_offset(freq)
    except ValueError:
        problems.append(Problem("unknown frequency", field="freq", value=str(freq)))
    for name, value, top in (
        ("horizon", horizon, MAX_HORIZON),
        ("n_windows", n_windows, 100),
        ("season_length", season_length, MAX_HORIZON),
    ):
        if not isinstance(value, int | np.integer) or not 1 <= value <= top:
            problems.append(Problem(f"must be a whole number from 1 to {top}", field=name, value=str(value)))
    problems += [
        Problem("levels must lie strictly between 0 and 100", field="levels", value=str(v))
        for v in levels
        if not 0 < v < 100
    ]
    if problems:
        first = problems[0]
        raise InvalidInput(f"The forecasting settings cannot be used: {first.field} {first.problem}.", problems)
    sizes = long.groupby("unique_id").size()
    if (sizes < models.MIN_POINTS).all():
        raise InvalidInput(
            f"Every series has fewer than {models.MIN_POINTS} points; nothing can be forecast.",
            [Problem("too short to forecast", field="unique_id", value=str(uid)) for uid in list(sizes.index)[:20]],
        )


def _seasons(y: np.ndarray, freq: str, season_length: int | None) -> tuple[int, tuple[int, ...]]:
    """The user's season length, else the seasons the series shows (see ``core.forecasting.seasonality``)."""
    return (season_length, ()) if season_length is not None else seasonality.detect(y, freq)


def _plan(
    values: dict[str, np.ndarray],
    seasons: dict[str, tuple[int, tuple[int, ...]]],
    horizon: int,
    n_windows: int,
    exogenous: bool,
) -> tuple[dict[str, SeriesPlan], list[str]]:
    plans: dict[str, SeriesPlan] = {}
    dropped: list[str] = []
    for uid, y in values.items():
        season_length, shown = seasons[uid]
        plan = plan_series(y, season_length, horizon, n_windows, shown, exogenous)
        if plan is None:
            dropped.append(uid)
        else:
            plans[uid] = plan
    season_length = max((m for m, _ in seasons.values()), default=1)
    by_kind: dict[str, list[str]] = defaultdict(list)
    fewer_windows = [uid for uid, p in plans.items() if p.kind != "tiny" and p.n_windows < n_windows]
    for uid, plan in plans.items():
        by_kind[plan.kind].append(uid)
    notes = []
    if season_length > 1 and by_kind["short"]:
        notes.append(
            f"{_ids(by_kind['short'])} too short for season length {season_length} with horizon "
            f"{horizon}: fell back to non-seasonal models ({', '.join(models.SHORT)})."
        )
    if by_kind["tiny"]:
        notes.append(
            f"{_ids(by_kind['tiny'])} too short to cross-validate with horizon {horizon}: "
            "Naive forecast, intervals from its one-step errors."
        )
    if by_kind["intermittent"]:
        notes.append(
            f"{_ids(by_kind['intermittent'])} intermittent (at least {models.ZERO_SHARE:.0%} zeros): "
            f"intermittent-demand models ({', '.join(models.INTERMITTENT)})."
        )
    if fewer_windows:
        notes.append(f"{_ids(fewer_windows)} cross-validated on fewer than {n_windows} windows (short history).")
    if dropped:
        notes.append(f"{_ids(dropped)} left out: fewer than {models.MIN_POINTS} points.")
    without = [uid for uid, (m, _) in seasons.items() if m == 1 and uid in plans]
    if season_length > 1 and without:
        notes.append(f"{_ids(without)} show no seasonality (autocorrelation test): non-seasonal models.")
    several = [uid for uid, plan in plans.items() if plan.seasons]
    if several:
        seasons_text = " and ".join(str(m) for m in plans[several[0]].seasons)
        notes.append(f"{_ids(several)} show several seasons ({seasons_text}): MSTL is a candidate too.")
    if season_length > models.MAX_ARIMA_SEASON and by_kind["regular"]:
        notes.append(
            f"Season length {season_length} > {models.MAX_ARIMA_SEASON}: AutoARIMA is fitted without "
            "seasonal terms (seasonal ARIMA is too slow at this length)."
        )
    return plans, notes


def _ids(uids: list[str]) -> str:
    shown = ", ".join(repr(u) for u in uids[:_LISTED_IDS])
    more = f" and {len(uids) - _LISTED_IDS} more" if len(uids) > _LISTED_IDS else ""
    return f"Series {shown}{more}" if len(uids) > 1 else f"Series {shown}"


def _choose(
    cv: SeriesCV, plan: SeriesPlan, scale: float, pooled: dict[str, list[float]]
) -> tuple[SeriesConfig, np.ndarray, list[dict[str, object]]]:
    """The lowest-CV-error configuration among the candidates and their combinations.

    Intervals are calibrated on *honest* errors: for each CV window, the configuration that the other
    windows would have chosen, scored on that window. The winner's own CV errors are optimistic (it won
    because they were small), and intervals sized on them under-cover new data.
    """
    y = cv.frame["y"].to_numpy(dtype=float)
    windows = cv.frame["cutoff"].to_numpy()
    everywhere = np.ones(len(y), dtype=bool)
    best = combine.choose(y, cv.forecasts, plan.candidates, everywhere)
    chosen_forecast = best.apply(cv.forecasts)
    errors, sigma = np.empty(len(y)), np.empty(len(y))
    for window in np.unique(windows):
        inside = windows == window
        honest = best if inside.all() else combine.choose(y, cv.forecasts, plan.candidates, ~inside)
        errors[inside] = (y - honest.apply(cv.forecasts))[inside]
        sigma[inside] = (honest if _has_intervals(honest.models) else best).apply_sigma(cv.sigmas)[inside]
    profile = "model" if _has_intervals(best.models) and calibration.usable_sigma(sigma) else "flat"
    s = calibration.scores(errors, sigma if profile == "model" else np.ones_like(y))
    pooled[profile] += calibration.standardized(s, windows).tolist()
    config = SeriesConfig(
        best.models,
        plan.season_length,
        plan.kind,
        profile,
        calibration.scale_of(s, windows),
        plan.kind == "intermittent",
        best.combine,
        best.weights,
        plan.seasons,
    )
    rows = [
        {
            "unique_id": cv.uid,
            "model": option.name,
            **_public(error_metrics(y, option.apply(cv.forecasts), scale)),
            "chosen": option == best,
        }
        for option in combine.options(y, cv.forecasts, plan.candidates, everywhere)
    ]
    if not any(row["chosen"] for row in rows):  # every candidate failed: the fallback
        rows.append(
            {
                "unique_id": cv.uid,
                "model": best.name,
                **_public(error_metrics(y, chosen_forecast, scale)),
                "chosen": True,
            }
        )
    return config, chosen_forecast, rows


def _has_intervals(names: tuple[str, ...]) -> bool:
    return all(name in models.WITH_INTERVALS for name in names)


def _public(metrics: dict[str, float]) -> dict[str, float]:
    return {name: metrics[name] for name in METRICS}


def _tiny_config(y: np.ndarray) -> SeriesConfig:
    """Naive with intervals calibrated on its in-sample one-step errors (no room for CV)."""
    sigma = models.forecast_one("Naive", 1, y, 1)[1]
    profile = "model" if calibration.usable_sigma(sigma) else "flat"
    errors = np.diff(y)
    s = calibration.scores(errors, np.full_like(errors, sigma[0] if profile == "model" else 1.0))
    # One window: nothing to pool, the interval quantile comes from the other series (or is Gaussian).
    return SeriesConfig(("Naive",), 1, "tiny", profile, calibration.scale_of(s, np.zeros(len(s))), False)


def _cv_frame(cv: SeriesCV, candidates: tuple[str, ...], chosen: np.ndarray) -> pd.DataFrame:
    frame = cv.frame.assign(unique_id=cv.uid, **{name: cv.forecasts[name] for name in candidates})
    frame["chosen"] = chosen
    return frame[["unique_id", "ds", "cutoff", "y", *candidates, "chosen"]]


def _leaderboard(series_metrics: pd.DataFrame, configs: dict[str, SeriesConfig]) -> pd.DataFrame:
    """Mean CV metrics per candidate over the series it was tried on, and of the per-series choice.

    Candidates differ by series (short or intermittent series get other ones), so each row also carries
    ``selected_mase``: the choice's MASE over that row's own series, the fair comparison for that model."""
    columns = ["model", *METRICS, "selected_mase", "n_series", "chosen_for", "in_ensembles"]
    if series_metrics.empty:  # every series was too short to cross-validate
        return pd.DataFrame(columns=columns)
    singles = series_metrics[~series_metrics["model"].str.contains("(", regex=False)]
    finite = singles.replace([np.inf, -np.inf], np.nan)
    board = finite.groupby("model")[list(METRICS)].mean()
    board["n_series"] = singles.groupby("model").size()
    alone = pd.Series([c.models[0] for c in configs.values() if len(c.models) == 1 and c.kind != "tiny"])
    member = pd.Series([m for c in configs.values() if len(c.models) > 1 for m in c.models])
    board["chosen_for"] = alone.value_counts().reindex(board.index, fill_value=0)
    board["in_ensembles"] = member.value_counts().reindex(board.index, fill_value=0)
    chosen = series_metrics[series_metrics["chosen"]]
    chosen_mase = chosen.set_index("unique_id")["mase"].replace([np.inf, -np.inf], np.nan)
    tried = singles.groupby("model")["unique_id"].agg(list)
    board["selected_mase"] = [chosen_mase.reindex(tried[m]).mean() for m in board.index]
    selected = pd.DataFrame(
        {
            **chosen[list(METRICS)].mean().to_dict(),
            "selected_mase": chosen_mase.mean(),
            "n_series": len(chosen),
            "chosen_for": len(chosen),
            "in_ensembles": 0,
        },
        index=pd.Index(["Selected (per series)"], name="model"),
    )
    board = pd.concat([selected, board]).sort_values("mase", kind="stable")
    return board.reset_index().rename(columns={"index": "model"})[columns]
