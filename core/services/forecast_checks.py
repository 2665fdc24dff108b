"""What forecast training asks of the data, before it starts and again when it runs: the history in
statsforecast's long format, the settings (the request's, else inferred) and the verdict the Train page shows."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass

import pandas as pd

from core.entities import TrainingCheck, TrainRequest
from core.errors import InvalidInput, Problem

DEFAULT_LEVELS = (80, 95)
N_WINDOWS = 3


def job_cores() -> int:
    """Processes one forecasting job may use (DESIGN §5: one job per two cores), or the CPUs the Ray runner's
    task was given (``DATAML_JOB_CORES``, set by ``core.worker.run_in_ray_task``)."""
    given = os.environ.get("DATAML_JOB_CORES", "")
    return int(given) if given.isdigit() and int(given) > 0 else max(1, min(os.cpu_count() or 1, 2))


WORDS = {"daily": "day", "annual": "year", "annually": "year", "business day": "business day"}
FAMILIES = {
    "Week": "week",
    "MonthBegin": "month",
    "MonthEnd": "month",
    "BusinessMonthBegin": "month",
    "BusinessMonthEnd": "month",
    "QuarterBegin": "quarter",
    "QuarterEnd": "quarter",
    "YearBegin": "year",
    "YearEnd": "year",
    "Day": "day",
    "BusinessDay": "business day",
    "Hour": "hour",
    "Minute": "minute",
    "Second": "second",
}
UNITS = frozenset(FAMILIES.values())


def period_of(freq: str) -> tuple[int, str]:
    """(count, unit) of a pandas alias ("W-SUN" -> (1, "week"), "15min" -> (15, "minute")) or of the seed's
    words ("Week", "weekly", "2 days"), whatever the anchor (a week ending on Sunday is a week)."""
    from pandas.tseries.frequencies import to_offset

    text = freq.strip()
    count, _, word = text.partition(" ") if text[:1].isdigit() and " " in text else ("1", "", text)
    word = word.strip().lower()
    word = WORDS.get(word, word.removesuffix("ly").removesuffix("s"))
    try:
        if word in UNITS:
            return int(count), word
        offset = to_offset(text)
    except (ValueError, TypeError):
        raise InvalidInput(
            f"Unknown frequency {freq!r}: use a word such as Day, Week or Month, or a pandas alias such as W or MS.",
            [Problem("unknown frequency", field="frequency", value=freq[:80])],
        ) from None
    return int(offset.n), FAMILIES.get(type(offset).__name__, offset.name)


def check_frequency(given: str | None, freq: str, label: str) -> None:
    """A forecast's ``frequency`` must be the model's own (a model learnt its seasons at one frequency); any
    spelling of it is accepted."""
    if given is None or period_of(given) == period_of(freq):
        return
    count, unit = period_of(freq)
    raise InvalidInput(
        f"{label} forecasts {'one ' + unit if count == 1 else f'{count} {unit}s'} per step ({freq}), not "
        f"{given!r}; train a model on data of that frequency to forecast it.",
        [Problem("not the model's frequency", field="frequency", value=given[:80])],
    )


def history_columns(request: TrainRequest) -> list[str]:
    """The columns a forecast request reads; refused without a time column."""
    if not request.time_column:
        raise InvalidInput("Forecasting needs a time column.", [Problem("required", field="time_column")])
    named = (request.time_column, request.target, request.series_column, *request.exogenous)
    return list(dict.fromkeys(c for c in named if c))


def to_history(frame: pd.DataFrame, request: TrainRequest) -> pd.DataFrame:
    """The rows as ``unique_id, ds, y`` and the exogenous columns (validated: bad dates / values, duplicates,
    irregular timestamps raise)."""
    from core.forecasting import to_long

    return to_long(
        frame,
        str(request.time_column),
        request.target,
        request.series_column,
        resample=request.resample,
        freq=request.frequency,
        exogenous=request.exogenous,
    )


def default_horizon(season_length: int, shortest: int) -> int:
    """One season ahead (at least 4 steps), but never more than a quarter of the shortest series."""
    return max(1, min(max(season_length, 4), shortest // 4))


@dataclass(frozen=True)
class ForecastSettings:
    """What training uses: the user's choices, else what the data suggests."""

    freq: str
    season_length: int
    horizon: int
    inferred: tuple[str, ...]  # which of frequency / season length / horizon were inferred


def settings_for(long: pd.DataFrame, request: TrainRequest) -> ForecastSettings:
    """Frequency, season length and evaluation horizon: the request's, else inferred from ``long``."""
    from core.forecasting import infer_frequency, season_length_for
    from core.forecasting.selection import check_settings

    freq = request.frequency or infer_frequency(long)
    season = season_length_for(freq) if request.season_length is None else request.season_length
    shortest = int(long.groupby("unique_id").size().min())
    horizon = default_horizon(season, shortest) if request.horizon is None else request.horizon
    check_settings(long, freq, season, horizon, N_WINDOWS, DEFAULT_LEVELS)
    given = {"frequency": request.frequency, "season length": request.season_length, "horizon": request.horizon}
    return ForecastSettings(freq, season, horizon, tuple(name for name, value in given.items() if value in (None, "")))


def forecast_verdict(long: pd.DataFrame, request: TrainRequest) -> TrainingCheck:
    """Series, frequency, season length and horizon (each said to be inferred or chosen) and warnings for series
    too short for the season or for cross-validation; raises what training would refuse."""
    from core.forecasting.models import plan_series

    chosen = settings_for(long, request)
    sizes = long.groupby("unique_id").size()

    def how(name: str) -> str:
        return "inferred" if name in chosen.inferred else "yours"

    points = f"{sizes.min():,}" if sizes.min() == sizes.max() else f"{sizes.min():,}–{sizes.max():,}"
    steps = f"{chosen.horizon} step" + ("s" if chosen.horizon != 1 else "")
    reason = (
        f"{len(sizes):,} series of {points} points; frequency {chosen.freq} ({how('frequency')}), "
        f"season length {chosen.season_length} ({how('season length')}), evaluation horizon {steps} "
        f"({how('horizon')}) over {N_WINDOWS} cross-validation windows."
    )
    kinds: Counter[str] = Counter()
    for _, group in long.groupby("unique_id", sort=False):
        plan = plan_series(group["y"].to_numpy(dtype=float), chosen.season_length, chosen.horizon, N_WINDOWS)
        kinds[plan.kind if plan else "none"] += 1
    messages = {
        "short": f"Too short for season length {chosen.season_length}, so non-seasonal models are used",
        "tiny": f"Too short to cross-validate with horizon {chosen.horizon}, so a Naive forecast is used",
        "none": "Fewer than 3 points, so left out",
    }
    of = f" of {len(sizes):,} series."
    return TrainingCheck(
        problem_type="forecast",
        reason=reason,
        warnings=tuple(f"{text}: {kinds[kind]:,}{of}" for kind, text in messages.items() if kinds[kind]),
        frequency=chosen.freq,
        season_length=chosen.season_length,
        horizon=chosen.horizon,
        series=len(sizes),
    )
