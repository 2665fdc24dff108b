"""Prediction intervals calibrated on cross-validation errors (normalized split conformal).

The models' own intervals have the right *shape* over the horizon (wider further out) but the wrong
*width* on real series: they under-cover. So each CV error is divided by the model's own standard
deviation at that step (a score), and an interval becomes ``forecast ± q(level) · scale · sigma_h``:
- ``scale`` is the series' root-mean-square score in its worst CV window (how far off its model's own
  width is, sized on the roughest recent period rather than the average one);
- ``q(level)`` is the conformal quantile of scores divided by the scale of the *other* windows, pooled
  over all series of the fit, so tails are estimated from many points even when one series has few
  CV errors. (On real series sized this way, 95 % intervals held out coverage better than an average
  scale: the next period is often rougher than the average recent one.)
Models without intervals (intermittent ones) use a flat sigma of 1 and are pooled separately.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np


def scores(errors: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Absolute errors in units of the model's own standard deviation (NaN where undefined)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.abs(np.asarray(errors, dtype=float)) / np.asarray(sigma, dtype=float)
    return np.where(np.isfinite(s), s, np.nan)


def usable_sigma(sigma: np.ndarray) -> bool:
    """True when a model's per-step deviations can serve as an interval shape."""
    sigma = np.asarray(sigma, dtype=float)
    return bool(sigma.size and np.all(np.isfinite(sigma)) and np.all(sigma > 0))


def scale_of(s: np.ndarray, windows: np.ndarray) -> float:
    """Root-mean-square score of the worst window (0 when there is nothing to learn from)."""
    return max((_rms(s[windows == window]) for window in np.unique(windows)), default=0.0)


def standardized(s: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """Each window's scores divided by the scale of the *other* windows.

    Errors within one window are strongly correlated, so leaving out a whole window is what makes
    the pooled tails look like a new forecast's: they include the error of estimating the scale.
    """
    out = []
    for window in np.unique(windows):
        scale = scale_of(s[windows != window], windows[windows != window])
        mine = s[windows == window]
        if scale > 0:
            out.append(mine[np.isfinite(mine)] / scale)
    return np.concatenate(out) if out else np.array([])


def _rms(s: np.ndarray) -> float:
    s = s[np.isfinite(s)]
    return float(np.sqrt(np.mean(np.square(s)))) if s.size else 0.0


def quantile(pooled: Sequence[float], level: float) -> float:
    """Conformal quantile of the pooled standardized scores for a two-sided ``level`` (in percent).

    Never less than the normal quantile, which is what the scores would give for well-specified
    Gaussian errors; with too few points for the level, the largest score is used.
    """
    z = NormalDist().inv_cdf(0.5 + level / 200)
    values = np.sort(np.asarray(pooled, dtype=float))
    if values.size == 0:
        return z
    rank = min(math.ceil((values.size + 1) * level / 100), values.size)
    return max(float(values[rank - 1]), z)
