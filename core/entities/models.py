"""Trained models, typed: the repository mapper builds the tabular ``ModelSchema``, the forecaster's
``ForecastSpec`` and the ``ModelDetails`` from their stored JSON, so no caller reads that JSON itself.

A model's training datasets and files are rows of link tables (``Model.datasets``, ``Model.files``), never ids
inside the JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MODEL_FILE_ROLES = ("model", "holdout", "background", "importance")  # the pipeline, held-out predictions, ...

# The model families a tabular search may be restricted to (``TrainRequest.algorithm``) and the estimator families
# each stands for; here, not in ``core.ml.candidates`` so forms and the API offer them without importing ML.
ALGORITHMS: dict[str, tuple[str, ...]] = {
    "gradient_boosting": ("HistGradientBoosting",),
    "random_forest": ("RandomForest",),
    "extra_trees": ("ExtraTrees",),
    "linear": ("LogisticRegression", "Ridge"),
    "lightgbm": ("LightGBM",),
    "xgboost": ("XGBoost",),
}


@dataclass(frozen=True)
class FeatureSpec:
    """One input column: its kind (how it is encoded), its logical dtype and training statistics."""

    name: str
    kind: str  # numeric | categorical | boolean | datetime | text
    dtype: str  # integer | float | string | boolean | category | date | datetime
    categories: tuple[str, ...] = ()  # categorical: every training category, most frequent first
    counts: tuple[int, ...] = ()  # categorical: training rows of each category (empty in older schemas)
    median: float | str | None = None  # numeric: number; datetime: ISO text
    mode: Any = None  # categorical / boolean: the most frequent value
    min: float | str | None = None
    max: float | str | None = None

    @property
    def default(self) -> Any:
        """The value a prediction form starts with: the training median or mode."""
        return self.mode if self.kind in ("categorical", "boolean") else self.median

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "dtype": self.dtype,
            "categories": list(self.categories),
            "counts": list(self.counts),
            "median": self.median,
            "mode": self.mode,
            "min": self.min,
            "max": self.max,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureSpec:
        return cls(
            name=str(data["name"]),
            kind=str(data["kind"]),
            dtype=str(data["dtype"]),
            categories=tuple(str(c) for c in data.get("categories") or ()),
            counts=tuple(int(n) for n in data.get("counts") or ()),
            median=data.get("median"),
            mode=data.get("mode"),
            min=data.get("min"),
            max=data.get("max"),
        )


@dataclass(frozen=True)
class ModelSchema:
    """Features (in model input order), target, problem type, class labels (sorted as the model has them)."""

    features: tuple[FeatureSpec, ...]
    target: str
    problem_type: str  # classification | regression
    classes: tuple[Any, ...] = ()
    id_column: str | None = None
    _by_name: dict[str, FeatureSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {f.name: f for f in self.features})

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    def feature(self, name: str) -> FeatureSpec:
        return self._by_name[name]

    def defaults(self) -> dict[str, Any]:
        """A typical input row (training medians and modes): form defaults and the baseline of explanations."""
        return {f.name: f.default for f in self.features}

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": [f.to_dict() for f in self.features],
            "target": self.target,
            "problem_type": self.problem_type,
            "classes": list(self.classes),
            "id_column": self.id_column,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSchema:
        return cls(
            features=tuple(FeatureSpec.from_dict(f) for f in data["features"]),
            target=str(data["target"]),
            problem_type=str(data["problem_type"]),
            classes=tuple(data.get("classes") or ()),
            id_column=data.get("id_column"),
        )


@dataclass(frozen=True)
class ForecastSpec:
    """What a forecaster learns from and its chosen configuration per series. ``fit`` is that configuration as
    ``core.forecasting.ForecastFit.to_dict`` wrote it; only the forecasting code reads it."""

    time_column: str
    target: str
    series_column: str | None
    resample: bool
    fit: dict[str, Any]

    @property
    def frequency(self) -> str:
        return str(self.fit["freq"])

    @property
    def series_ids(self) -> list[str]:
        return list(self.fit["configs"])

    @property
    def exogenous(self) -> tuple[str, ...]:
        """Columns whose future values a forecast needs (none for forecasters trained without them)."""
        return tuple(self.fit.get("exogenous") or ())

    def to_dict(self) -> dict[str, Any]:
        return {
            "time_column": self.time_column,
            "target": self.target,
            "series_column": self.series_column,
            "resample": self.resample,
            "fit": self.fit,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ForecastSpec:
        return cls(
            time_column=str(data["time_column"]),
            target=str(data["target"]),
            series_column=data.get("series_column"),
            resample=bool(data.get("resample")),
            fit=dict(data["fit"]),
        )


@dataclass(frozen=True)
class ImportanceInfo:
    """The stored global SHAP importance (largest first) and how it was computed; the per-row values are the
    model's ``importance`` file."""

    table: tuple[tuple[str, float], ...]  # (feature, mean |SHAP|)
    rows: int
    output_space: str
    source: str  # "training" | "explain job"
    computed_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": [list(pair) for pair in self.table],
            "rows": self.rows,
            "output_space": self.output_space,
            "source": self.source,
            "computed_at": self.computed_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImportanceInfo:
        return cls(
            table=tuple((str(name), float(value)) for name, value in data["table"]),
            rows=int(data.get("rows") or 0),
            output_space=str(data.get("output_space") or ""),
            source=str(data.get("source") or "training"),
            computed_at=str(data.get("computed_at") or ""),
        )


@dataclass(frozen=True)
class ModelDetails:
    """How a version was trained; what does not apply to its kind stays empty.

    ``leaderboard``: every candidate (tabular: rank, trial, family, params, cv_score, cv_std, folds, fit_time_s,
    weight in the ensemble, status; forecast: model, mase, smape, rmse, ...). ``parent_label`` is lineage text,
    kept when the parent is deleted.
    """

    chosen_family: str = ""
    leaderboard: tuple[dict[str, Any], ...] = ()
    train_rows: int = 0
    duration_s: float = 0.0
    warnings: tuple[str, ...] = ()
    parent_label: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    cv_metric: str = ""  # tabular
    holdout_rows: int = 0  # tabular
    algorithm: str | None = None  # tabular: the ALGORITHMS name the search was restricted to (None: all)
    trials: int = 0  # tabular: configurations the search tried
    importance: ImportanceInfo | None = None  # tabular
    series: int = 0  # forecast
    notes: tuple[str, ...] = ()  # forecast
    inferred: tuple[str, ...] = ()  # forecast: which of frequency / season length / horizon were inferred
    recipe: dict[str, Any] | None = None  # tabular: the recipe replayed on raw rows (``core.prep.Replay`` form)

    def to_dict(self) -> dict[str, Any]:
        return {
            "chosen_family": self.chosen_family,
            "leaderboard": list(self.leaderboard),
            "train_rows": self.train_rows,
            "duration_s": self.duration_s,
            "warnings": list(self.warnings),
            "parent_label": self.parent_label,
            "versions": dict(self.versions),
            "cv_metric": self.cv_metric,
            "holdout_rows": self.holdout_rows,
            "algorithm": self.algorithm,
            "trials": self.trials,
            "importance": self.importance.to_dict() if self.importance else None,
            "series": self.series,
            "notes": list(self.notes),
            "inferred": list(self.inferred),
            "recipe": self.recipe,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelDetails:
        importance = data.get("importance")
        return cls(
            chosen_family=str(data.get("chosen_family") or ""),
            leaderboard=tuple(dict(row) for row in data.get("leaderboard") or ()),
            train_rows=int(data.get("train_rows") or 0),
            duration_s=float(data.get("duration_s") or 0.0),
            warnings=tuple(str(w) for w in data.get("warnings") or ()),
            parent_label=data.get("parent_label"),
            versions={str(k): str(v) for k, v in (data.get("versions") or {}).items()},
            cv_metric=str(data.get("cv_metric") or ""),
            holdout_rows=int(data.get("holdout_rows") or 0),
            algorithm=data.get("algorithm"),
            trials=int(data.get("trials") or 0),
            importance=ImportanceInfo.from_dict(importance) if importance else None,
            series=int(data.get("series") or 0),
            notes=tuple(str(n) for n in data.get("notes") or ()),
            inferred=tuple(str(n) for n in data.get("inferred") or ()),
            recipe=data.get("recipe"),
        )


@dataclass(frozen=True)
class Model:
    """One trained model version: a tabular model has a ``schema``, a forecaster a ``forecast`` spec.

    ``datasets``: the ids of the datasets it was trained on, in order (a continued version: its parent's first);
    ``files``: its files by role (``MODEL_FILE_ROLES``); ``domain`` (a free label such as "Churn", filterable) and
    ``description`` are the version's own."""

    id: str
    name: str
    version: int
    problem_type: str
    status: str
    dataset_id: str
    dataset_name: str
    parent_id: str | None
    job_id: str | None
    target: str
    schema: ModelSchema | None
    forecast: ForecastSpec | None
    metrics: dict[str, float | None]
    details: ModelDetails
    datasets: tuple[str, ...]
    files: dict[str, str]
    owner: str
    created_at: datetime
    domain: str = ""
    description: str = ""

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def file_id(self) -> str | None:
        """The fitted pipeline's file (None for forecasters, which refit on their history)."""
        return self.files.get("model")

    @property
    def feature_names(self) -> list[str]:
        return self.schema.feature_names if self.schema else []


TRAINING_STATES = ("queued", "training", "ready", "failed", "canceled")


@dataclass(frozen=True)
class Training:
    """One training as the seed's ``/train/list`` shows it: a model version (``ready``), or a training job that
    made none (yet): ``queued``, ``training``, ``failed`` (an interrupted worker too) or ``canceled``.

    ``id`` is the train id: the training job's id (a model trained without one: the model's). Until a model
    exists, ``problem_type`` is the requested one (possibly "auto") and ``version`` is None."""

    id: str
    job_id: str | None
    model_id: str | None
    name: str
    version: int | None
    problem_type: str
    domain: str
    description: str
    status: str
    dataset_id: str
    dataset_name: str | None
    target: str
    algorithm: str | None  # the family the request restricted the search to (None: every family)
    chosen_family: str  # what the search chose ("" until ready)
    metrics: dict[str, float | None]
    owner: str
    created_at: datetime
    modified_at: datetime
    progress: float
    message: str
