"""Job task ``explain_model``: SHAP importance of a stored model on a sample of its training rows."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from core.errors import InvalidInput, NotFound
from core.services.base import record, require
from core.services.datasets import read_columns
from core.services.importance import compute_importance, importance_files
from core.services.models import tabular
from core.services.result_files import PendingFiles
from core.storage.repositories import files as file_repo
from core.storage.repositories import models as model_repo

if TYPE_CHECKING:
    from core.services.tasking import TaskContext


def explain_model(ctx: TaskContext, params: dict[str, Any]) -> dict[str, Any]:
    """Job task: SHAP importance of a model on a sample of its training rows, replacing any earlier one."""
    actor, models, datasets = ctx.actor, ctx.services.models, ctx.services.datasets
    require(actor, "models:train")
    with ctx.workspace.db.session() as session:
        model = models._get(session, actor, params["model_id"])
        schema = tabular(model)
        pipeline = models._pipeline(session, actor, model)
        background = models._background(session, actor, model)
        try:
            sources = [datasets._located(session, actor, dataset_id) for dataset_id in model.datasets]
        except NotFound as exc:
            raise InvalidInput(f"Some training data of {model.label} was deleted, so it cannot be used.") from exc
    ctx.check()
    ctx.progress(0.1, "reading the training data")
    frames = [read_columns(d, path, [c for c in schema.feature_names if c in d.column_types]) for d, path in sources]
    frame = pd.concat([f.to_pandas() for f in frames], ignore_index=True, join="inner")
    ctx.check()
    ctx.progress(0.2, f"explaining {min(len(frame), int(params['sample_rows'])):,} rows")
    importance = compute_importance(pipeline, schema, frame, int(params["sample_rows"]), "explain job", background)
    ctx.check()
    ctx.progress(0.95, "saving")
    with PendingFiles(ctx.workspace.store, actor) as files:
        importance_files(importance, files, model.label)
        with ctx.workspace.db.session() as session:
            current = model_repo.get_model(session, actor.tenant_id, model.id)  # NotFound if deleted meanwhile
            (values_file,) = files.register(session)
            details = replace(current.details, importance=importance.info())
            model_repo.set_details(session, actor.tenant_id, model.id, details=details)
            old = model_repo.set_file(session, actor.tenant_id, model.id, role="importance", file_id=values_file.id)
            old_key = file_repo.delete_file(session, actor.tenant_id, old) if old else None
            record(session, actor, "model.explained", "model", model.id, name=model.label, rows=importance.rows)
    if old_key:
        ctx.workspace.store.delete(old_key)
    return {"model_id": model.id, "file_id": values_file.id}
