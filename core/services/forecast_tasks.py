"""Forecasting job functions: ``train_forecast`` fits and stores a forecaster, ``forecast_job`` runs a forecast."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from core.entities import ForecastSpec, ModelDetails, TrainRequest
from core.services.base import record, require
from core.services.forecast_checks import DEFAULT_LEVELS, N_WINDOWS, job_cores, settings_for, to_history
from core.storage.repositories import models as model_repo

if TYPE_CHECKING:
    from core.services.tasking import TaskContext


def train_forecast(ctx: TaskContext, params: dict[str, Any]) -> dict[str, Any]:
    """Job ``train_forecast``: choose a model per series by cross-validation; result ``{"model_id"}``."""
    from core.forecasting import fit_select

    actor, request = ctx.actor, TrainRequest.from_params(params)
    require(actor, "models:train")
    started = time.perf_counter()
    ctx.progress(0.01, "preparing the series")
    plan = ctx.services.training._job_plan(actor, ctx.job.id, request)
    long = to_history(plan.frame(), request)
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
    spec = ForecastSpec(
        time_column=str(request.time_column),
        target=request.target,
        series_column=request.series_column,
        resample=request.resample,
        fit=fit.to_dict(),
    )
    details = ModelDetails(
        chosen_family=", ".join(sorted(set(fit.chosen().values())))[:200],
        leaderboard=tuple(board.to_dict(orient="records")),
        train_rows=len(long),
        duration_s=round(time.perf_counter() - started, 2),
        series=len(fit.configs),
        notes=tuple(fit.notes),
        inferred=chosen.inferred,
    )
    with ctx.workspace.db.session() as session:
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
            datasets=plan.dataset_ids,
            files={},
            domain=request.domain or "",
        )
        record(session, actor, "model.trained", "model", model.id, name=model.label, kind="forecast")
    return {"model_id": model.id}


def forecast_job(ctx: TaskContext, params: dict[str, Any]) -> dict[str, Any]:
    """Job ``forecast``: result ``{"file_id", "log_id", "rows", "series"}`` (the CSV is a result file)."""
    frame = ctx.services.forecasts.forecast(
        ctx.actor,
        params["model_id"],
        params["steps"],
        params["series_ids"],
        params["levels"],
        params.get("future_dataset_id"),
        history_dataset_id=params.get("history_dataset_id"),
        ctx=ctx,
        job_id=ctx.job.id,
    )
    return {
        "file_id": frame.attrs["file_id"],
        "log_id": frame.attrs["log_id"],
        "rows": len(frame),
        "series": int(frame["unique_id"].nunique()),
    }
