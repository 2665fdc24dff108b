"""Request and response models of the training routes (seed 004 §8), with UUIDs: a train id is the training
job's id (a model's id is accepted too)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field

from api.data_schemas import records, utc
from api.schemas import UtcDatetime
from core import (
    ALGORITHMS,
    COLUMN_TYPES,
    METRICS,
    PROBLEM_TYPES,
    TRAINING_STATES,
    ColumnSpec,
    Importance,
    InvalidInput,
    Model,
    ModelSummary,
    Problem,
    Training,
    TrainRequest,
)


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _column_type(value: Any) -> Any:
    """Our type names in any case, and the seed's spellings (String, DateTime, int, bool, …)."""
    return ColumnSpec.from_dict({"name": "-", "data_type": value}).dtype if isinstance(value, str) else value


ProblemType = Annotated[Literal["auto", "classification", "regression", "forecast"], BeforeValidator(_lower)]
AlgorithmName = Annotated[
    Literal["auto", "gradient_boosting", "random_forest", "extra_trees", "linear", "lightgbm", "xgboost"],
    BeforeValidator(_lower),
]
ColumnType = Annotated[
    Literal["integer", "float", "string", "boolean", "category", "date", "datetime"], BeforeValidator(_column_type)
]
Attribute = Annotated[
    Literal["Id", "Target", "Feature"], BeforeValidator(lambda v: v.strip().capitalize() if isinstance(v, str) else v)
]
TrainingState = Literal["queued", "training", "ready", "failed", "canceled"]
assert set(ProblemType.__origin__.__args__) == set(PROBLEM_TYPES)  # type: ignore[attr-defined]
assert set(AlgorithmName.__origin__.__args__) == {"auto", *ALGORITHMS}  # type: ignore[attr-defined]
assert set(ColumnType.__origin__.__args__) == set(COLUMN_TYPES)  # type: ignore[attr-defined]
assert set(TrainingState.__args__) == set(TRAINING_STATES)  # type: ignore[attr-defined]


class ColumnIn(BaseModel):
    column_name: str = Field(min_length=1, max_length=255)
    attribute_name: Attribute = Field(description="Id (kept out of the model), Target, or Feature (any case).")
    data_type: ColumnType | None = Field(
        default=None,
        description="For a Feature: how the model reads it, overriding the dataset's type (an integer code as "
        "category, …; the seed's String / Integer / DateTime … accepted). Ignored for Id and Target columns.",
    )


class TrainIn(BaseModel):
    """Seed §8.1's body. ``columns``: exactly one Target; an Id at most; Feature columns (none listed: every other
    column). A forecast names its Target here and its time column, series column … in the fields below."""

    dataset_id: str = Field(description="A validated dataset's UUID.")
    predictor_name: str = Field(min_length=1, max_length=100, description="Training an existing name adds a version.")
    domain: str | None = Field(
        default=None, max_length=100, description="A free label (Churn, Fraud …); default: the predictor's."
    )
    problem_type: ProblemType = "auto"
    columns: list[ColumnIn] = []
    algorithm: AlgorithmName = Field(default="auto", description="auto (every family) or the one family to try.")
    is_incremental: bool = Field(
        default=False, description="Continue a version on its data plus this dataset (default: the latest)."
    )
    parent_train_id: str | None = Field(default=None, description="The train id (or model id) to continue.")
    shap_enabled: bool = Field(default=True, description="Compute SHAP feature importance after training.")
    time_budget_s: float = Field(default=60.0, ge=1, le=3600, description="Seconds the model search may take.")
    time_column: str | None = Field(default=None, description="Forecast: the dates.")
    series_column: str | None = Field(default=None, description="Forecast: the series id (several series).")
    frequency: str | None = Field(default=None, description="Forecast: a pandas frequency (D, W, MS …); inferred.")
    season_length: int | None = Field(default=None, ge=1, le=10_000, description="Forecast: inferred when empty.")
    horizon: int | None = Field(default=None, ge=1, le=10_000, description="Forecast: steps scored per CV window.")
    resample: bool = Field(default=False, description="Forecast: put irregular timestamps on the frequency's grid.")
    exogenous: list[str] = Field(default=[], description="Forecast: numeric columns known in advance.")

    def roles(self) -> dict[str, list[ColumnIn]]:
        found: dict[str, list[ColumnIn]] = {"Id": [], "Target": [], "Feature": []}
        for column in self.columns:
            found[column.attribute_name].append(column)
        return found

    def request(self, parent_model_id: str | None) -> TrainRequest:
        """The engine's request, or InvalidInput when the columns' roles do not make one."""
        roles, problems = self.roles(), []
        if len(roles["Target"]) != 1:
            problems.append(Problem("exactly one column with attribute_name Target", field="columns"))
        if len(roles["Id"]) > 1:
            problems.append(Problem("at most one Id column", field="columns"))
        if self.problem_type == "forecast" and (roles["Id"] or roles["Feature"]):
            problems.append(Problem("a forecast takes time_column, series_column and exogenous", field="columns"))
        if problems:
            raise InvalidInput("The columns do not describe a training.", problems)
        features = [c.column_name for c in roles["Feature"]]
        return TrainRequest(
            dataset_id=self.dataset_id,
            name=self.predictor_name,
            target=roles["Target"][0].column_name,
            problem_type=self.problem_type,
            features=tuple(features) if features else None,
            id_column=roles["Id"][0].column_name if roles["Id"] else None,
            time_column=self.time_column,
            series_column=self.series_column,
            frequency=self.frequency,
            season_length=self.season_length,
            horizon=self.horizon,
            resample=self.resample,
            exogenous=tuple(self.exogenous),
            time_budget_s=self.time_budget_s,
            explain=self.shap_enabled,
            parent_model_id=parent_model_id,
            algorithm=None if self.algorithm == "auto" else self.algorithm,
            domain=self.domain,
            column_types=tuple((c.column_name, c.data_type) for c in roles["Feature"] if c.data_type),
        )


class TrainingOut(BaseModel):
    """Seed §8.3's list entry (``preprocess_id``, ``data_source`` and ``ml_model_status`` are left out)."""

    id: str = Field(description="The train id: the training job's UUID (a model trained without one: its id).")
    tenant_id: str
    predictor_name: str
    version: int | None = Field(description="The model version; null until the training made one.")
    problem_type: str = Field(description="The model's; until then the requested one (possibly auto).")
    domain: str
    description: str
    target: str
    created_by: str
    dataset_id: str
    dataset_name: str | None
    created_at: UtcDatetime
    modified_at: UtcDatetime
    algorithm: str = Field(description="The family chosen (ready), else the one requested, or auto.")
    accuracy: float | None = Field(description="Held-out accuracy of a classifier.")
    metrics: dict[str, float | None]
    status: TrainingState
    train_status: TrainingState = Field(description="The seed's name for status.")
    training_status: str = Field(description="status, capitalised (the seed's display form).")
    progress: float
    message: str = Field(description="What the job is doing, or why it failed.")
    model_id: str | None
    job_id: str | None

    @classmethod
    def of(cls, training: Training, tenant_id: str) -> TrainingOut:
        return cls.model_construct(  # trusted engine values, built for every row of a listing: no validation
            id=training.id,
            tenant_id=tenant_id,
            predictor_name=training.name,
            version=training.version,
            problem_type=training.problem_type,
            domain=training.domain,
            description=training.description,
            target=training.target,
            created_by=training.owner,
            dataset_id=training.dataset_id,
            dataset_name=training.dataset_name,
            created_at=utc(training.created_at),
            modified_at=utc(training.modified_at),
            algorithm=training.chosen_family or training.algorithm or "auto",
            accuracy=training.metrics.get("accuracy"),
            metrics=training.metrics,
            status=training.status,
            train_status=training.status,
            training_status=training.status.capitalize(),
            progress=training.progress,
            message=training.message,
            model_id=training.model_id,
            job_id=training.job_id,
        )


class TrainingList(BaseModel):
    total: int
    data: list[TrainingOut]


class SchemaColumnOut(BaseModel):
    column_name: str
    data_type: str | None = Field(description="How the model reads it (null for an Id column it never reads).")
    attribute_name: str = Field(description="Id, Target, Feature; a forecaster's Time, Series, Exogenous.")


def schema_columns(model: Model) -> list[SchemaColumnOut]:
    """The columns a model was trained with, in the seed's shape."""
    if model.forecast is not None:
        spec = model.forecast
        named = [(spec.time_column, "datetime", "Time"), (spec.series_column, "string", "Series")]
        named += [(spec.target, "float", "Target"), *((c, "float", "Exogenous") for c in spec.exogenous)]
        return [SchemaColumnOut(column_name=c, data_type=t, attribute_name=a) for c, t, a in named if c]
    schema = model.schema
    assert schema is not None
    target_type = "category" if schema.problem_type == "classification" else "float"
    columns = [SchemaColumnOut(column_name=c, data_type=None, attribute_name="Id") for c in [schema.id_column] if c]
    columns += [
        SchemaColumnOut(column_name=f.name, data_type=f.dtype, attribute_name="Feature") for f in schema.features
    ]
    return [*columns, SchemaColumnOut(column_name=schema.target, data_type=target_type, attribute_name="Target")]


class SchemaOut(BaseModel):
    train_id: str
    model_id: str
    model: str = Field(description="The version's label, e.g. 'churn v2'.")
    schema_: list[SchemaColumnOut] = Field(alias="schema", description="The seed's column list.")
    model_schema: dict[str, Any] = Field(
        description="What the model expects and predicts: features with types and categories, classes (the "
        "Models page's schema JSON)."
    )


class ImportanceOut(BaseModel):
    train_id: str
    model_id: str
    status: str = Field(description="'completed', or 'not generated'.")
    feature_importance: dict[str, float] = Field(description="Mean |SHAP| per original column, largest first.")
    rows: int | None = None
    source: str | None = Field(default=None, description="'training' or 'explain job'.")
    output_space: str | None = Field(default=None, description="What a SHAP value moves: probability, value, …")
    computed_at: str | None = None

    @classmethod
    def of(cls, train_id: str, model_id: str, found: Importance | None) -> ImportanceOut:
        if found is None:
            return cls(train_id=train_id, model_id=model_id, status="not generated", feature_importance={})
        table = dict(zip(found.table["feature"].astype(str), found.table["mean_abs_shap"].astype(float), strict=True))
        return cls(
            train_id=train_id,
            model_id=model_id,
            status="completed",
            feature_importance=table,
            rows=found.rows,
            source=found.source,
            output_space=found.output_space,
            computed_at=found.computed_at,
        )


class ShapJobOut(BaseModel):
    status: str = "success"
    message: str
    shap_job_id: str = Field(description="The explain job's UUID (the seed's name).")
    job_id: str


class ShapResultOut(ImportanceOut):
    job_id: str | None = None
    job_status: str | None = Field(default=None, description="The explain job's state, when one was named.")
    progress: float | None = None
    message: str | None = None


class UpdateIn(BaseModel):
    """Seed §8.6 with what can change here (omitted fields are kept)."""

    train_id: str
    predictor_name: str | None = Field(default=None, description="Renames the predictor: every version.")
    domain: str | None = Field(default=None, description="This version's domain.")
    description: str | None = Field(default=None, description="This version's description.")
    preprocess_id: str | int | None = Field(default=None, description="Not supported (422 when given).")


class MetricOut(BaseModel):
    metric: str
    label: str
    value: float | None
    higher_is_better: bool

    @classmethod
    def of(cls, key: str, value: float | None) -> MetricOut:
        label, higher, _ = METRICS.get(key, (key, True, ""))
        return cls(metric=key, label=label, value=value, higher_is_better=higher)


class SummaryOut(BaseModel):
    train_id: str
    model_id: str
    model: str
    problem_type: str
    model_summary: dict[str, str | float | None] = Field(
        description="The seed's shape: model (the chosen family) and each held-out metric (f1 as f1_score)."
    )
    metrics: list[MetricOut]
    per_class: list[dict[str, Any]] | None = Field(description="class, precision, recall, f1, support.")
    classes: list[str] | None
    confusion_matrix: list[list[int]] | None = Field(description="Actual classes (rows) × predicted (columns).")
    cv_metric: str
    warnings: list[str]

    @classmethod
    def of(cls, train_id: str, summary: ModelSummary) -> SummaryOut:
        model, confusion = summary.model, summary.confusion
        seed_names = {"f1": "f1_score"}
        headline = {seed_names.get(k, k): v for k, v in summary.metrics.items()}
        return cls(
            train_id=train_id,
            model_id=model.id,
            model=model.label,
            problem_type=model.problem_type,
            model_summary={"model": model.details.chosen_family, **headline},
            metrics=[
                MetricOut(
                    metric=k, label=METRICS.get(k, (k,))[0], value=v, higher_is_better=METRICS.get(k, ("", True))[1]
                )
                for k, v in summary.metrics.items()
            ],
            per_class=None if summary.per_class is None else records(summary.per_class),
            classes=None if confusion is None else [str(c) for c in confusion.index],
            confusion_matrix=None if confusion is None else confusion.to_numpy().tolist(),
            cv_metric=summary.cv_metric,
            warnings=summary.warnings,
        )
