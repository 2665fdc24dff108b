"""Forecasting job functions: ``train_forecast`` fits and stores a forecaster, ``forecast_job`` runs a forecast."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from core.entities import TrainRequest
from core.services.base import record
from core.services.forecasts import DEFAULT_LEVELS, N_WINDOWS, ForecastService, history, job_cores, settings_for
from core.storage.repositories import models as model_repo

if TYPE_CHECKING:
    from core.jobs.execution import JobContext


def train_forecast(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Job ``train_forecast``: choose a model per series by cross-validation; result ``{"model_id"}``."""
    from core.forecasting import fit_select

    engine, actor, request = ctx.engine, ctx.actor, TrainRequest.from_params(params)
    started = time.perf_counter()
    ctx.progress(0.01, "preparing the series")
    long = history(engine, actor, request)
    chosen = settings_for(long, request)
    fit = fit_select(
        long,
        chosen.freq,
        None if "season length" in chosen.inferred else chosen.season_length,  # None: detected per series
        chosen.horizon,
        n_windows=N_WINDOWS,
        levels=DEFAULT_LEVELS,
        ctx=ctx,
        n_jobs=job_cores(),
        exogenous=request.exogenous,
    )
    ctx.check()
    board = fit.leaderboard
    selected = board[board["model"].astype(str).str.startswith("Selected")]
    metrics = {k: float(selected[k].iloc[0]) for k in ("mase", "smape", "rmse")} if len(selected) else {}
    spec = {
        "time_column": request.time_column,
        "target": request.target,
        "series_column": request.series_column,
        "resample": request.resample,
        "exogenous": list(request.exogenous),
        "fit": fit.to_dict(),
    }
    details = {
        "leaderboard": board.to_dict(orient="records"),
        "notes": list(fit.notes),
        "series": len(fit.configs),
        "train_rows": len(long),
        "frequency": fit.freq,
        "season_length": fit.season_length,
        "horizon": fit.horizon,
        "inferred": list(chosen.inferred),
        "duration_s": round(time.perf_counter() - started, 2),
        "training_datasets": [request.dataset_id],
        "chosen_family": ", ".join(sorted(set(fit.chosen().values())))[:200],
    }
    with engine.db.session() as session:
        model = model_repo.add_model_version(
            session,
            tenant_id=actor.tenant_id,
            owner_id=actor.user_id,
            name=request.name,
            problem_type="forecast",
            dataset_id=request.dataset_id,
            job_id=ctx.job.id,
            target=request.target,
            schema=spec,
            metrics=metrics,
            details=details,
        )
        record(session, actor, "model.trained", "model", model.id, name=model.label, kind="forecast")
    return {"model_id": model.id}


def forecast_job(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Job ``forecast``: result ``{"file_id", "log_id", "rows", "series"}`` (the CSV is a result file)."""
    service: ForecastService = ctx.engine.forecasts
    frame = service.forecast(
        ctx.actor,
        params["model_id"],
        params["steps"],
        params["series_ids"],
        params["levels"],
        params.get("future_dataset_id"),
        ctx=ctx,
        job_id=ctx.job.id,
    )
    return {
        "file_id": frame.attrs["file_id"],
        "log_id": frame.attrs["log_id"],
        "rows": len(frame),
        "series": int(frame["unique_id"].nunique()),
    }
