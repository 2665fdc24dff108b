"""Inference with tabular models: one case from a form (with its SHAP explanation), forecasts by model id, and
the predictions log. Whole files are scored by the base class, ``batch_scoring.BatchScoring`` (the job itself is
in ``inference_tasks.py``)."""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from core.entities import Actor, InputField, InputWarning, Model, ModelSchema, Prediction
from core.errors import InvalidInput
from core.services.base import record, require
from core.services.batch_scoring import BatchScoring
from core.services.scoring import jsonable, threads, without_coercion
from core.storage.repositories import predictions as repo

TABULAR = ("classification", "regression")
UNREADABLE = "unreadable value"  # an input warning's problem: the recipe's cast could not read it


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


class InferenceService(BatchScoring):
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
