"""Job task ``explain_model``: SHAP importance of a stored model on a sample of its training rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.services.base import record
from core.services.importance import compute_importance, importance_details, importance_file_id, importance_files
from core.services.result_files import PendingFiles
from core.services.training_tasks import model_datasets, read_datasets
from core.storage.repositories import files as file_repo
from core.storage.repositories import models as model_repo

if TYPE_CHECKING:
    from core.jobs.execution import JobContext


def explain_model(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Job task: SHAP importance of a model on a sample of its training rows, replacing any earlier one."""
    from core.ml import ModelSchema

    engine, actor = ctx.engine, ctx.actor
    ctx.progress(0.02, "loading the model")
    model = engine.models.get(actor, params["model_id"])
    pipeline = engine.models.pipeline(actor, model.id)
    schema = ModelSchema.from_dict(model.schema)
    ctx.check()
    ctx.progress(0.1, "reading the training data")
    frame = read_datasets(engine, actor, model_datasets(model), schema.feature_names, model.label)
    ctx.check()
    ctx.progress(0.2, f"explaining {min(len(frame), int(params['sample_rows'])):,} rows")
    background = engine.models.background(actor, model.id)
    importance = compute_importance(pipeline, schema, frame, int(params["sample_rows"]), "explain job", background)
    ctx.check()
    ctx.progress(0.95, "saving")
    with PendingFiles(engine, actor) as files:
        importance_files(importance, files, model.label)
        with engine.db.session() as session:
            current = model_repo.get_model(session, actor.tenant_id, model.id)  # NotFound if deleted meanwhile
            (values_file,) = files.register(session)
            details = {**current.details, **importance_details(importance, values_file.id)}
            model_repo.update_model(session, actor.tenant_id, model.id, details=details)
            old = importance_file_id(current)
            old_key = file_repo.delete_file(session, actor.tenant_id, old) if old else None
            record(session, actor, "model.explained", "model", model.id, name=model.label, rows=importance.rows)
    if old_key:
        engine.store.delete(old_key)
    return {"model_id": model.id, "file_id": values_file.id}
