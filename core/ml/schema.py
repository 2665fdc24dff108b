"""The model schema: what a trained model expects as input and what it predicts.

It is plain JSON (``to_dict``): the prediction form is built from it, batch files are checked against it,
and analysts can download it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.ml.coerce import coerce_column, guess_kind
from core.ml.problem import infer_problem_type, prepare_target, resolve_columns


def _plain(value: Any) -> Any:
    """A JSON-ready scalar (numpy scalars unwrapped, NaN as None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


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


def infer_schema(
    df: pd.DataFrame,
    target: str,
    features: Sequence[str] | None = None,
    id_column: str | None = None,
    column_types: Mapping[str, str] | None = None,
    problem_type: str = "auto",
) -> ModelSchema:
    """Describe ``features`` of ``df`` (default: all but target and id). ``column_types`` are template dtypes
    (integer, float, string, boolean, category, date, datetime) and win over guessing from the values."""
    names = resolve_columns(list(df.columns), target, features, id_column)
    resolved = infer_problem_type(df[target])[0] if problem_type == "auto" else problem_type
    classes: tuple[Any, ...] = ()
    if resolved == "classification":
        classes = tuple(_plain(c) for c in np.unique(prepare_target(df[target], resolved).to_numpy()))
    declared = column_types or {}
    specs = tuple(_feature_spec(df[name], declared.get(name)) for name in names)
    return ModelSchema(features=specs, target=target, problem_type=resolved, classes=classes, id_column=id_column)


def _feature_spec(values: pd.Series, declared: str | None) -> FeatureSpec:
    kind, dtype = guess_kind(values, declared)
    coerced = coerce_column(values, kind)[0].dropna()
    name = str(values.name)
    if coerced.empty:
        return FeatureSpec(name=name, kind=kind, dtype=dtype)
    if kind == "numeric":
        return FeatureSpec(
            name=name,
            kind=kind,
            dtype=dtype,
            median=float(coerced.median()),
            min=float(coerced.min()),
            max=float(coerced.max()),
        )
    if kind == "boolean":
        return FeatureSpec(name=name, kind=kind, dtype=dtype, mode=bool(coerced.mean() >= 0.5))
    if kind == "categorical":
        counts = coerced.value_counts(sort=False)
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        categories = tuple(str(label) for label, _ in ordered)
        counts = tuple(int(n) for _, n in ordered)
        return FeatureSpec(name=name, kind=kind, dtype=dtype, categories=categories, counts=counts, mode=categories[0])
    if kind == "datetime":
        fmt = (lambda t: t.date().isoformat()) if dtype == "date" else (lambda t: t.isoformat())
        return FeatureSpec(
            name=name,
            kind=kind,
            dtype=dtype,
            median=fmt(coerced.median()),
            min=fmt(coerced.min()),
            max=fmt(coerced.max()),
        )
    return FeatureSpec(name=name, kind=kind, dtype=dtype)
