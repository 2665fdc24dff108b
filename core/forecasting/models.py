"""Candidate statsforecast models, chosen per series by name and season length (no pickles).

A series is planned into one of four kinds before cross-validation:
- ``regular``: enough history for the season, all seasonal candidates;
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
    AutoARIMA,
    AutoETS,
    AutoTheta,
    CrostonOptimized,
    Naive,
    SeasonalNaive,
)

REGULAR = ("AutoETS", "AutoARIMA", "AutoTheta", "SeasonalNaive", "Naive")
SHORT = ("AutoETS", "AutoTheta", "Naive")
INTERMITTENT = ("CrostonOptimized", "ADIDA", "IMAPA", "Naive")
# Models whose own intervals give the shape of uncertainty over the horizon; the others get a flat one.
WITH_INTERVALS = frozenset({"AutoETS", "AutoARIMA", "AutoTheta", "SeasonalNaive", "Naive"})
REF_LEVEL = 80  # the band asked of every model to read its standard deviation per step
_Z_REF = NormalDist().inv_cdf(0.5 + REF_LEVEL / 200)
MAX_ARIMA_SEASON = 12  # seasonal AutoARIMA takes 40 s to minutes per series above this (hourly, weekly data)
MIN_POINTS = 3
ZERO_SHARE = 0.3  # share of zeros from which a non-negative series counts as intermittent


@dataclass(frozen=True)
class SeriesPlan:
    """How one series is cross-validated: its kind, season length and number of CV windows."""

    kind: str
    season_length: int
    n_windows: int

    @property
    def candidates(self) -> tuple[str, ...]:
        if self.kind == "regular":
            return REGULAR if self.season_length > 1 else tuple(m for m in REGULAR if m != "SeasonalNaive")
        return {"short": SHORT, "intermittent": INTERMITTENT}.get(self.kind, ("Naive",))


def plan_series(y: np.ndarray, season_length: int, horizon: int, n_windows: int) -> SeriesPlan | None:
    """The richest plan the series' length allows; None when it is too short to forecast at all."""
    n = len(y)
    if n < MIN_POINTS:
        return None
    if np.all(y >= 0) and np.mean(y == 0) >= ZERO_SHARE:
        windows = _windows(n, horizon, n_windows, min_train=6)
        return SeriesPlan("intermittent", 1, windows) if windows else SeriesPlan("tiny", 1, 0)
    seasonal_min = 2 * season_length + 2 if season_length > 1 else 8
    windows = _windows(n, horizon, n_windows, min_train=seasonal_min)
    if windows:
        return SeriesPlan("regular", season_length, windows)
    windows = _windows(n, horizon, n_windows, min_train=6)
    return SeriesPlan("short", 1, windows) if windows else SeriesPlan("tiny", 1, 0)


def _windows(n: int, horizon: int, n_windows: int, min_train: int) -> int:
    return max(0, min(n_windows, (n - min_train) // horizon))


def build(name: str, season_length: int) -> Any:
    """A fresh statsforecast model for a candidate name, aliased to that name."""
    if name == "AutoETS":
        return AutoETS(season_length=season_length, alias=name)
    if name == "AutoARIMA":
        seasonal = 1 < season_length <= MAX_ARIMA_SEASON
        return AutoARIMA(season_length=season_length if seasonal else 1, seasonal=seasonal, alias=name)
    if name == "AutoTheta":
        return AutoTheta(season_length=season_length, alias=name)
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


def forecast_one(name: str, season_length: int, y: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Fit one model on ``y`` and return (mean, sigma per step); sigma is ones for flat-profile models.

    A model that fails on a series falls back to Naive, as StatsForecast's ``fallback_model`` does in CV.
    """
    try:
        out = build(name, season_length).forecast(y=y, h=h, level=[REF_LEVEL] if name in WITH_INTERVALS else None)
    except Exception:  # statsforecast raises plain Exceptions on degenerate series
        out = Naive().forecast(y=y, h=h, level=[REF_LEVEL])
    mean = np.asarray(out["mean"], dtype=float)
    key = f"lo-{REF_LEVEL}"
    if name in WITH_INTERVALS and key in out:
        return mean, sigma_from_band(out[key], out[f"hi-{REF_LEVEL}"])
    return mean, np.ones(h)
