"""Inference with tabular models: one case from a form (with its SHAP explanation), whole files as a job,
and the predictions log. The batch job itself is in ``inference_tasks.py``; forecasts live elsewhere."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from core.datasets import read_table
from core.entities import Actor, InputField, InputWarning, Job, JobStatus, Model, ModelSchema, Prediction, Template
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
from core.services.scoring import check_source, jsonable, model_schema, threads, without_coercion
from core.storage.repositories import catalog as catalog_repo
from core.storage.repositories import files as file_repo
from core.storage.repositories import predictions as repo
from core.storage.workspace import Workspace

TABULAR = ("classification", "regression")
UNREADABLE = "unreadable value"  # an input warning's problem: the recipe's cast could not read it
MAX_REASONS = 3


def _python(value: Any, spec: Any) -> Any:
    """A canonical default (from ``coerce_column`` or the schema) as the form widget expects it."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if spec.kind == "numeric":
        number = float(value)
        return int(number) if spec.dtype == "integer" and number.is_integer() else number
    if spec.kind == "boolean":
        return bool(value)
    if spec.kind == "datetime":
        stamp = pd.Timestamp(value)
        return stamp.date() if spec.dtype == "date" else stamp.to_pydatetime()
    return str(value)


def _baseline(explanation: Any, model: Model) -> str:
    """What a base value is, in words (the Predict page and the API say it)."""
    if explanation.baseline == "background":
        return f"the average model output over {explanation.background_rows:,} training rows kept with the model"
    if explanation.baseline == "training":
        rows = model.details.train_rows
        return "the average model output over the " + (f"{rows:,} " if rows else "") + "training rows"
    return (
        "the model output for the typical row (training medians and most frequent values): this model was "
        "trained before a sample of training rows was kept, so inputs at their default contribute 0; retrain "
        "it for explanations relative to the average prediction"
    )


def _logged(schema: ModelSchema, values: dict[str, Any], raw: bool = False) -> list[str]:
    """The inputs a form prediction logs: its features (``raw``: the raw values as given), and the row's id when one
    is given (a text or a number), so the prediction can be matched to its true value later
    (``eng.predictions.evaluate``)."""
    row_id = values.get(schema.id_column) if schema.id_column else None
    given = isinstance(row_id, str | int | float) and not isinstance(row_id, bool) and row_id == row_id
    names = [n for n in values if n != schema.id_column] if raw else list(schema.feature_names)
    return [*names, *([str(schema.id_column)] if given else [])]


class _Kept(NamedTuple):
    """An upload kept for a batch: its file id and storage key."""

    id: str
    storage_key: str


class InferenceService(Service):
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

    def form_fields(self, actor: Actor, model_id: str, raw: bool = False) -> list[InputField]:
        """The inputs of a model's prediction form, in model order, with their starting values.

        Template defaults win; otherwise numbers start at the training median and categories and booleans at
        the training mode. ``raw``, for a model trained on prepared data: the columns its recipe reads instead,
        starting at typical values of the data the recipe ran on (``core.prep.form``); ``predict_one`` puts such
        values through the recipe. InvalidInput for a model without a recipe, or one that cannot be replayed."""
        from core.ml.coerce import coerce_column

        if raw:
            return self._raw_fields(actor, model_id)
        with self.db.session() as session:
            model, schema = self._model(session, actor, model_id)
            found = self._template(session, actor, model)
        template = {c.name: c.default for c in found.columns if c.default is not None} if found else {}
        fields = []
        for spec in schema.features:
            default = spec.default
            source = "training median" if spec.kind in ("numeric", "datetime") else "training mode"
            if spec.name in template:
                coerced, bad = coerce_column(pd.Series([template[spec.name]], dtype=object), spec.kind)
                if not bad[0]:
                    default, source = coerced.iloc[0], "template default"
            if default is None:
                source = "no default"
            fields.append(
                InputField(
                    name=spec.name,
                    kind=spec.kind,
                    dtype=spec.dtype,
                    default=_python(default, spec),
                    source=source,
                    options=spec.categories,
                    minimum=spec.min,
                    maximum=spec.max,
                )
            )
        return fields

    def predict_one(
        self, actor: Actor, model_id: str, values: dict[str, Any], explain: bool = True, raw: bool = False
    ) -> Prediction:
        """Score one case; the prediction is exactly the saved pipeline's, explained with SHAP on the original
        columns against the model's background of training rows. A value for the model's id column is logged
        with it (not used to predict). Missing features, values of the wrong type
        (lists, dicts included) and ±inf are refused naming the field; values outside the training range and
        unseen or rare categories only warn (``input_warnings``). ``raw``: the values are the raw columns of a model
        trained on prepared data (``form_fields(raw=True)``): its recipe always runs on them, and they are logged
        as given (without it, values not in the prepared shape still go through the recipe). A value the recipe's
        cast could not read (not a blank) is scored as missing, and warned about too ("unreadable value")."""
        from core.ml import check_input, explain_one, input_warnings, predict_frame
        from core.ml.metrics import probability_column

        require(actor, "inference:run")
        started = time.perf_counter()
        with self.db.session() as session:
            model, schema = self._model(session, actor, model_id)
            pipeline = self.models._pipeline(session, actor, model)
            case, unread = self._case(actor, model, values, raw)
            aligned, problems, notes = check_input(schema, case)
            if problems:
                fields = ", ".join(dict.fromkeys(str(p.field) for p in problems))
                raise InvalidInput(
                    f"Some inputs are missing, of the wrong type or not finite numbers: {fields}.", problems
                )
            flags = (*unread, *input_warnings(schema, aligned))
            notes = [*notes, *(flag.message for flag in flags)]
            background = self.models._background(session, actor, model) if explain else None
            with threads().limit(limits=1):  # one row: OpenMP threads only add start-up latency per tree
                scored = predict_frame(without_coercion(pipeline), schema, aligned).iloc[0]
                explanation = explain_one(pipeline, schema, aligned, background, coerced=True) if explain else None
            probabilities = {
                str(c): float(scored[probability_column(c)])
                for c in schema.classes
                if probability_column(c) in scored.index
            }
            duration = time.perf_counter() - started
            prediction = jsonable(scored["prediction"])
            outputs: dict[str, Any] = {"prediction": prediction, "probabilities": probabilities}
            if flags:
                outputs["input_warnings"] = [flag.__dict__ for flag in flags]
            baseline = _baseline(explanation, model) if explanation else None
            if explanation is not None:
                outputs.update(
                    base_value=explanation.base_value,
                    baseline=baseline,
                    output_space=explanation.output_space,
                    contributions=explanation.contributions,
                )
            log_id = repo.add_prediction(
                session,
                tenant_id=actor.tenant_id,
                user_id=actor.user_id,
                model_id=model.id,
                model_label=model.label,
                model_version=model.version,
                kind="form",
                inputs=jsonable({name: values.get(name) for name in _logged(schema, values, raw)}),
                outputs=outputs,
                rows=1,
                duration_s=duration,
            )
            record(session, actor, "prediction.made", "model", model.id, model=model.label, log_id=log_id)
        return Prediction(
            model_id=model.id,
            model_label=model.label,
            problem_type=schema.problem_type,
            prediction=prediction,
            probabilities=probabilities,
            base_value=explanation.base_value if explanation else None,
            contributions=dict(explanation.contributions) if explanation else {},
            model_output=explanation.model_output if explanation else None,
            output_space=explanation.output_space if explanation else None,
            explained_class=jsonable(explanation.explained_class) if explanation else None,
            warnings=tuple(notes),
            duration_s=duration,
            log_id=log_id,
            input_warnings=flags,
            baseline=baseline,
        )

    def _raw_fields(self, actor: Actor, model_id: str) -> list[InputField]:
        from core.prep.form import SAMPLE_ROWS, raw_fields

        with self.db.session() as session:
            model, schema = self._model(session, actor, model_id)
            replay, source = self.recipes._raw_inputs(session, actor, model)
        wanted = {n: t for n, t in replay.source_columns.items() if n not in (schema.target, schema.id_column)}
        sample = None
        if source is not None:
            parquet = pq.ParquetFile(source)
            columns = [c for c in wanted if c in parquet.schema_arrow.names]
            first = next(parquet.iter_batches(batch_size=SAMPLE_ROWS, columns=columns), None)
            sample = first.to_pandas() if first is not None else None
        return raw_fields(wanted, sample)

    def _case(
        self, actor: Actor, model: Model, values: dict[str, Any], raw: bool
    ) -> tuple[pd.DataFrame, tuple[InputWarning, ...]]:
        """One case as a row; raw values of a model trained on prepared data go through its recipe first (``raw``:
        always, as the raw form sends them; else when they are not in the prepared shape), with a warning per
        column whose value a cast of the recipe could not read (it became missing; named as the case sent it)."""
        case, unread = self.recipes._frame_to_prepared(actor, model, pd.DataFrame([values]), "The case", raw)
        return case, tuple(InputWarning(u.column, u.first or "", UNREADABLE, u.message) for u in unread)

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

    def forecast(
        self,
        actor: Actor,
        model_id: str,
        steps: int = 12,
        series_ids: list[str] | None = None,
        level: tuple[int, ...] | list[int] = (80, 95),
        *,
        frequency: str | None = None,
        history_dataset_id: str | None = None,
    ) -> pd.DataFrame:
        """Forecasts with intervals of a forecast model, logged; see ``eng.forecasts.forecast``."""
        return self.forecasts.forecast(
            actor, model_id, steps, series_ids, level, frequency=frequency, history_dataset_id=history_dataset_id
        )

    # --- the log ---------------------------------------------------------------------------------
    def log(
        self,
        actor: Actor,
        model_id: str | None = None,
        user: str | None = None,
        since: date | datetime | None = None,
        until: date | datetime | None = None,
        limit: int = 10_000,
    ) -> pd.DataFrame:
        """The predictions log as a table, newest first (= ``eng.predictions.frame``)."""
        return self.predictions.frame(actor, model_id=model_id, user=user, since=since, until=until, limit=limit)
