"""The model schema: what a trained model expects as input and what it predicts, inferred from training rows.

The types live in ``core.entities`` (the repository builds them from stored JSON); this module infers them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from core.entities.models import FeatureSpec, ModelSchema
from core.ml.coerce import coerce_column, coerce_numbers, guess_kind, plain_number_columns
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
    kinds = {name: guess_kind(df[name], declared.get(name)) for name in names}
    numeric = plain_number_columns(df, [name for name in names if kinds[name][0] == "numeric"])
    specs = _numeric_specs(df, numeric, kinds)
    specs.update((n, _feature_spec(df[n], *kinds[n])) for n in names if n not in specs)
    return ModelSchema(
        features=tuple(specs[name] for name in names),
        target=target,
        problem_type=resolved,
        classes=classes,
        id_column=id_column,
    )


def _numeric_specs(df: pd.DataFrame, names: list[str], kinds: Mapping[str, tuple[str, str]]) -> dict[str, FeatureSpec]:
    """``_feature_spec`` of plain number columns, all at once (a pass per column took 16 ms of every learning task
    on 64 pixel columns): the same statistics (pandas' reductions, over a frame) of the same coerced values."""
    if not names:
        return {}
    coerced = coerce_numbers(df, names)
    present, medians, lows, highs = coerced.count(), coerced.median(), coerced.min(), coerced.max()

    def stat(values: pd.Series, name: str) -> float | None:
        return float(values[name]) if present[name] else None  # nothing present: no statistics

    return {
        name: FeatureSpec(
            name=str(name),
            kind="numeric",
            dtype=kinds[name][1],
            median=stat(medians, name),
            min=stat(lows, name),
            max=stat(highs, name),
        )
        for name in names
    }


def _feature_spec(values: pd.Series, kind: str, dtype: str) -> FeatureSpec:
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
