"""Matching logged predictions to the true values a labelled dataset gives later.

A tabular prediction is matched by the model's id column (the row key the user trained with: a form prediction
logs the id it was given, a scored file keeps its id column); a forecast by series and time. Keys and labels
are compared as the CSV files write them (text, formula-guarded the same way), with "17.0" and "17" the same
key or class, so a labelled dataset whose id or class column became floats still matches."""

from __future__ import annotations

import io
import re
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from core.entities import Model
from core.errors import InvalidInput, Problem
from core.exports import safe_csv

PREDICTION = re.compile(r"prediction(_model)*")  # batch_predict renames its column while the input has one


class Score(NamedTuple):
    """Matched rows and the sum of what the metric averages (right answers, or absolute errors)."""

    rows: int
    total: float


def metric_of(model: Model) -> str:
    return "accuracy" if model.problem_type == "classification" else "mae"


def key_columns(model: Model) -> tuple[str, ...]:
    """The columns a logged prediction is matched by; a tabular model without an id column has none."""
    if model.forecast is not None:
        spec = model.forecast
        return tuple(c for c in (spec.series_column, spec.time_column) if c)
    if model.schema is None or not model.schema.id_column:
        raise InvalidInput(
            f"{model.label} has no id column, so its predictions cannot be matched to true values; train it "
            "with an id column (a column that names each row) to check its predictions later."
        )
    return (model.schema.id_column,)


def _canonical(text: pd.Series) -> pd.Series:
    """Text as CSV writes it, with whole numbers written as floats ("17.0") made integers ("17")."""
    return text.astype("string").str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as the result CSVs write it (formula-guarded), canonical; missing cells stay missing."""
    text = pd.read_csv(io.BytesIO(safe_csv(frame)), dtype=str)
    return text.apply(_canonical) if len(text.columns) else text


def tabular_truth(labels: pd.DataFrame, key: str, target: str) -> pd.DataFrame:
    """``key, actual`` as text: rows with a true value, the last row of a key winning (a later correction)."""
    known = labels[[key, target]].dropna().rename(columns={target: "actual"})
    return as_text(known).dropna().drop_duplicates(key, keep="last")


def forecast_truth(labels: pd.DataFrame, time_column: str, series_column: str | None, target: str) -> pd.DataFrame:
    """``unique_id, ds, actual``: the observed values (checked as forecast histories are)."""
    from core.forecasting.prepare import future_values

    known = labels.dropna(subset=[target])
    frame = future_values(known, time_column, series_column, (target,), target)
    return frame.rename(columns={target: "actual"})[["unique_id", "ds", "actual"]]


def form_predicted(inputs: dict[str, Any] | None, outputs: dict[str, Any] | None, key: str) -> pd.DataFrame | None:
    """``key, predicted`` of a form prediction given the row's id, else None."""
    if not inputs or inputs.get(key) is None or not outputs:
        return None
    return as_text(pd.DataFrame({key: [inputs[key]], "predicted": [outputs.get("prediction")]}))


def batch_predicted(path: str, key: str) -> pd.DataFrame | None:
    """``key, predicted`` of a scored file, or None when the file had no id column."""
    header = list(pd.read_csv(path, nrows=0).columns)
    column = max((c for c in header if PREDICTION.fullmatch(c)), key=len, default=None)
    if key not in header or column is None:
        return None
    frame = pd.read_csv(path, usecols=[key, column], dtype=str).rename(columns={column: "predicted"})
    return frame.apply(_canonical).dropna(subset=[key])


def score(metric: str, predicted: pd.DataFrame, truth: pd.DataFrame, key: list[str]) -> Score:
    """Compare the predictions with the true values of the same keys."""
    if metric == "mae" and "ds" in key:
        truth = truth.assign(ds=truth["ds"].astype(predicted["ds"].dtype))
    matched = predicted.merge(truth, on=key, how="inner")
    if metric == "accuracy":
        return Score(len(matched), float((matched["predicted"] == matched["actual"]).sum()))
    errors = (pd.to_numeric(matched["predicted"], errors="coerce") - pd.to_numeric(matched["actual"])).abs()
    errors = errors[np.isfinite(errors)]
    return Score(len(errors), float(errors.sum()))


def missing_columns(columns: list[str], wanted: tuple[str, ...], dataset_name: str) -> None:
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise InvalidInput(
            f"The dataset {dataset_name!r} lacks {', '.join(repr(c) for c in missing)}: the true values are "
            "matched by the model's id column (series and time for a forecast) and read from its target.",
            [Problem("missing column", field=c) for c in missing],
        )
