"""Prediction forms, single predictions and the predictions log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class InputField:
    """One input of a model's prediction form: its kind and the value the form starts with.

    ``source`` says where the default comes from ("template default", "training median", "training mode")."""

    name: str
    kind: str  # numeric | categorical | boolean | datetime | text
    dtype: str
    default: Any
    source: str
    options: tuple[str, ...] = ()
    minimum: Any = None
    maximum: Any = None


@dataclass(frozen=True)
class InputWarning:
    """An input unlike the training data: the model still scores it, but the prediction is less trustworthy.

    ``problem``: "above range" | "below range" (numbers, dates) | "unseen category" | "rare category"."""

    field: str
    value: str
    problem: str
    message: str  # one sentence naming the field, the value and the training range or count


@dataclass(frozen=True)
class Prediction:
    """One form prediction. ``base_value + sum(contributions.values()) == model_output`` (SHAP, original
    columns), where ``model_output`` is in ``output_space`` (value, probability, log-odds or raw score)."""

    model_id: str
    model_label: str
    problem_type: str
    prediction: Any
    probabilities: dict[str, float]  # class label (as text) -> probability; empty for regression
    base_value: float | None
    contributions: dict[str, float]
    model_output: float | None
    output_space: str | None
    explained_class: Any
    warnings: tuple[str, ...]  # every note in words, the input warnings' messages included
    duration_s: float
    log_id: str
    input_warnings: tuple[InputWarning, ...] = ()  # values unlike the training data (also in ``warnings``)
    baseline: str | None = None  # what ``base_value`` is, in words (e.g. the average output over N training rows)


PREDICTION_KINDS = ("form", "batch", "forecast")


@dataclass(frozen=True)
class PredictionRecord:
    """One entry of the predictions log (a form prediction, a batch file or a forecast)."""

    id: str
    user: str
    model_id: str
    model_label: str
    model_version: int
    kind: str
    inputs: dict[str, Any] | None
    input_file_id: str | None
    outputs: dict[str, Any] | None
    output_file_id: str | None
    job_id: str | None
    rows: int
    duration_s: float
    status: str
    error: str | None
    created_at: datetime
