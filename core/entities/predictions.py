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

    ``problem``: "above range" | "below range" (numbers, dates) | "unseen category" | "rare category" |
    "unreadable value" (a raw value the model's recipe could not cast: scored as missing)."""

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
class Outcome:
    """How a logged prediction compared with the true values a labelled dataset gave later.

    ``metric``: "accuracy" (classification: the share of matched rows predicted right) or "mae" (regression and
    forecasts: the mean absolute error, in the target's units), over ``rows`` matched rows."""

    metric: str
    value: float
    rows: int
    dataset_id: str
    evaluated_at: datetime


@dataclass(frozen=True)
class PredictionRecord:
    """One entry of the predictions log (a form prediction, a batch file or a forecast). ``problem_type`` and
    ``domain`` are the model's (None once it is deleted); ``outcome`` is set once a labelled dataset gave true values
    for it."""

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
    problem_type: str | None = None
    domain: str | None = None  # the model's label, None when it has none
    outcome: Outcome | None = None

    @property
    def warnings(self) -> tuple[str, ...]:
        """The warnings logged with it: a form's input warnings, a batch's (the first of many, each cut short)."""
        outputs = self.outputs or {}
        if self.kind == "form":
            return tuple(str(w.get("message")) for w in outputs.get("input_warnings") or ())
        return tuple(str(w) for w in outputs.get("warning_texts") or ())


@dataclass(frozen=True)
class PredictionResult:
    """A prediction followed by its id (``eng.predictions.result``): a batch or forecast job (from submission on)
    or an entry of the log. ``status`` is the job's while it runs; ``record`` is the log entry once there is one."""

    prediction_id: str
    kind: str  # form | batch | forecast
    status: str  # queued | running | succeeded | failed | canceled | interrupted
    model_id: str
    job_id: str | None
    file_id: str | None  # the scored CSV or the forecast CSV, by id
    dataset_id: str | None  # the dataset scored, or the newer history a forecast started from
    rows: int | None
    summary: dict[str, Any] | None
    warnings: tuple[str, ...]
    error: str | None
    record: PredictionRecord | None


@dataclass(frozen=True)
class Evaluation:
    """What ``eng.predictions.evaluate`` found: log entries matched to the labelled dataset's rows by ``key``
    (the model's id column; for forecasts series and time), the pooled ``metric`` over all matched rows
    (None when nothing matched), and the entries that found no true value."""

    model_id: str
    dataset_id: str
    key: tuple[str, ...]
    metric: str
    value: float | None
    rows: int
    entries: int
    unmatched: int
