"""The model schema: what a trained model expects as input and what it predicts, inferred from training rows.

The types live in ``core.entities`` (the repository builds them from stored JSON); this module infers them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from core.entities.models import FeatureSpec, ModelSchema
from core.ml.coerce import coerce_column, guess_kind
from core.ml.problem import infer_problem_type, prepare_target, resolve_columns


def _plain(value: Any) -> Any:
    """A JSON-ready scalar (numpy scalars unwrapped, NaN as None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


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
