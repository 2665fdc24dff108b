"""The result of model selection: what to refit per series and how to calibrate its intervals.

A ``ForecastFit`` holds configuration and evaluation data only (names, numbers, small frames), never
fitted model objects, so it round-trips through JSON (``to_dict`` / ``from_dict``) and forecasting
refits the chosen configuration on the training data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.forecasting import calibration
from core.forecasting.combine import Option
from core.forecasting.prepare import to_dates

_DATE_COLUMNS = ("ds", "cutoff")


@dataclass(frozen=True)
class SeriesConfig:
    """The chosen configuration of one series: one model, or a combination of models (see ``combine``)."""

    models: tuple[str, ...]
    season_length: int
    kind: str  # regular | short | intermittent | tiny (see core.forecasting.models)
    profile: str  # "model": the models' own sigma per step shapes the interval; "flat": constant
    scale: float  # calibration scale of the interval width (see core.forecasting.calibration)
    nonnegative: bool  # lower bounds are clipped at 0 (intermittent demand)
    combine: str = "single"  # single | mean | median | weighted
    weights: tuple[float, ...] = ()  # of "weighted", per model
    seasons: tuple[int, ...] = ()  # MSTL's season lengths

    @property
    def option(self) -> Option:
        return Option(self.models, self.combine, self.weights)

    @property
    def name(self) -> str:
        return self.option.name


@dataclass(frozen=True, eq=False)
class ForecastFit:
    """Chosen configuration per series, CV evaluation, and calibration data for conformal intervals.

    ``series_metrics``: unique_id, model, mase, smape, rmse, chosen (one row per candidate and per
    combination tried per series). ``leaderboard``: model, mase, smape, rmse, selected_mase, n_series,
    chosen_for, in_ensembles (means over series; the row "Selected" is the per-series choice). ``cv``: unique_id, ds,
    cutoff, y, one column per candidate and ``chosen`` (cross-validation forecasts, for plots).
    ``pooled_scores``: per interval profile, the standardized CV scores that set interval quantiles.
    """

    freq: str
    season_length: int
    horizon: int
    n_windows: int
    levels: tuple[int, ...]
    candidates: tuple[str, ...]
    configs: dict[str, SeriesConfig]
    series_metrics: pd.DataFrame
    leaderboard: pd.DataFrame
    cv: pd.DataFrame
    pooled_scores: dict[str, tuple[float, ...]]
    notes: tuple[str, ...] = field(default=())
    exogenous: tuple[str, ...] = field(default=())  # columns whose future values a forecast needs

    def chosen(self) -> dict[str, str]:
        """Series id -> name of the chosen configuration."""
        return {uid: config.name for uid, config in self.configs.items()}

    def interval_quantile(self, profile: str, level: float) -> float:
        return calibration.quantile(self.pooled_scores.get(profile, ()), level)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (dates as ISO strings, NaN as None)."""
        return {
            "freq": self.freq,
            "season_length": self.season_length,
            "horizon": self.horizon,
            "n_windows": self.n_windows,
            "levels": list(self.levels),
            "candidates": list(self.candidates),
            "configs": {uid: _config_to_dict(c) for uid, c in self.configs.items()},
            "series_metrics": _frame_to_dict(self.series_metrics),
            "leaderboard": _frame_to_dict(self.leaderboard),
            "cv": _frame_to_dict(self.cv),
            "pooled_scores": {k: list(v) for k, v in self.pooled_scores.items()},
            "notes": list(self.notes),
            "exogenous": list(self.exogenous),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ForecastFit:
        return cls(
            freq=data["freq"],
            season_length=int(data["season_length"]),
            horizon=int(data["horizon"]),
            n_windows=int(data["n_windows"]),
            levels=tuple(int(v) for v in data["levels"]),
            candidates=tuple(data["candidates"]),
            configs={uid: _config_from_dict(c) for uid, c in data["configs"].items()},
            series_metrics=_frame_from_dict(data["series_metrics"]),
            leaderboard=_frame_from_dict(data["leaderboard"]),
            cv=_frame_from_dict(data["cv"]),
            pooled_scores={k: tuple(float(x) for x in v) for k, v in data["pooled_scores"].items()},
            notes=tuple(data["notes"]),
            exogenous=tuple(data.get("exogenous", ())),
        )


def _config_to_dict(config: SeriesConfig) -> dict[str, Any]:
    return {
        "models": list(config.models),
        "season_length": config.season_length,
        "kind": config.kind,
        "profile": config.profile,
        "scale": config.scale,
        "nonnegative": config.nonnegative,
        "combine": config.combine,
        "weights": list(config.weights),
        "seasons": list(config.seasons),
    }


def _config_from_dict(data: dict[str, Any]) -> SeriesConfig:
    return SeriesConfig(
        models=tuple(data["models"]),
        season_length=int(data["season_length"]),
        kind=data["kind"],
        profile=data["profile"],
        scale=float(data["scale"]),
        nonnegative=bool(data["nonnegative"]),
        # fits stored before combinations existed averaged their models
        combine=data.get("combine", "single" if len(data["models"]) == 1 else "mean"),
        weights=tuple(float(w) for w in data.get("weights", ())),
        seasons=tuple(int(m) for m in data.get("seasons", ())),
    )


def _frame_to_dict(frame: pd.DataFrame) -> dict[str, Any]:
    out = frame.replace([np.inf, -np.inf], np.nan)  # strict JSON has no infinity
    for column in _DATE_COLUMNS:
        if column in out:
            out[column] = out[column].dt.strftime("%Y-%m-%dT%H:%M:%S")
    rows = [[_plain(v) for v in row] for row in out.astype(object).to_numpy().tolist()]
    return {"columns": list(out.columns), "data": rows}


def _plain(value: Any) -> Any:
    """JSON-able scalar: NaN / NaT become None, numpy scalars become Python ones."""
    if pd.isna(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _frame_from_dict(data: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame(data["data"], columns=data["columns"])
    for column in frame.columns:
        if column in _DATE_COLUMNS:
            frame[column] = to_dates(frame[column])
        elif column not in ("unique_id", "model") and frame[column].dtype == object:
            frame[column] = pd.to_numeric(frame[column])
    return frame
