"""Frozen dataclasses that leave the engine; ORM rows never do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from core.datasets.report import ValidationReport

ColumnType = Literal["integer", "float", "string", "boolean", "category", "date", "datetime"]
COLUMN_TYPES: tuple[str, ...] = ("integer", "float", "string", "boolean", "category", "date", "datetime")


@dataclass(frozen=True)
class ColumnSpec:
    """One column a template expects: its name, type, default value and whether it must be present.

    ``date_format`` (strftime-style, e.g. ``%d/%m/%Y``) says how a date or datetime column is written, for
    files whose dates the data alone cannot decide (03/04/2020).
    """

    name: str
    dtype: str = "string"
    default: Any = None
    required: bool = True
    date_format: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {"name": self.name, "dtype": self.dtype, "default": self.default, "required": self.required}
        return data | ({"date_format": self.date_format} if self.date_format else {})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnSpec:
        return cls(
            name=str(data["name"]),
            dtype=str(data.get("dtype", "string")),
            default=data.get("default"),
            required=bool(data.get("required", True)),
            date_format=str(data["date_format"]) if data.get("date_format") else None,
        )


@dataclass(frozen=True)
class Tenant:
    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class User:
    id: str
    tenant_id: str
    username: str
    display_name: str
    email: str
    role: str
    is_platform_admin: bool
    active: bool
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True)
class Actor:
    """The signed-in user as services see it: who, which tenant, what they may do."""

    user_id: str
    username: str
    display_name: str
    tenant_id: str
    tenant_name: str
    role: str
    permissions: frozenset[str]
    is_platform_admin: bool = False

    def can(self, permission: str) -> bool:
        return permission in self.permissions


@dataclass(frozen=True)
class Role:
    name: str
    permissions: frozenset[str]
    builtin: bool


class JobStatus(StrEnum):
    """queued → running → succeeded | failed | canceled | interrupted; a str, so it is stored and compared as one."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    INTERRUPTED = "interrupted"


UNFINISHED_JOB_STATES = (JobStatus.QUEUED, JobStatus.RUNNING)
FINISHED_STATES = frozenset(JobStatus) - set(UNFINISHED_JOB_STATES)


@dataclass(frozen=True)
class Job:
    id: str
    tenant_id: str
    owner_id: str
    owner: str
    kind: str
    title: str
    status: JobStatus
    progress: float
    message: str
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    error_details: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATES


@dataclass(frozen=True)
class AuditEvent:
    id: str
    tenant_id: str | None
    username: str
    action: str
    target_type: str
    target_id: str
    details: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class FileInfo:
    id: str
    tenant_id: str
    kind: str
    name: str
    content_type: str
    size: int
    sha256: str
    owner: str
    created_at: datetime


@dataclass(frozen=True)
class Template:
    id: str
    name: str
    description: str
    columns: tuple[ColumnSpec, ...]
    owner: str
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """The downloadable JSON form (no ids: it can be imported into another tenant)."""
        return {"name": self.name, "description": self.description, "columns": [c.to_dict() for c in self.columns]}


DATASET_STATES = ("validated", "has problems")


@dataclass(frozen=True)
class Dataset:
    """A stored, typed table (Parquet in the file store) and the report of its validation."""

    id: str
    name: str
    source_name: str
    status: str
    rows: int
    column_types: dict[str, str]
    size_bytes: int
    template_id: str | None
    template_name: str | None
    owner: str
    file_id: str
    created_at: datetime
    validation: ValidationReport

    @property
    def columns(self) -> list[str]:
        return list(self.column_types)


PROBLEM_TYPES = ("auto", "classification", "regression", "forecast")


@dataclass(frozen=True)
class TrainRequest:
    """What to train. Tabular problems use ``target``/``features``/``id_column``; forecasting uses
    ``time_column``, ``target`` and optionally ``series_column``, ``frequency``, ``season_length``, ``horizon``
    and ``resample`` (put irregular timestamps on the frequency's grid instead of refusing them)."""

    dataset_id: str
    name: str
    target: str
    problem_type: str = "auto"
    features: tuple[str, ...] | None = None
    id_column: str | None = None
    time_column: str | None = None
    series_column: str | None = None
    frequency: str | None = None
    season_length: int | None = None
    horizon: int | None = None
    resample: bool = False
    time_budget_s: float = 60.0
    explain: bool = True
    parent_model_id: str | None = None

    def to_params(self) -> dict[str, Any]:
        """JSON-able job parameters."""
        params = dict(self.__dict__)
        params["features"] = list(self.features) if self.features is not None else None
        return params

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> TrainRequest:
        values = dict(params)
        if values.get("features") is not None:
            values["features"] = tuple(values["features"])
        return cls(**values)


@dataclass(frozen=True)
class Model:
    """One trained model version. ``schema`` is what it expects (tabular: core.ml.ModelSchema.to_dict();
    forecast: the forecasting configuration); ``details`` holds leaderboard, plots data and training facts."""

    id: str
    name: str
    version: int
    problem_type: str
    status: str
    dataset_id: str
    dataset_name: str
    parent_id: str | None
    job_id: str | None
    file_id: str | None
    target: str
    schema: dict[str, Any]
    metrics: dict[str, Any]
    details: dict[str, Any]
    owner: str
    created_at: datetime

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"


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


PHASE_STATES = ("pending", "running", "done", "failed", "revoked", "not_applicable")
UNFINISHED_STATES = ("pending", "running")


@dataclass(frozen=True)
class ReferenceSample:
    """A labeled file of the attribution reference library. ``notes``: model name -> why it cannot read it;
    ``functions`` is None until the file has been analysed (at the next index rebuild)."""

    id: str
    family: str
    name: str
    sha256: str
    size: int
    file_id: str
    owner: str
    created_at: datetime
    analysed: bool
    functions: int | None
    notes: dict[str, str]


@dataclass(frozen=True)
class ReferenceLibrary:
    """The current attribution index: what it was built from, and whether the library changed since."""

    revision: str
    built_at: datetime
    samples: int
    families: int
    functions: int
    job_id: str | None
    stale: bool


@dataclass(frozen=True)
class AttributionRun:
    """One attribution model on one sample: per-phase state (``PHASE_STATES``) and, once done, its result."""

    model: str
    model_version: str
    job_id: str | None
    phase_1: str
    phase_2: str
    error: str | None
    result: dict[str, Any] | None
    index_revision: str | None
    predicted_at: datetime | None

    @property
    def state(self) -> str:
        phases = (self.phase_1, self.phase_2)
        for final in ("revoked", "failed", "not_applicable"):
            if final in phases:
                return final
        if self.phase_2 == "done":
            return "done"
        return "running" if "running" in phases or self.phase_1 == "done" else "pending"

    @property
    def finished(self) -> bool:
        return self.state not in UNFINISHED_STATES


@dataclass(frozen=True)
class AttributionSample:
    """A submitted file; ``id`` is the SHA-256 of its bytes. ``state`` sums up its models' states."""

    id: str
    name: str
    size: int
    file_id: str
    owner: str
    created_at: datetime
    runs: tuple[AttributionRun, ...]

    @property
    def state(self) -> str:
        states = {run.state for run in self.runs}
        if not states or states == {"pending"}:
            return "pending"
        if states & set(UNFINISHED_STATES):
            return "running"  # some models are still at work while others have finished
        for state in ("revoked", "done", "failed"):
            if state in states:
                return state
        return "not_applicable"

    @property
    def finished(self) -> bool:
        return all(run.finished for run in self.runs)
