"""Templates, datasets and training requests (trained models are in ``models.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from core.datasets.report import ValidationReport


ColumnType = Literal["integer", "float", "string", "boolean", "category", "date", "datetime"]

COLUMN_TYPES: tuple[str, ...] = ("integer", "float", "string", "boolean", "category", "date", "datetime")
# Other spellings of our types, from the seed API and common schemas (compared in lower case).
TYPE_ALIASES = {"int": "integer", "str": "string", "text": "string", "double": "float", "bool": "boolean"}


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

    def to_seed_dict(self) -> dict[str, Any]:
        """The Data ML platform's shape (seed 004): ``column_name``, ``data_type`` capitalised, ``default_value``."""
        data = {
            "column_name": self.name,
            "data_type": "DateTime" if self.dtype == "datetime" else self.dtype.capitalize(),
            "default_value": self.default,
            "required": self.required,
        }
        return data | ({"date_format": self.date_format} if self.date_format else {})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnSpec:
        """Our shape (``name``, ``dtype``, ``default``) or the seed's (``column_name``, ``data_type`` in any case
        such as ``String`` or ``Float``, ``default_value``)."""
        name = data["name"] if "name" in data else data["column_name"]
        dtype = str(data.get("dtype", data.get("data_type")) or "string").strip().lower()
        return cls(
            name=str(name),
            dtype=TYPE_ALIASES.get(dtype, dtype),
            default=data.get("default", data.get("default_value")),
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

    def to_seed_dict(self) -> dict[str, Any]:
        """The same in the Data ML platform's shape (``template_name``, ``template_schema``)."""
        columns = [c.to_seed_dict() for c in self.columns]
        return {"template_name": self.name, "description": self.description, "template_schema": columns}


DATASET_STATES = ("validated", "has problems")
DATASET_USAGES = ("training", "prediction")  # what the data is for (seed 004's usage flag), kept and filterable


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
    usage: str = "training"
    version: int = 1  # 1 at upload; each file added or removed makes the next version

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
    values).

    ``domain`` is a free label kept on the model (None: the predictor's latest version's, else none);
    ``column_types`` overrides the dataset's type of feature columns, as (column, ``COLUMN_TYPES`` name) pairs
    (an integer code read as a category, a text column of numbers as numbers)."""

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
    algorithm: str | None = None  # tabular: restrict the search to one family (``ALGORITHMS``, models.py)
    domain: str | None = None
    column_types: tuple[tuple[str, str], ...] = ()

    def to_params(self) -> dict[str, Any]:
        """JSON-able job parameters."""
        params = dict(self.__dict__)
        params["features"] = list(self.features) if self.features is not None else None
        params["exogenous"] = list(self.exogenous)
        params["column_types"] = [list(pair) for pair in self.column_types]
        return params

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> TrainRequest:
        values = dict(params)
        if values.get("features") is not None:
            values["features"] = tuple(values["features"])
        values["exogenous"] = tuple(values.get("exogenous") or ())
        values["column_types"] = tuple((str(c), str(t)) for c, t in values.get("column_types") or ())
        return cls(**values)


@dataclass(frozen=True)
class TrainingCheck:
    """What training would do with a request, before it starts: the problem type, why, and warnings; for a
    forecast also the frequency, season length and horizon it would use and the number of series."""

    problem_type: str
    reason: str
    warnings: tuple[str, ...]
    frequency: str | None = None
    season_length: int | None = None
    horizon: int | None = None
    series: int | None = None
