"""Scoring whole tables with a tabular model: a dataset or an uploaded file checked and submitted as a job, and
the scored file it leaves. The base of ``InferenceService`` (``eng.inference``), which adds one case from a form and
the predictions log; the job itself is in ``inference_tasks.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from core.datasets import read_table
from core.entities import Actor, Job, JobStatus, Model, ModelSchema, Template
from core.errors import Conflict, InvalidInput, JobFailed, NotFound, Problem
from core.services.base import Service, record, require
from core.services.datasets import DatasetService, Source, within_limit
from core.services.files import clean_name
from core.services.forecasts import ForecastService
from core.services.hidden import refuse_hidden
from core.services.jobs import JobService
from core.services.models import ModelService
from core.services.predictions import PredictionLogService
from core.services.recipes import RecipeService
from core.services.scoring import check_source, model_schema
from core.storage.repositories import catalog as catalog_repo
from core.storage.repositories import files as file_repo
from core.storage.workspace import Workspace

MAX_REASONS = 3  # the most reasons per row a batch adds (``explain_top``)


class _Kept(NamedTuple):
    """An upload kept for a batch: its file id and storage key."""

    id: str
    storage_key: str


class BatchScoring(Service):
    def __init__(
        self,
        workspace: Workspace,
        *,
        datasets: DatasetService,
        models: ModelService,
        forecasts: ForecastService,
        predictions: PredictionLogService,
        jobs: JobService,
        recipes: RecipeService,
    ) -> None:
        super().__init__(workspace)
        self.datasets, self.models, self.forecasts, self.jobs = datasets, models, forecasts, jobs
        self.predictions, self.recipes = predictions, recipes

    def _model(self, session: Session, actor: Actor, model_id: str) -> tuple[Model, ModelSchema]:
        model = self.models._get(session, actor, model_id)
        return model, model_schema(model)

    def _template(self, session: Session, actor: Actor, model: Model) -> Template | None:
        """The template of the model's dataset, if it has one."""
        dataset = catalog_repo.get_dataset(session, actor.tenant_id, model.dataset_id)
        return catalog_repo.get_template(session, actor.tenant_id, dataset.template_id) if dataset.template_id else None

    # --- batch ------------------------------------------------------------------------------------
    def predict_batch(
        self,
        actor: Actor,
        model_id: str,
        dataset_id: str | None = None,
        data: Source | None = None,
        filename: str | None = None,
        explain_top: int = 0,
    ) -> Job:
        """Score a dataset or an uploaded CSV / Excel / Parquet file as a job (result ``{"file_id", "rows"}``).

        Checked here, before the job: the source, an empty file, the columns the model needs (extra ones are
        ignored and listed when the job runs), the size limit for reasons per row (``explain_top``). Raw rows of a
        model trained on prepared data go through its recipe here; per column whose values its cast could not read
        (scored as missing), the result's warnings say how many, and the first."""
        require(actor, "inference:run")
        if (dataset_id is None) == (data is None):
            raise InvalidInput("Choose either a dataset or a file to score.")
        if not 0 <= explain_top <= MAX_REASONS:
            raise InvalidInput(
                f"Reasons per row: between 0 and {MAX_REASONS}.", [Problem("out of range", field="explain_top")]
            )
        limit, kept = self.settings.explain_max_rows, None
        try:
            with self.db.session() as session:
                model, schema = self._model(session, actor, model_id)
                params: dict[str, Any] = {
                    "model_id": model.id,
                    "model_label": model.label,
                    "model_version": model.version,
                    "explain_top": explain_top,
                }
                if dataset_id is not None:
                    dataset = self.datasets._readable(session, actor, dataset_id)
                    if dataset.status != "validated":
                        raise InvalidInput(
                            f"The dataset {dataset.name!r} has unresolved problems; upload it again keeping "
                            "only valid rows, or score the file directly."
                        )
                    params.update(dataset_id=dataset.id, input_name=dataset.name)
                    if not self.recipes._needs_recipe(model, dataset.column_types):
                        check_source(dataset.name, dataset.columns, dataset.rows, model, schema, explain_top, limit)
                        params.update(input_file_id=dataset.file_id, rows=dataset.rows)
                    raw = None if "input_file_id" in params else self.datasets.table(actor, dataset.id)
                else:
                    params["input_name"], raw = self._read_upload(session, actor, model, data, filename)
                if raw is not None:  # an upload, or a dataset the model's recipe prepares first: kept as a file
                    name = params["input_name"]
                    table, unreadable = self.recipes._raw_to_prepared(actor, model, raw, repr(name))
                    if table is not raw:  # say so where the job is listed
                        params["prepared_with"] = str((model.details.recipe or {}).get("recipe_name", ""))
                    if unreadable:  # the job's result warns of them first
                        params["recipe_notes"] = [u.message for u in unreadable]
                    check_source(name, table.column_names, table.num_rows, model, schema, explain_top, limit)
                    kept = self._keep_input(session, actor, name, table)
                    params.update(input_file_id=kept.id, rows=table.num_rows)
                title = f"Score {params['input_name']} with {model.label}"
                if "prepared_with" in params:
                    title += f" (raw rows prepared by the recipe '{params['prepared_with']}')"
                job = self.jobs._queue(session, actor, "batch_predict", title, params)
        except BaseException:
            if kept is not None:
                self.store.delete(kept.storage_key)
            raise
        return self.jobs._start(job, actor)

    def _read_upload(
        self, session: Session, actor: Actor, model: Model, data: Source | None, filename: str | None
    ) -> tuple[str, pa.Table]:
        """The upload as a table (empty and unreadable files refused); text columns of the model's template are
        read verbatim, so codes such as '007' keep their zeros."""
        if data is None or not filename:
            raise InvalidInput("An uploaded file needs its file name (for its format).")
        name = clean_name(filename)
        template = self._template(session, actor, model)
        columns = list(template.columns) if template else None
        return name, read_table(within_limit(data, self.settings), name, columns=columns)

    def _keep_input(self, session: Session, actor: Actor, name: str, table: pa.Table) -> _Kept:
        """Store a checked upload as a Parquet file of the tenant (the job reads it chunk by chunk); the caller
        removes the bytes if its transaction fails."""
        with self.store.writer(actor.tenant_id, "data") as (key, tmp):
            pq.write_table(table, tmp)
        try:
            info = file_repo.add_file(
                session,
                tenant_id=actor.tenant_id,
                owner_id=actor.user_id,
                kind="data",
                name=f"{Path(name).stem}.parquet",
                content_type="application/vnd.apache.parquet",
                stored=self.store.describe(key),
            )
        except BaseException:
            self.store.delete(key)
            raise
        record(session, actor, "file.added", "file", info.id, name=info.name, kind="data", size=info.size)
        return _Kept(info.id, key)

    def batch_result(self, actor: Actor, job_id: str, limit: int | None = None) -> pd.DataFrame:
        """The scored file of a finished batch job: input columns + prediction (+ probability_<class>)."""
        require(actor, "predictions:read")
        with self.db.session() as session:
            job = self.jobs._get(session, actor, job_id)
            if job.kind != "batch_predict":
                raise NotFound("That job is not a batch prediction.")
            refuse_hidden(session, actor, [str(job.params.get("dataset_id") or "")])
            if not job.finished:
                raise Conflict("The batch is still running; its result is not ready yet.")
            if job.status != JobStatus.SUCCEEDED or not job.result:
                raise JobFailed(f"The batch did not finish ({job.status}): {job.error or 'no result'}")
            key = file_repo.storage_key(session, actor.tenant_id, job.result["file_id"])
        return pd.read_csv(self.store.path(key), nrows=limit)
