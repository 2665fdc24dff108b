"""Inference with tabular models: one case from a form (with its SHAP explanation), whole files as a job,
and the predictions log. The batch job itself is in ``inference_tasks.py``; forecasts live elsewhere."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from threadpoolctl import ThreadpoolController

from core.datasets import read_table
from core.entities import Actor, InputField, Job, JobStatus, Model, Prediction
from core.errors import Conflict, InvalidInput, JobFailed, NotFound, Problem
from core.services.base import Service, record, require
from core.services.datasets import Source, within_limit
from core.services.files import clean_name
from core.storage.repositories import catalog as catalog_repo
from core.storage.repositories import files as file_repo
from core.storage.repositories import predictions as repo

TABULAR = ("classification", "regression")
MAX_REASONS = 3
LOG_COLUMNS = [
    "created (UTC)",
    "user",
    "model",
    "version",
    "kind",
    "status",
    "rows",
    "duration_s",
    "inputs",
    "input_file_id",
    "outputs",
    "output_file_id",
    "error",
    "job_id",
    "model_id",
    "id",
]


def jsonable(value: Any) -> Any:
    """A value as JSON stores it: numpy scalars unwrapped, dates as ISO text, NaN as None."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


@cache
def _threads() -> ThreadpoolController:
    """Built once: it scans the loaded native libraries, which takes milliseconds."""
    return ThreadpoolController()


def without_coercion(pipeline: Any) -> Any:
    """The pipeline minus its first step, for frames ``check_input`` already coerced to canonical dtypes: the
    step is idempotent, and repeating its per-value work is the slowest part of scoring text columns."""
    return pipeline[1:] if pipeline.steps[0][0] == "coerce" else pipeline


def model_schema(model: Model) -> Any:
    """The ``core.ml.ModelSchema`` of a tabular model (refuses forecasting models with one sentence)."""
    from core.ml import ModelSchema

    if model.problem_type not in TABULAR:
        raise InvalidInput(
            f"{model.label} is a {model.problem_type} model; only classification and regression models score rows."
        )
    return ModelSchema.from_dict(model.schema)


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


def _check_source(
    name: str, columns: list[str], rows: int, model: Model, schema: Any, explain_top: int, explain_max_rows: int
) -> None:
    """The checks that need no values: the columns the model needs, the size limit for reasons per row (SHAP per
    row is far slower than scoring)."""
    missing = [c for c in schema.feature_names if c not in columns]
    if missing:
        raise InvalidInput(
            f"{name!r} lacks {len(missing)} column(s) that {model.label} needs: {', '.join(missing)}.",
            [Problem("missing column", field=c) for c in missing],
        )
    if explain_top and rows > explain_max_rows:
        raise InvalidInput(
            f"Reasons per row are available for files of up to {explain_max_rows:,} rows; "
            f"{name!r} has {rows:,}. Score it without reasons."
        )


def _baseline(explanation: Any, model: Model) -> str:
    """What a base value is, in words (the Predict page and the API say it)."""
    if explanation.baseline == "background":
        return f"the average model output over {explanation.background_rows:,} training rows kept with the model"
    if explanation.baseline == "training":
        rows = model.details.get("train_rows")
        return "the average model output over the " + (f"{rows:,} " if rows else "") + "training rows"
    return (
        "the model output for the typical row (training medians and most frequent values): this model was "
        "trained before a sample of training rows was kept, so inputs at their default contribute 0; retrain "
        "it for explanations relative to the average prediction"
    )


def _log_text(value: dict[str, Any] | None) -> str | None:
    return json.dumps(value, default=str) if value is not None else None


class InferenceService(Service):
    def _model(self, actor: Actor, model_id: str) -> tuple[Model, Any]:
        model = self.engine.models.get(actor, model_id)
        return model, model_schema(model)

    def _template_defaults(self, actor: Actor, model: Model) -> dict[str, Any]:
        """Defaults of the template of the model's dataset (empty when it has none)."""
        with self.db.session() as session:
            dataset = catalog_repo.get_dataset(session, actor.tenant_id, model.dataset_id)
            if dataset.template_id is None:
                return {}
            template = catalog_repo.get_template(session, actor.tenant_id, dataset.template_id)
        return {c.name: c.default for c in template.columns if c.default is not None}

    def form_fields(self, actor: Actor, model_id: str) -> list[InputField]:
        """The inputs of a model's prediction form, in model order, with their starting values.

        Template defaults win; otherwise numbers start at the training median and categories and booleans at
        the training mode."""
        from core.ml.coerce import coerce_column

        model, schema = self._model(actor, model_id)
        template = self._template_defaults(actor, model)
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

    def predict_one(self, actor: Actor, model_id: str, values: dict[str, Any], explain: bool = True) -> Prediction:
        """Score one case; the prediction is exactly the saved pipeline's, explained with SHAP on the original
        columns against the model's background of training rows. Missing features, values of the wrong type
        (lists, dicts included) and ±inf are refused naming the field; values outside the training range and
        unseen or rare categories only warn (``input_warnings``)."""
        from core.ml import check_input, explain_one, input_warnings, predict_frame
        from core.ml.metrics import probability_column

        require(actor, "inference:run")
        started = time.perf_counter()
        model, schema = self._model(actor, model_id)
        pipeline = self.engine.models.pipeline(actor, model_id)
        aligned, problems, notes = check_input(schema, pd.DataFrame([values]))
        if problems:
            fields = ", ".join(dict.fromkeys(str(p.field) for p in problems))
            raise InvalidInput(f"Some inputs are missing, of the wrong type or not finite numbers: {fields}.", problems)
        flags = input_warnings(schema, aligned)
        notes = [*notes, *(flag.message for flag in flags)]
        background = self.engine.models.background(actor, model_id) if explain else None
        with _threads().limit(limits=1):  # one row: OpenMP threads only add start-up latency per tree
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
        inputs = jsonable({name: values.get(name) for name in schema.feature_names})
        with self.db.session() as session:
            log_id = repo.add_prediction(
                session,
                tenant_id=actor.tenant_id,
                user_id=actor.user_id,
                model_id=model.id,
                model_label=model.label,
                model_version=model.version,
                kind="form",
                inputs=inputs,
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
        ignored and listed when the job runs), the size limit for reasons per row (``explain_top``)."""
        require(actor, "inference:run")
        model, schema = self._model(actor, model_id)
        if (dataset_id is None) == (data is None):
            raise InvalidInput("Choose either a dataset or a file to score.")
        if not 0 <= explain_top <= MAX_REASONS:
            raise InvalidInput(
                f"Reasons per row: between 0 and {MAX_REASONS}.", [Problem("out of range", field="explain_top")]
            )
        params: dict[str, Any] = {
            "model_id": model.id,
            "model_label": model.label,
            "model_version": model.version,
            "explain_top": explain_top,
        }
        if dataset_id is not None:
            dataset = self.engine.datasets.get(actor, dataset_id)
            if dataset.status != "validated":
                raise InvalidInput(
                    f"The dataset {dataset.name!r} has unresolved problems; upload it again keeping "
                    "only valid rows, or score the file directly."
                )
            _check_source(
                dataset.name,
                dataset.columns,
                dataset.rows,
                model,
                schema,
                explain_top,
                self.engine.settings.explain_max_rows,
            )
            params.update(
                dataset_id=dataset.id, input_file_id=dataset.file_id, input_name=dataset.name, rows=dataset.rows
            )
        else:
            name, table = self._read_upload(actor, model, data, filename)
            _check_source(
                name,
                table.column_names,
                table.num_rows,
                model,
                schema,
                explain_top,
                self.engine.settings.explain_max_rows,
            )
            params.update(input_file_id=self._keep_input(actor, name, table), input_name=name, rows=table.num_rows)
        return self.engine.jobs.submit(
            actor, "batch_predict", f"Score {params['input_name']} with {model.label}", params
        )

    def _read_upload(
        self, actor: Actor, model: Model, data: Source | None, filename: str | None
    ) -> tuple[str, pa.Table]:
        """The upload as a table (empty and unreadable files refused); text columns of the model's template are
        read verbatim, so codes such as '007' keep their zeros."""
        if data is None or not filename:
            raise InvalidInput("An uploaded file needs its file name (for its format).")
        name = clean_name(filename)
        with self.db.session() as session:
            dataset = catalog_repo.get_dataset(session, actor.tenant_id, model.dataset_id)
            template = (
                catalog_repo.get_template(session, actor.tenant_id, dataset.template_id)
                if dataset.template_id
                else None
            )
        return name, read_table(
            within_limit(data, self.engine.settings), name, columns=list(template.columns) if template else None
        )

    def _keep_input(self, actor: Actor, name: str, table: pa.Table) -> str:
        """Store a checked upload as a Parquet file of the tenant; the job reads it chunk by chunk."""
        store = self.engine.store
        with store.writer(actor.tenant_id, "data") as (key, tmp):
            pq.write_table(table, tmp)
        try:
            with self.db.session() as session:
                info = file_repo.add_file(
                    session,
                    tenant_id=actor.tenant_id,
                    owner_id=actor.user_id,
                    kind="data",
                    name=f"{Path(name).stem}.parquet",
                    content_type="application/vnd.apache.parquet",
                    stored=store.describe(key),
                )
                record(session, actor, "file.added", "file", info.id, name=info.name, kind="data", size=info.size)
        except BaseException:
            store.delete(key)
            raise
        return info.id

    def batch_result(self, actor: Actor, job_id: str, limit: int | None = None) -> pd.DataFrame:
        """The scored file of a finished batch job: input columns + prediction (+ probability_<class>)."""
        require(actor, "predictions:read")
        job = self.engine.jobs.get(actor, job_id)
        if job.kind != "batch_predict":
            raise NotFound("That job is not a batch prediction.")
        if not job.finished:
            raise Conflict("The batch is still running; its result is not ready yet.")
        if job.status != JobStatus.SUCCEEDED or not job.result:
            raise JobFailed(f"The batch did not finish ({job.status}): {job.error or 'no result'}")
        with self.db.session() as session:
            key = file_repo.storage_key(session, actor.tenant_id, job.result["file_id"])
        return pd.read_csv(self.engine.store.path(key), nrows=limit)

    def forecast(
        self,
        actor: Actor,
        model_id: str,
        steps: int = 12,
        series_ids: list[str] | None = None,
        level: tuple[int, ...] | list[int] = (80, 95),
    ) -> pd.DataFrame:
        """Forecasts with intervals of a forecast model, logged; see ``eng.forecasts.forecast``."""
        return self.engine.forecasts.forecast(actor, model_id, steps, series_ids, level)

    # --- the log ----------------------------------------------------------------------------------
    def log(
        self,
        actor: Actor,
        model_id: str | None = None,
        user: str | None = None,
        since: date | datetime | None = None,
        until: date | datetime | None = None,
        limit: int = 10_000,
    ) -> pd.DataFrame:
        """The predictions log, newest first; a date ``until`` includes that whole day."""
        require(actor, "predictions:read")
        if isinstance(until, date) and not isinstance(until, datetime):
            until = datetime.combine(until, datetime.min.time()) + timedelta(days=1)
        if isinstance(since, date) and not isinstance(since, datetime):
            since = datetime.combine(since, datetime.min.time())
        with self.db.session() as session:
            entries = repo.list_predictions(
                session, actor.tenant_id, model_id=model_id, username=user, since=since, until=until, limit=limit
            )
        return pd.DataFrame(
            [
                [
                    e.created_at,
                    e.user,
                    e.model_label,
                    e.model_version,
                    e.kind,
                    e.status,
                    e.rows,
                    round(e.duration_s, 4),
                    _log_text(e.inputs),
                    e.input_file_id,
                    _log_text(e.outputs),
                    e.output_file_id,
                    e.error,
                    e.job_id,
                    e.model_id,
                    e.id,
                ]
                for e in entries
            ],
            columns=LOG_COLUMNS,
        )
