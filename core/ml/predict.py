"""Scoring rows with a trained pipeline, and checking them against the model schema first.

Both functions are vectorized and stateless, so a large batch is scored chunk by chunk (pass ``row_offset``
so reported row numbers refer to the whole file)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from core.errors import InvalidInput, Problem
from core.ml.coerce import coerce_column, value_problem
from core.ml.ensemble import predict_output
from core.ml.metrics import probability_column
from core.ml.schema import ModelSchema

MAX_PROBLEMS = 1000


def check_input(
    schema: ModelSchema, df: pd.DataFrame, row_offset: int = 0, max_problems: int = MAX_PROBLEMS
) -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """(features aligned to the schema in canonical dtypes, problems, warnings).

    Problems: a missing feature column (field), a value of the wrong type or an infinite number (row =
    ``row_offset`` + 0-based position, field, value; the value becomes missing in the frame). Warnings: ignored
    extra columns. An empty input raises. Values unlike the training data (unseen categories included: predicted as
    "unknown", never a crash) are flagged by ``core.ml.ranges.unusual_inputs``."""
    if len(df) == 0:
        raise InvalidInput("The input has no rows.", [Problem("empty input")])
    problems = [Problem("missing column", field=name) for name in schema.feature_names if name not in df.columns]
    known = {*schema.feature_names, schema.target, schema.id_column}
    extra = [str(c) for c in df.columns if c not in known]
    notes = [f"Ignored columns not used by the model: {', '.join(extra)}."] if extra else []
    columns: dict[str, pd.Series] = {}
    wrong_total = 0
    for spec in schema.features:
        if spec.name not in df.columns:
            columns[spec.name] = pd.Series(np.nan, index=df.index, dtype=object)
            continue
        values, bad = coerce_column(df[spec.name], spec.kind)
        columns[spec.name] = values
        positions = np.flatnonzero(bad)
        wrong_total += len(positions)
        room = max(0, max_problems - len(problems))
        raw = df[spec.name].to_numpy()
        problems += [
            Problem(value_problem(raw[i], spec.kind), field=spec.name, row=row_offset + int(i), value=str(raw[i]))
            for i in positions[:room]
        ]
    listed = sum(p.row is not None for p in problems)
    if wrong_total > listed:
        notes.append(f"{wrong_total - listed} more wrong values are not listed.")
    return pd.DataFrame(columns, index=df.index), problems, notes


def predict_frame(pipeline: Pipeline, schema: ModelSchema, df: pd.DataFrame) -> pd.DataFrame:
    """``prediction`` (+ ``probability_<class>`` per class for classifiers), indexed like ``df``.

    The input is transformed once (per preprocessing, for an ensemble); the predicted class is the most probable
    one, as ``pipeline.predict``."""
    output = predict_output(pipeline, df[schema.feature_names])
    model = pipeline[-1]
    if schema.problem_type == "regression":
        return pd.DataFrame({"prediction": output}, index=df.index)
    proba = output
    out = pd.DataFrame({"prediction": model.classes_[np.argmax(proba, axis=1)]}, index=df.index)
    for j, label in enumerate(model.classes_):
        out[probability_column(label)] = proba[:, j]
    return out
