"""Candidate statsforecast models, chosen per series by name and season length (no pickles).

A series is planned into one of four kinds before cross-validation:
- ``regular``: enough history for the season, all seasonal candidates (MSTL too when the series shows
  several seasons, e.g. daily and weekly in hourly data);
- ``short``: too short for the season, non-seasonal candidates only (said in the fit's notes);
- ``intermittent``: non-negative with many zeros, intermittent-demand candidates;
- ``tiny``: too short to cross-validate at all, Naive with in-sample calibration.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
from statsforecast.models import (
    ADIDA,
    IMAPA,
    MSTL,
    AutoARIMA,
    AutoCES,
    AutoETS,
    AutoTheta,
    CrostonOptimized,
    Naive,
    SeasonalNaive,
)

REGULAR = ("AutoETS", "AutoARIMA", "AutoTheta", "AutoCES", "SeasonalNaive", "Naive")
SHORT = ("AutoETS", "AutoTheta", "AutoCES", "Naive")
INTERMITTENT = ("CrostonOptimized", "ADIDA", "IMAPA", "Naive")
# Models whose own intervals give the shape of uncertainty over the horizon; the others get a flat one.
WITH_INTERVALS = frozenset({"AutoETS", "AutoARIMA", "AutoTheta", "AutoCES", "MSTL", "SeasonalNaive", "Naive"})
# Models that use exogenous columns (MSTL through its AutoARIMA trend); the others ignore them.
WITH_EXOGENOUS = frozenset({"AutoARIMA", "MSTL"})
REF_LEVEL = 80  # the band asked of every model to read its standard deviation per step
_Z_REF = NormalDist().inv_cdf(0.5 + REF_LEVEL / 200)
MAX_ARIMA_SEASON = 12  # seasonal AutoARIMA takes 40 s to minutes per series above this (hourly, weekly data)
MIN_POINTS = 3
# AutoCES is a candidate only when every CV fit sees this many points: below 10 residuals statsforecast draws its
# interval paths one frozen scipy distribution at a time (5,000 of them, ~4 s per fit, even for 10 points), and a
# complex-exponential-smoothing fit on fewer points has little to offer over ETS and Theta.
CES_MIN_POINTS = 12
ZERO_SHARE = 0.3  # share of zeros from which a non-negative series counts as intermittent


@dataclass(frozen=True)
class SeriesPlan:
    """How one series is cross-validated: its kind, season length(s), number of CV windows and whether
    exogenous columns are used."""

    kind: str
    season_length: int
    n_windows: int
    seasons: tuple[int, ...] = ()  # several season lengths: MSTL is a candidate too
    exogenous: bool = False
    ces: bool = True  # AutoCES is a candidate (see CES_MIN_POINTS)

    @property
    def candidates(self) -> tuple[str, ...]:
        if self.kind == "regular":
            names = REGULAR if self.season_length > 1 else tuple(m for m in REGULAR if m != "SeasonalNaive")
            names = (*names, "MSTL") if self.seasons else names
        else:
            names = {"short": SHORT, "intermittent": INTERMITTENT}.get(self.kind, ("Naive",))
        return names if self.ces else tuple(m for m in names if m != "AutoCES")


def plan_series(
    y: np.ndarray,
    season_length: int,
    horizon: int,
    n_windows: int,
    seasons: tuple[int, ...] = (),
    exogenous: bool = False,
) -> SeriesPlan | None:
    """The richest plan the series' length allows; None when it is too short to forecast at all.

    ``seasons`` (ascending, two or more) adds MSTL when the history before the CV windows holds two of the
    longest season."""
    n = len(y)
    if n < MIN_POINTS:
        return None
    if np.all(y >= 0) and np.mean(y == 0) >= ZERO_SHARE:
        windows = _windows(n, horizon, n_windows, min_train=6)
        return SeriesPlan("intermittent", 1, windows) if windows else SeriesPlan("tiny", 1, 0)
    seasonal_min = 2 * season_length + 2 if season_length > 1 else 8
    windows = _windows(n, horizon, n_windows, min_train=seasonal_min)
    if windows:
        several = len(seasons) > 1 and n - windows * horizon >= 2 * max(seasons) + 2
        ces = n - windows * horizon >= CES_MIN_POINTS
        return SeriesPlan("regular", season_length, windows, seasons if several else (), exogenous, ces)
    windows = _windows(n, horizon, n_windows, min_train=6)
    ces = n - windows * horizon >= CES_MIN_POINTS
    return SeriesPlan("short", 1, windows, ces=ces) if windows else SeriesPlan("tiny", 1, 0)


def _windows(n: int, horizon: int, n_windows: int, min_train: int) -> int:
    return max(0, min(n_windows, (n - min_train) // horizon))


def build(name: str, season_length: int, seasons: tuple[int, ...] = (), exogenous: bool = False) -> Any:
    """A fresh statsforecast model for a candidate name, aliased to that name.

    MSTL removes every season of ``seasons`` and forecasts the trend with AutoETS, or with a non-seasonal
    AutoARIMA when there are exogenous columns (so that they are used)."""
    if name == "AutoETS":
        return AutoETS(season_length=season_length, alias=name)
    if name == "AutoARIMA":
        seasonal = 1 < season_length <= MAX_ARIMA_SEASON
        return AutoARIMA(season_length=season_length if seasonal else 1, seasonal=seasonal, alias=name)
    if name == "AutoTheta":
        return AutoTheta(season_length=season_length, alias=name)
    if name == "AutoCES":
        return AutoCES(season_length=season_length, alias=name)
    if name == "MSTL":
        trend = AutoARIMA(seasonal=False) if exogenous else AutoETS(model="ZZN")
        return MSTL(season_length=list(seasons), trend_forecaster=trend, alias=name)
    if name == "SeasonalNaive":
        return SeasonalNaive(season_length=season_length, alias=name)
    if name == "Naive":
        return Naive(alias=name)
    intermittent = {"CrostonOptimized": CrostonOptimized, "ADIDA": ADIDA, "IMAPA": IMAPA}
    if name in intermittent:
        return intermittent[name](alias=name)
    raise ValueError(f"unknown forecasting model {name!r}")


def sigma_from_band(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The per-step standard deviation implied by a model's symmetric REF_LEVEL band."""
    return (np.asarray(hi, dtype=float) - np.asarray(lo, dtype=float)) / (2 * _Z_REF)


def forecast_one(
    name: str,
    season_length: int,
    y: np.ndarray,
    h: int,
    seasons: tuple[int, ...] = (),
    x: np.ndarray | None = None,
    x_future: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Fit one model on ``y`` and return (mean, sigma per step); sigma is ones for flat-profile models.

    ``x`` / ``x_future`` (rows × columns) are exogenous values over the history and the horizon, given only
    to models that use them. A model that fails on a series falls back to Naive, as StatsForecast's
    ``fallback_model`` does in CV.
    """
    exogenous = x is not None and name in WITH_EXOGENOUS
    extra = {"X": x, "X_future": x_future} if exogenous else {}
    level = [REF_LEVEL] if name in WITH_INTERVALS else None
    try:
        out = build(name, season_length, seasons, exogenous).forecast(y=y, h=h, level=level, **extra)
    except Exception:  # statsforecast raises plain Exceptions on degenerate series
        out = Naive().forecast(y=y, h=h, level=[REF_LEVEL])
    mean = np.asarray(out["mean"], dtype=float)
    key = f"lo-{REF_LEVEL}"
    if name in WITH_INTERVALS and key in out:
        return mean, sigma_from_band(out[key], out[f"hi-{REF_LEVEL}"])
    return mean, np.ones(h)
