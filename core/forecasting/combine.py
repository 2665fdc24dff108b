"""Forecast combinations and the per-series choice among them and the single models.

Combining ETS, ARIMA, Theta and CES (and MSTL where several seasons are planned) forecasts is more accurate on
average than any one of them, and more than choosing the best one per series by a few CV windows: those windows
pick the luckiest model as often as the best one (the "forecast combination puzzle"). So the options per series
are the median, the mean and an inverse-error weighted mean of the core models, and each single model; a
single model is chosen only when its CV error is clearly (``SINGLE_MARGIN``) below the best combination's.
The weighted mean's weights come from the CV errors, shrunk halfway towards equal weights, since a few
windows estimate them poorly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CORE = ("AutoETS", "AutoARIMA", "AutoTheta", "AutoCES", "MSTL")
MIN_MEMBERS = 3  # fewer usable core models: single models only
SINGLE_MARGIN = 0.10  # a single model must beat the best combination's CV error by this share
SHRINKAGE = 0.5  # weight of the equal weights in the weighted mean
COMBINERS = {"mean": "Ensemble", "median": "Median", "weighted": "Weighted"}


@dataclass(frozen=True)
class Option:
    """One configuration: a single model (``combine`` "single") or a combination of ``models``."""

    models: tuple[str, ...]
    combine: str = "single"
    weights: tuple[float, ...] = ()

    @property
    def name(self) -> str:
        if self.combine == "single":
            return self.models[0]
        return COMBINERS[self.combine] + "(" + "+".join(self.models) + ")"

    def apply(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        """The combined forecast of ``arrays`` (model name -> values)."""
        stacked = np.array([arrays[name] for name in self.models], dtype=float)
        if self.combine == "median":
            return np.asarray(np.median(stacked, axis=0))
        if self.combine == "weighted":
            return np.asarray(np.average(stacked, axis=0, weights=self.weights))
        return np.asarray(stacked.mean(axis=0))

    def apply_sigma(self, sigmas: dict[str, np.ndarray]) -> np.ndarray:
        """Interval shape of the combination: the (weighted) mean of the members' own deviations."""
        stacked = np.array([sigmas[name] for name in self.models], dtype=float)
        weights = self.weights if self.combine == "weighted" else None
        return np.asarray(np.average(stacked, axis=0, weights=weights))


def options(
    y: np.ndarray, forecasts: dict[str, np.ndarray], candidates: tuple[str, ...], rows: np.ndarray
) -> list[Option]:
    """Every single candidate with finite forecasts on ``rows``, and the combinations of the core ones."""
    usable = [name for name in candidates if np.all(np.isfinite(forecasts[name][rows]))]
    found = [Option((name,)) for name in usable]
    core = tuple(name for name in CORE if name in usable)
    if len(core) >= MIN_MEMBERS:
        mse = np.array([np.mean(np.square(y[rows] - forecasts[name][rows])) for name in core])
        inverse = 1.0 / np.maximum(mse, 1e-12 * max(float(mse.max()), 1e-300))
        weights = SHRINKAGE / len(core) + (1 - SHRINKAGE) * inverse / inverse.sum()
        found += [
            Option(core, "median"),
            Option(core, "mean"),
            Option(core, "weighted", tuple(float(w) for w in weights)),
        ]
    return found


def choose(y: np.ndarray, forecasts: dict[str, np.ndarray], candidates: tuple[str, ...], rows: np.ndarray) -> Option:
    """The option with the lowest mean absolute error on ``rows``, combinations preferred (see the module)."""
    found = options(y, forecasts, candidates, rows)
    if not found:
        return Option(("Naive",) if "Naive" in candidates else (candidates[0],))

    def mae(option: Option) -> float:
        return float(np.mean(np.abs(y[rows] - option.apply(forecasts)[rows])))

    best = min(found, key=mae)
    combinations = [option for option in found if option.combine != "single"]
    if best.combine == "single" and combinations:
        best_combination = min(combinations, key=mae)
        if mae(best) > (1 - SINGLE_MARGIN) * mae(best_combination):
            return best_combination
    return best
