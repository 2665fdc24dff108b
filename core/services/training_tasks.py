"""Job task of tabular training: select and fit on the plan's rows, explain, store the model with its evidence.

Stored per model, in one transaction: the skops pipeline, the held-out predictions (Parquet; the summary's metrics
and plots are recomputed from them), a background sample of training rows (Parquet; explanations are relative to
it), optionally the SHAP values, the ``ModelRow`` (schema, metrics, details) and its links to those files and to
the datasets it was trained on."""

from __future__ import annotations

import platform
from dataclasses import replace
from importlib import metadata
from typing import TYPE_CHECKING, Any

from core.entities import ModelDetails, TrainRequest
from core.services.base import record, require
from core.services.importance import compute_importance, importance_files
from core.services.result_files import PendingFiles
from core.storage.repositories import models as model_repo
from core.version import APP_VERSION

if TYPE_CHECKING:
    from core.ml import TrainOutcome
    from core.services.tasking import TaskContext
    from core.services.training_plan import TrainingPlan

EXPLAIN_ROWS = 2000  # rows explained at training time (the explain job lets the user choose)


def _versions() -> dict[str, str]:
    names = ("scikit-learn", "shap", "pandas", "numpy", "skops", "lightgbm", "xgboost-cpu")
    return {
        "python": platform.python_version(),
        "dataml-studio": APP_VERSION,
        **{n: metadata.version(n) for n in names},
    }


def _details(outcome: TrainOutcome, plan: TrainingPlan) -> ModelDetails:
    return ModelDetails(
        chosen_family=outcome.chosen_family,
        leaderboard=tuple(outcome.leaderboard.to_dict(orient="records")),
        train_rows=outcome.train_rows,
        duration_s=round(outcome.duration_s, 2),
        warnings=tuple(outcome.warnings),
        parent_label=plan.parent.label if plan.parent else None,
        versions=_versions(),
        cv_metric=outcome.metric_name,
        holdout_rows=outcome.holdout_rows,
        algorithm=plan.request.algorithm,
        trials=outcome.trials,
    )


def train_tabular(ctx: TaskContext, params: dict[str, Any]) -> dict[str, Any]:
    from core.ml import background_sample, infer_schema, model_to_bytes, train_tabular

    actor, request = ctx.actor, TrainRequest.from_params(params)
    require(actor, "models:train")
    plan = ctx.services.training._job_plan(actor, ctx.job.id, request)
    frame = plan.frame()
    schema = infer_schema(
        frame,
        request.target,
        list(request.features) if request.features is not None else None,
        request.id_column,
        plan.declared_types(),
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
    details = _details(outcome, plan)
    with PendingFiles(ctx.workspace.store, actor) as files:
        files.add_bytes(model_to_bytes(outcome.pipeline), kind="model", name=f"{request.name}.skops")
        holdout = outcome.holdout.rename_axis("row").reset_index()
        holdout["row"] += 1  # 1 = the first training row, as in dataset previews
        files.add_parquet(holdout, name=f"{request.name}-holdout.parquet")
        files.add_parquet(background, name=f"{request.name}-background.parquet")
        importance_files(importance, files, request.name)
        with ctx.workspace.db.session() as session:
            stored = files.register(session)
            roles = dict(zip(("model", "holdout", "background", "importance"), (f.id for f in stored), strict=False))
            if importance is not None:
                details = replace(details, importance=importance.info())
            recipe = ctx.services.recipes._replay_for_training(session, actor, request.dataset_id)
            details = replace(details, recipe=recipe)  # what the model replays on raw rows (prepared data)
            model = model_repo.add_model_version(
                session,
                tenant_id=actor.tenant_id,
                owner_id=actor.user_id,
                name=request.name,
                problem_type=schema.problem_type,
                dataset_id=request.dataset_id,
                parent_id=request.parent_model_id,
                job_id=ctx.job.id,
                target=request.target,
                schema=schema,
                metrics=dict(outcome.metrics),
                details=details,
                datasets=plan.dataset_ids,
                files=roles,
                domain=request.domain or "",
            )
            record(session, actor, "model.trained", "model", model.id, name=model.label, family=outcome.chosen_family)
    return {"model_id": model.id}
