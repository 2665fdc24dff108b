"""Request and response models of inference (seed 004 §9, "Inference APIs"): one case, its form, batches,
forecasts, a prediction by id and the predictions log. ``train_id`` is a model id or its training job's id."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from api.schemas import UtcDatetime
from core import Evaluation, InputField, Outcome, Prediction, PredictionRecord, PredictionResult

MAX_FORECAST_ROWS = 10_000  # in a JSON response; the CSV (by file id) has them all
TrainId = Annotated[
    str, Field(description="The model: its UUID, or the UUID of the training job that made it (the seed's train_id).")
]
PREPROCESS = "Accepted for the seed's sake and ignored: preprocessing is part of the model here."
Scalar = str | int | float | bool | None


class PredictIn(BaseModel):
    train_id: TrainId
    features: dict[str, Any] = Field(
        description="Input values by column; the model's id column may be given too (logged, so the prediction "
        "can be checked against its true value later)."
    )
    target: str | None = Field(default=None, description="The model's target; 422 when it names another.")
    preprocess_id: str | int | None = Field(default=None, description=PREPROCESS)
    explain: bool = Field(default=False, description="Add the SHAP explanation (per original column).")
    raw: bool = Field(
        default=False,
        description="The features are the raw columns of a model trained on prepared data (the form's raw=true): "
        "its recipe always runs on them.",
    )


class InputWarningOut(BaseModel):
    field: str
    value: str
    problem: str = Field(
        description="above range | below range | unseen category | rare category | unreadable value (a raw value "
        "the model's recipe could not cast: scored as missing)"
    )
    message: str


class ExplanationOut(BaseModel):
    """``base_value + sum(contributions) == model_output``, in ``output_space``."""

    base_value: float
    baseline: str | None = Field(description="What the base value averages over, in words.")
    contributions: dict[str, float] = Field(description="Per original input column.")
    model_output: float | None
    output_space: str | None = Field(description="value, probability, log-odds or raw score.")
    explained_class: Scalar = None


class PredictionOut(BaseModel):
    prediction_id: str = Field(description="The entry in the predictions log.")
    train_id: str
    model_id: str
    model_name: str
    problem_type: str
    target: str
    prediction: Scalar
    probabilities: dict[str, float] = Field(description="Per class label (classification).")
    explanation: ExplanationOut | None = None
    input_warnings: list[InputWarningOut] = Field(description="Values unlike the training data.")
    warnings: list[str] = Field(description="Every note in words, the input warnings' messages included.")
    duration_ms: float

    @classmethod
    def of(cls, train_id: str, target: str, p: Prediction) -> PredictionOut:
        explanation = None
        if p.base_value is not None:
            explanation = ExplanationOut(
                base_value=p.base_value,
                baseline=p.baseline,
                contributions=p.contributions,
                model_output=p.model_output,
                output_space=p.output_space,
                explained_class=p.explained_class,
            )
        return cls(
            prediction_id=p.log_id,
            train_id=train_id,
            model_id=p.model_id,
            model_name=p.model_label,
            problem_type=p.problem_type,
            target=target,
            prediction=p.prediction,
            probabilities=p.probabilities,
            explanation=explanation,
            input_warnings=[InputWarningOut(**vars(w)) for w in p.input_warnings],
            warnings=list(p.warnings),
            duration_ms=round(p.duration_s * 1000, 3),
        )


class FieldOut(BaseModel):
    column_name: str
    data_type: str = Field(description="integer, float, string, boolean, category, date or datetime.")
    kind: str = Field(description="numeric, categorical, boolean, datetime or text: the widget a form needs.")
    default_value: Scalar = Field(
        description="Template default, else the training median or mode (ISO dates); raw form: the recipe source's."
    )
    default_source: str
    options: list[str] = Field(description="Training categories (raw form: the source's values), most frequent first.")
    minimum: Scalar = None
    maximum: Scalar = None

    @classmethod
    def of(cls, field: InputField) -> FieldOut:
        default = field.default.isoformat() if isinstance(field.default, date) else field.default
        return cls(
            column_name=field.name,
            data_type=field.dtype,
            kind=field.kind,
            default_value=default,
            default_source=field.source,
            options=list(field.options),
            minimum=field.minimum,
            maximum=field.maximum,
        )


class FormOut(BaseModel):
    id: str = Field(description="As asked (a model or training job id).")
    model_id: str
    problem_type: str
    target: str
    id_column: str | None = Field(description="Give it in ``features`` to match the prediction to a true value later.")
    headers: list[FieldOut]
    preprocess_id: None = Field(default=None, description=PREPROCESS)


class BatchIn(BaseModel):
    train_id: TrainId
    dataset_id: str = Field(description="The dataset to score (every row passed validation).")
    explain_top: int = Field(default=0, ge=0, le=3, description="Top reasons per row (SHAP), 0 for none.")


class PredictionSubmitted(BaseModel):
    status: str = "success"
    message: str
    prediction_id: str = Field(description="The job's id: follow it with /inference/result or /jobs/{id}.")
    job_id: str
    job_status: str


class ForecastIn(BaseModel):
    train_id: TrainId
    steps: int = Field(ge=1, le=10_000, description="Periods to forecast after each series' last observation.")
    unique_id: str | list[str] | None = Field(default=None, description="One series id, several, or all (null).")
    levels: list[int] = Field(default=[80, 95], description="Interval levels, whole percentages (1 to 5 of them).")
    frequency: str | None = Field(
        default=None, description="Must be the model's own, in any spelling (Week, weekly, W); optional."
    )
    dataset_id: str | None = Field(
        default=None,
        description="A dataset of newer observations (the training data's columns): forecast from its end "
        "without retraining.",
    )
    future_dataset_id: str | None = Field(
        default=None, description="Future values of the model's exogenous columns, when it has any."
    )
    preprocess_id: str | int | None = Field(default=None, description=PREPROCESS)


class IntervalOut(BaseModel):
    level: int
    lower: float | None
    upper: float | None


class ForecastPointOut(BaseModel):
    unique_id: str
    date: str = Field(description="ISO date (or date and time) of the period.")
    value: float | None
    model: str = Field(description="The configuration chosen for the series.")
    intervals: list[IntervalOut]


class ForecastOut(BaseModel):
    prediction_id: str = Field(description="The entry in the predictions log.")
    train_id: str
    model_id: str
    file_id: str = Field(description="The whole forecast as CSV: GET /files/download/?file_id=…")
    frequency: str = Field(description="The model's frequency (pandas alias).")
    steps: int
    series: int
    rows: int
    truncated: bool = Field(description=f"True when only the first {MAX_FORECAST_ROWS:,} rows are listed here.")
    forecast: list[ForecastPointOut]

    @classmethod
    def of(cls, train_id: str, model_id: str, frequency: str, steps: int, frame: pd.DataFrame) -> ForecastOut:
        levels = sorted(int(c[3:]) for c in frame.columns if c.startswith("lo-"))
        shown = frame.head(MAX_FORECAST_ROWS)
        daily = bool((shown["ds"] == shown["ds"].dt.normalize()).all())
        return cls(
            prediction_id=frame.attrs["log_id"],
            train_id=train_id,
            model_id=model_id,
            file_id=frame.attrs["file_id"],
            frequency=frequency,
            steps=steps,
            series=int(frame["unique_id"].nunique()),
            rows=len(frame),
            truncated=len(frame) > len(shown),
            forecast=[
                ForecastPointOut(
                    unique_id=str(row["unique_id"]),
                    date=row["ds"].date().isoformat() if daily else row["ds"].isoformat(),
                    value=_number(row["forecast"]),
                    model=str(row["model"]),
                    intervals=[
                        IntervalOut(level=lv, lower=_number(row[f"lo-{lv}"]), upper=_number(row[f"hi-{lv}"]))
                        for lv in levels
                    ],
                )
                for row in shown.to_dict(orient="records")
            ],
        )


def _number(value: Any) -> float | None:
    number = float(value)
    return number if np.isfinite(number) else None


class OutcomeOut(BaseModel):
    """How the prediction compared with true values a labelled dataset gave later."""

    metric: str = Field(description="accuracy (classification) or mae (regression, forecasts; target units).")
    value: float
    rows: int = Field(description="Rows matched with a true value.")
    dataset_id: str
    evaluated_at: UtcDatetime

    @classmethod
    def of(cls, outcome: Outcome | None) -> OutcomeOut | None:
        return None if outcome is None else cls(**vars(outcome))


class PredictionEntry(BaseModel):
    """One entry of the predictions log, in the seed's shape plus what the log keeps."""

    prediction_id: str
    train_id: str = Field(description="The model's id.")
    model_version: int
    predictor_name: str
    date: UtcDatetime
    user: str
    prediction_type: str = Field(description="form, batch or forecast.")
    status: str
    no_of_records: int
    dataset_id: str | None
    input_data: str = Field(description="What was scored, in words (the seed's 'dataset_id:21').")
    inputs: dict[str, Any] | None
    outputs: dict[str, Any] | None
    input_file_id: str | None
    file_id: str | None = Field(description="The scored file or forecast, by id.")
    job_id: str | None
    duration_s: float
    error: str | None
    problem_type: str | None = Field(description="The model's (null once the model is deleted).")
    domain_name: str | None = Field(description="The model's domain label (null when it has none).")
    accuracy: float | None = Field(description="Share predicted right, once true values are known (classification).")
    outcome: OutcomeOut | None
    warnings: list[str] = Field(
        default_factory=list,
        description="The warnings logged with it: a form's input warnings, a batch's (of many, the first, each cut "
        "short).",
    )

    @classmethod
    def of(cls, e: PredictionRecord) -> PredictionEntry:
        inputs = e.inputs or {}
        dataset_id = inputs.get("dataset_id") or inputs.get("history_dataset_id")
        source = f"dataset_id:{dataset_id}" if dataset_id else str(inputs.get("source") or e.kind)
        if e.kind == "form":
            source = "form"
        accuracy = e.outcome.value if e.outcome is not None and e.outcome.metric == "accuracy" else None
        return cls(
            prediction_id=e.id,
            train_id=e.model_id,
            model_version=e.model_version,
            predictor_name=e.model_label,
            date=e.created_at,
            user=e.user,
            prediction_type=e.kind,
            status=e.status,
            no_of_records=e.rows,
            dataset_id=dataset_id,
            input_data=source,
            inputs=e.inputs,
            outputs=e.outputs,
            input_file_id=e.input_file_id,
            file_id=e.output_file_id,
            job_id=e.job_id,
            duration_s=e.duration_s,
            error=e.error,
            problem_type=e.problem_type,
            domain_name=e.domain,
            accuracy=accuracy,
            outcome=OutcomeOut.of(e.outcome),
            warnings=list(e.warnings),
        )


class PredictionList(BaseModel):
    total: int = Field(description="Entries matching the filters, over all pages.")
    skip: int
    limit: int
    data: list[PredictionEntry]


class ResultOut(BaseModel):
    prediction_id: str
    prediction_type: str = Field(description="form, batch or forecast.")
    status: str = Field(description="queued, running, succeeded, failed, canceled or interrupted.")
    train_id: str = Field(description="The model's id.")
    job_id: str | None
    file_id: str | None = Field(description="The result CSV: GET /files/download/?file_id=… (no server path).")
    dataset_id: str | None
    rows: int | None
    summary: dict[str, Any] | None = Field(description="Batch: class counts or a histogram; forecast: dates, models.")
    warnings: list[str] = Field(
        description="Batch: first, per column, the raw values the model's recipe could not cast (scored as "
        "missing: how many, the first); then the scoring's notes."
    )
    error: str | None
    log_id: str | None = Field(description="The entry in the predictions log, once written.")
    outcome: OutcomeOut | None

    @classmethod
    def of(cls, r: PredictionResult) -> ResultOut:
        return cls(
            prediction_id=r.prediction_id,
            prediction_type=r.kind,
            status=r.status,
            train_id=r.model_id,
            job_id=r.job_id,
            file_id=r.file_id,
            dataset_id=r.dataset_id,
            rows=r.rows,
            summary=r.summary,
            warnings=list(r.warnings),
            error=r.error,
            log_id=r.record.id if r.record else None,
            outcome=OutcomeOut.of(r.record.outcome) if r.record else None,
        )


class EvaluateIn(BaseModel):
    train_id: TrainId
    dataset_id: str = Field(description="A dataset holding the true values: the model's id column and target.")


class EvaluationOut(BaseModel):
    train_id: str
    dataset_id: str
    key: list[str] = Field(description="The columns predictions were matched by.")
    metric: str
    value: float | None = Field(description="Over every matched row of every entry (null when none matched).")
    rows: int
    entries: int = Field(description="Log entries that found true values (their outcome was recorded).")
    unmatched: int = Field(description="Log entries that found none (no id given, no matching row).")

    @classmethod
    def of(cls, e: Evaluation) -> EvaluationOut:
        return cls(
            train_id=e.model_id,
            dataset_id=e.dataset_id,
            key=list(e.key),
            metric=e.metric,
            value=e.value,
            rows=e.rows,
            entries=e.entries,
            unmatched=e.unmatched,
        )
