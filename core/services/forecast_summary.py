"""What a forecaster learned, as the Forecast page and the API show it (``eng.forecasts.summary``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from core.entities import ForecastSpec, Model

if TYPE_CHECKING:
    from core.forecasting import ForecastFit


@dataclass(frozen=True)
class ForecastSummary:
    """What a forecaster learned: settings, leaderboard, the choice and CV metrics per series, notes.

    ``leaderboard``: model, mase, smape, rmse (means over the series each was tried on), selected_mase (the
    choice's MASE over those same series), n_series, chosen_for, in_ensembles; its first rows include
    "Selected (per series)". ``series``: unique_id, model (chosen), kind
    (regular | short | intermittent | tiny), mase, smape, rmse. ``series_metrics``: every candidate per series
    with ``chosen``. ``cv``: unique_id, ds, cutoff, y, one column per candidate and ``chosen``.
    """

    model: Model
    spec: ForecastSpec
    freq: str
    season_length: int
    horizon: int
    n_windows: int
    candidates: tuple[str, ...]
    metrics: dict[str, float]
    leaderboard: pd.DataFrame
    series: pd.DataFrame
    series_metrics: pd.DataFrame
    cv: pd.DataFrame
    notes: tuple[str, ...]


def series_table(fit: ForecastFit) -> pd.DataFrame:
    metrics = fit.series_metrics
    chosen = metrics[metrics["chosen"].astype(bool)].drop(columns=["chosen", "model"])  # bool: also when empty
    kinds = pd.DataFrame(
        {
            "unique_id": list(fit.configs),
            "model": [c.name for c in fit.configs.values()],
            "kind": [c.kind for c in fit.configs.values()],
        }
    )
    return kinds.merge(chosen, on="unique_id", how="left")
