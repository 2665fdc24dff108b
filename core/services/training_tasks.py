"""Job tasks of tabular training: load the data, select and fit, explain, store the model."""

from __future__ import annotations

import platform
from importlib import metadata
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.entities import Actor, TrainRequest
from core.services.base import record
from core.storage.repositories import files as file_repo
from core.storage.repositories import models as model_repo
from core.version import APP_VERSION

if TYPE_CHECKING:
    from core.engine import Engine
    from core.jobs.execution import JobContext

HOLDOUT_PLOT_ROWS = 5000


def training_frame(engine: Engine, actor: Actor, request: TrainRequest) -> tuple[pd.DataFrame, list[str]]:
    """The rows to train on and the ids of the datasets they come from.

    Incremental training: the parent's training datasets first, then the new one (same columns)."""
    dataset_ids = [request.dataset_id]
    if request.parent_model_id:
        parent = engine.models.get(actor, request.parent_model_id)
        dataset_ids = [*parent.details.get("training_datasets", [parent.dataset_id]), request.dataset_id]
    wanted = [c for c in [request.target, request.id_column, *(request.features or ())] if c]
    frames = []
    for dataset_id in dict.fromkeys(dataset_ids):
        dataset = engine.datasets.get(actor, dataset_id)
        columns = list(dict.fromkeys(wanted)) if request.features else None
        if request.parent_model_id and columns is None:
            columns = [c for c in dataset.columns if c in engine.datasets.get(actor, request.dataset_id).column_types]
        frames.append(engine.datasets.frame(actor, dataset_id, columns))
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True, join="inner")
    return frame, list(dict.fromkeys(dataset_ids))


def _versions() -> dict[str, str]:
    names = ("scikit-learn", "shap", "pandas", "numpy", "skops")
    return {"python": platform.python_version(), "dataml-studio": APP_VERSION,
            **{n: metadata.version(n) for n in names}}


def train_tabular(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    from core.ml import confusion_frame, global_importance, infer_schema, model_to_bytes, train_tabular

    engine, actor, request = ctx.engine, ctx.actor, TrainRequest.from_params(params)
    ctx.progress(0.01, "preparing")
    frame, dataset_ids = training_frame(engine, actor, request)
    dataset = engine.datasets.get(actor, request.dataset_id)
    schema = infer_schema(frame, request.target, list(request.features) if request.features else None,
                          request.id_column, dataset.column_types, request.problem_type)
    outcome = train_tabular(frame, schema, request.time_budget_s, ctx, n_jobs=1)
    importance = None
    if request.explain:
        ctx.check()
        ctx.progress(0.93, "explaining")
        importance, _ = global_importance(outcome.pipeline, schema, frame)
    ctx.check()
    ctx.progress(0.97, "saving")
    holdout = outcome.holdout.head(HOLDOUT_PLOT_ROWS)
    details = {
        "leaderboard": outcome.leaderboard.to_dict(orient="records"),
        "cv_metric": outcome.metric_name,
        "chosen_family": outcome.chosen_family,
        "train_rows": outcome.train_rows,
        "holdout_rows": outcome.holdout_rows,
        "duration_s": round(outcome.duration_s, 2),
        "warnings": list(outcome.warnings),
        "training_datasets": dataset_ids,
        "versions": _versions(),
        "importance": importance.to_dict(orient="records") if importance is not None else None,
        "confusion": confusion_frame(holdout, schema.classes).to_dict(orient="split")
        if schema.problem_type == "classification" else None,
    }
    store = engine.store
    with store.writer(actor.tenant_id, "model") as (model_key, tmp):
        tmp.write_bytes(model_to_bytes(outcome.pipeline))
    with store.writer(actor.tenant_id, "result") as (holdout_key, tmp):
        pq.write_table(pa.Table.from_pandas(holdout.reset_index(drop=True), preserve_index=False), tmp)
    keys = [model_key, holdout_key]
    try:
        with engine.db.session() as session:
            model_file = file_repo.add_file(
                session, tenant_id=actor.tenant_id, owner_id=actor.user_id, kind="model",
                name=f"{request.name}.skops", content_type="application/octet-stream", stored=store.describe(model_key),
            )
            holdout_file = file_repo.add_file(
                session, tenant_id=actor.tenant_id, owner_id=actor.user_id, kind="result",
                name=f"{request.name}-holdout.parquet", content_type="application/vnd.apache.parquet",
                stored=store.describe(holdout_key),
            )
            details["holdout_file_id"] = holdout_file.id
            model = model_repo.add_model(
                session, tenant_id=actor.tenant_id, owner_id=actor.user_id, name=request.name,
                version=model_repo.next_version(session, actor.tenant_id, request.name),
                problem_type=schema.problem_type, dataset_id=request.dataset_id, parent_id=request.parent_model_id,
                job_id=ctx.job.id, file_id=model_file.id, target=request.target, schema=schema.to_dict(),
                metrics={k: v for k, v in outcome.metrics.items()}, details=details,
            )
            record(session, actor, "model.trained", "model", model.id, name=model.label,
                   family=outcome.chosen_family)
    except BaseException:
        for key in keys:
            store.delete(key)
        raise
    return {"model_id": model.id}
