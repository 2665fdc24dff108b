"""Forecasting models: training as a job (``train_forecast``) and forecasts with calibrated intervals.

A forecast model stores its chosen configuration per series (JSON) and a reference to its dataset; no
pickles. Forecasting refits the chosen statsforecast models on the history, which is fast.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

import pandas as pd

from core.entities import Actor, Model, TrainRequest
from core.errors import InvalidInput, Problem
from core.services.base import Service, record, require
from core.storage.repositories import models as model_repo

if TYPE_CHECKING:
    from core.engine import Engine
    from core.jobs.execution import JobContext

MAX_LEVELS = 5
DEFAULT_LEVELS = (80, 95)


def history(engine: Engine, actor: Actor, request: TrainRequest) -> pd.DataFrame:
    """The dataset as statsforecast's long format ``unique_id, ds, y`` (validated)."""
    from core.forecasting.prepare import to_long

    if not request.time_column:
        raise InvalidInput("Forecasting needs a time column.", [Problem("required", field="time_column")])
    columns = [c for c in (request.time_column, request.target, request.series_column) if c]
    frame = engine.datasets.frame(actor, request.dataset_id, list(dict.fromkeys(columns)))
    return to_long(frame, request.time_column, request.target, request.series_column,
                   resample=request.resample, freq=request.frequency)


def default_horizon(season_length: int, shortest: int) -> int:
    """One season ahead (at least 4 steps), but never more than a quarter of the shortest series."""
    return max(1, min(max(season_length, 4), shortest // 4))


def train_forecast(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    from core.forecasting.prepare import infer_frequency, season_length_for
    from core.forecasting.selection import fit_select

    engine, actor, request = ctx.engine, ctx.actor, TrainRequest.from_params(params)
    started = time.perf_counter()
    ctx.progress(0.01, "preparing")
    long = history(engine, actor, request)
    freq = request.frequency or infer_frequency(long)
    season = request.season_length or season_length_for(freq)
    shortest = int(long.groupby("unique_id").size().min())
    horizon = request.horizon or default_horizon(season, shortest)
    fit = fit_select(long, freq, season, horizon, n_windows=3, levels=DEFAULT_LEVELS, ctx=ctx,
                     n_jobs=max(1, min(os.cpu_count() or 1, 2)))
    ctx.check()
    leaderboard = fit.leaderboard
    selected = leaderboard[leaderboard["model"].astype(str).str.startswith("Selected")]
    metrics = {k: float(selected[k].iloc[0]) for k in ("mase", "smape", "rmse")} if len(selected) else {}
    spec = {"time_column": request.time_column, "target": request.target, "series_column": request.series_column,
            "resample": request.resample, "fit": fit.to_dict()}
    details = {
        "leaderboard": leaderboard.to_dict(orient="records"),
        "notes": list(fit.notes),
        "series": len(fit.configs),
        "train_rows": len(long),
        "duration_s": round(time.perf_counter() - started, 2),
        "training_datasets": [request.dataset_id],
        "chosen_family": ", ".join(sorted(set(fit.chosen().values())))[:200],
    }
    with engine.db.session() as session:
        model = model_repo.add_model(
            session, tenant_id=actor.tenant_id, owner_id=actor.user_id, name=request.name,
            version=model_repo.next_version(session, actor.tenant_id, request.name), problem_type="forecast",
            dataset_id=request.dataset_id, job_id=ctx.job.id, target=request.target, schema=spec,
            metrics=metrics, details=details,
        )
        record(session, actor, "model.trained", "model", model.id, name=model.label, kind="forecast")
    return {"model_id": model.id}


class ForecastService(Service):
    def _model(self, actor: Actor, model_id: str) -> Model:
        model = self.engine.models.get(actor, model_id)
        if model.problem_type != "forecast":
            raise InvalidInput(f"{model.label} is a {model.problem_type} model, not a forecaster.")
        return model

    def series(self, actor: Actor, model_id: str) -> list[str]:
        """The series ids a forecaster knows."""
        require(actor, "models:read")
        return list(self._model(actor, model_id).schema["fit"]["configs"])

    def history(self, actor: Actor, model_id: str) -> pd.DataFrame:
        """The training history (``unique_id, ds, y``) for plots."""
        require(actor, "models:read")
        model = self._model(actor, model_id)
        return history(self.engine, actor, self._request(model))

    @staticmethod
    def _request(model: Model) -> TrainRequest:
        spec = model.schema
        return TrainRequest(dataset_id=model.dataset_id, name=model.name, target=spec["target"],
                            problem_type="forecast", time_column=spec["time_column"],
                            series_column=spec.get("series_column"), resample=bool(spec.get("resample")),
                            frequency=spec["fit"]["freq"])

    def forecast(
        self, actor: Actor, model_id: str, steps: int = 12, series_ids: list[str] | None = None,
        level: tuple[int, ...] | list[int] = DEFAULT_LEVELS,
    ) -> pd.DataFrame:
        """``unique_id, ds, model, forecast, lo-80, hi-80, lo-95, hi-95`` for ``steps`` periods per series."""
        from core.forecasting.fit import ForecastFit
        from core.forecasting.predict import forecast

        require(actor, "inference:run")
        model = self._model(actor, model_id)
        levels = sorted({int(v) for v in level})
        if not levels or len(levels) > MAX_LEVELS or any(not 1 <= v <= 99 for v in levels):
            raise InvalidInput(f"Choose 1 to {MAX_LEVELS} interval levels between 1 and 99 (for example 80 and 95).")
        long = history(self.engine, actor, self._request(model))
        return forecast(long, ForecastFit.from_dict(model.schema["fit"]), int(steps), series_ids, levels)
