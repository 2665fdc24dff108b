"""Templates, datasets, training requests and trained models."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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
    ``time_column``, ``target`` and optionally ``series_column``, ``frequency``, ``season_length``, ``horizon``,
    ``resample`` (put irregular timestamps on the frequency's grid instead of refusing them) and ``exogenous``
    (numeric columns beside the target that AutoARIMA and MSTL's trend use; forecasts then need their future
    values)."""

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
    exogenous: tuple[str, ...] = ()
    time_budget_s: float = 60.0
    explain: bool = True
    parent_model_id: str | None = None

    def to_params(self) -> dict[str, Any]:
        """JSON-able job parameters."""
        params = dict(self.__dict__)
        params["features"] = list(self.features) if self.features is not None else None
        params["exogenous"] = list(self.exogenous)
        return params

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> TrainRequest:
        values = dict(params)
        if values.get("features") is not None:
            values["features"] = tuple(values["features"])
        values["exogenous"] = tuple(values.get("exogenous") or ())
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
