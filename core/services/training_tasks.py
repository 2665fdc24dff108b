"""Job task of tabular training: load the data, select and fit, explain, store the model with its evidence.

Stored per model: the skops pipeline, the held-out predictions (Parquet; the summary's metrics and plots are
recomputed from them), a background sample of training rows (Parquet; explanations are relative to it),
optionally the SHAP values, and a ``ModelRow`` whose ``details`` hold the leaderboard, training facts, lineage and
the ids of those files."""

from __future__ import annotations

import platform
from collections.abc import Sequence
from importlib import metadata
from typing import TYPE_CHECKING, Any

import pandas as pd

from core.entities import Actor, Dataset, Model, TrainRequest
from core.errors import InvalidInput, NotFound
from core.services.base import record
from core.services.importance import compute_importance, importance_details, importance_files
from core.services.result_files import PendingFiles
from core.storage.repositories import models as model_repo
from core.version import APP_VERSION

if TYPE_CHECKING:
    from core.engine import Engine
    from core.jobs.execution import JobContext
    from core.ml import TrainOutcome

EXPLAIN_ROWS = 2000  # rows explained at training time (the explain job lets the user choose)


def _datasets(engine: Engine, actor: Actor, dataset_ids: Sequence[str], whose: str) -> list[Dataset]:
    """The datasets, refused in one sentence when one was deleted (a parent's data may go after it trained)."""
    try:
        return [engine.datasets.get(actor, dataset_id) for dataset_id in dict.fromkeys(dataset_ids)]
    except NotFound as exc:
        raise InvalidInput(f"Some training data of {whose} was deleted, so it cannot be used.") from exc


def read_datasets(
    engine: Engine, actor: Actor, dataset_ids: Sequence[str], columns: Sequence[str], whose: str
) -> pd.DataFrame:
    """The rows of several datasets stacked, keeping ``columns`` that every one of them has."""
    frames = [
        engine.datasets.frame(actor, dataset.id, [c for c in columns if c in dataset.column_types])
        for dataset in _datasets(engine, actor, dataset_ids, whose)
    ]
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True, join="inner")


def model_datasets(model: Model) -> list[str]:
    """The datasets a model was trained on (incremental versions: the parent's first)."""
    return list(model.details.get("training_datasets") or [model.dataset_id])


def _sources(engine: Engine, actor: Actor, request: TrainRequest) -> tuple[list[str], str]:
    """The datasets a request trains on (incremental training: the parent's first, then the new one) and whose
    data they are, for messages."""
    if not request.parent_model_id:
        return [request.dataset_id], f"the dataset {engine.datasets.get(actor, request.dataset_id).name!r}"
    parent = engine.models.get(actor, request.parent_model_id)
    return list(dict.fromkeys([*model_datasets(parent), request.dataset_id])), parent.label


def training_columns(engine: Engine, actor: Actor, request: TrainRequest) -> list[str]:
    """The columns of ``training_frame``'s full frame, from metadata only: those every training dataset has."""
    datasets = _datasets(engine, actor, *_sources(engine, actor, request))
    named = engine.datasets.get(actor, request.dataset_id).columns
    return [c for c in named if all(c in d.column_types for d in datasets)]


def training_frame(
    engine: Engine, actor: Actor, request: TrainRequest, columns: Sequence[str] | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """The rows to train on (``columns``, default: those the request uses) and the ids of their datasets."""
    if columns is None:
        named = (
            [request.target, request.id_column, *request.features]
            if request.features is not None
            else engine.datasets.get(actor, request.dataset_id).columns
        )
        columns = [c for c in named if c]
    dataset_ids, whose = _sources(engine, actor, request)
    return read_datasets(engine, actor, dataset_ids, list(dict.fromkeys(columns)), whose), dataset_ids


def _versions() -> dict[str, str]:
    names = ("scikit-learn", "shap", "pandas", "numpy", "skops", "lightgbm", "xgboost-cpu")
    return {
        "python": platform.python_version(),
        "dataml-studio": APP_VERSION,
        **{n: metadata.version(n) for n in names},
    }


def _details(
    outcome: TrainOutcome, dataset_ids: list[str], parent: Model | None, algorithm: str | None
) -> dict[str, Any]:
    return {
        "leaderboard": outcome.leaderboard.to_dict(orient="records"),
        "cv_metric": outcome.metric_name,
        "chosen_family": outcome.chosen_family,
        "algorithm": algorithm,
        "train_rows": outcome.train_rows,
        "holdout_rows": outcome.holdout_rows,
        "duration_s": round(outcome.duration_s, 2),
        "trials": outcome.trials,
        "warnings": list(outcome.warnings),
        "training_datasets": dataset_ids,
        "parent": {"id": parent.id, "label": parent.label} if parent else None,
        "versions": _versions(),
    }


def train_tabular(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    from core.ml import background_sample, infer_schema, model_to_bytes, train_tabular

    engine, actor, request = ctx.engine, ctx.actor, TrainRequest.from_params(params)
    ctx.progress(0.01, "preparing")
    frame, dataset_ids = training_frame(engine, actor, request)
    dataset = engine.datasets.get(actor, request.dataset_id)
    parent = engine.models.get(actor, request.parent_model_id) if request.parent_model_id else None
    schema = infer_schema(
        frame,
        request.target,
        list(request.features) if request.features is not None else None,
        request.id_column,
        dataset.column_types,
        request.problem_type,
    )
    algorithms = [request.algorithm] if request.algorithm else None
    outcome = train_tabular(frame, schema, request.time_budget_s, ctx, n_jobs=1, algorithms=algorithms)  # one core
    background = background_sample(frame.drop(index=outcome.holdout.index), schema)  # training rows only
    importance = None
    if request.explain:
        ctx.check()
        ctx.progress(0.93, "explaining")
        importance = compute_importance(outcome.pipeline, schema, frame, EXPLAIN_ROWS, "training", background)
    ctx.check()
    ctx.progress(0.97, "saving")
    details = _details(outcome, dataset_ids, parent, request.algorithm)
    with PendingFiles(engine, actor) as files:
        files.add_bytes(model_to_bytes(outcome.pipeline), kind="model", name=f"{request.name}.skops")
        holdout = outcome.holdout.rename_axis("row").reset_index()
        holdout["row"] += 1  # 1 = the first training row, as in dataset previews
        files.add_parquet(holdout, name=f"{request.name}-holdout.parquet")
        files.add_parquet(background, name=f"{request.name}-background.parquet")
        importance_files(importance, files, request.name)
        with engine.db.session() as session:
            model_file, holdout_file, background_file, *values_file = files.register(session)
            details.update(holdout_file_id=holdout_file.id, background_file_id=background_file.id)
            if importance is not None:
                details.update(importance_details(importance, values_file[0].id))
            model = model_repo.add_model_version(
                session,
                tenant_id=actor.tenant_id,
                owner_id=actor.user_id,
                name=request.name,
                problem_type=schema.problem_type,
                dataset_id=request.dataset_id,
                parent_id=request.parent_model_id,
                job_id=ctx.job.id,
                file_id=model_file.id,
                target=request.target,
                schema=schema.to_dict(),
                metrics=dict(outcome.metrics),
                details=details,
            )
            record(session, actor, "model.trained", "model", model.id, name=model.label, family=outcome.chosen_family)
    return {"model_id": model.id}
