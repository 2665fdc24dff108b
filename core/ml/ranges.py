"""Inputs unlike the training data: numbers and dates outside the training range, categories never or rarely
seen. The model scores them anyway (trees extrapolate flat, linear models linearly, unseen categories count as
"unknown"), so each is flagged next to the prediction instead of being refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from core.entities.predictions import InputWarning  # not the package: it re-exports dataset types
from core.errors import quote
from core.ml.coerce import value_problem
from core.ml.preprocessing import MIN_CATEGORY_COUNT
from core.ml.schema import FeatureSpec, ModelSchema

FLAG_COLUMNS = ["row", "field", "value", "problem", "message"]
_SIDE = {"above range": ("above", "after"), "below range": ("below", "before")}


def _shown(value: object, spec: FeatureSpec) -> str:
    if spec.kind == "numeric":
        return f"{float(value):g}"  # type: ignore[arg-type]
    if spec.kind == "datetime":
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
        return stamp.date().isoformat() if spec.dtype == "date" else stamp.isoformat()
    return quote(str(value))


def _range_text(spec: FeatureSpec) -> str:
    low, high = (f"{v:.4g}" if isinstance(v, float | int) else str(v) for v in (spec.min, spec.max))
    return f"{low} – {high}"


def _masks(spec: FeatureSpec, values: pd.Series) -> Iterator[tuple[str, np.ndarray]]:
    """(problem, mask of rows) for one coerced column."""
    if spec.kind in ("numeric", "datetime") and spec.min is not None and spec.max is not None:
        low: Any
        high: Any
        if spec.kind == "numeric":  # numpy, not pandas: a form's one row pays microseconds, not milliseconds
            array, low, high = values.to_numpy(dtype="float64"), float(spec.min), float(spec.max)
        else:
            array = values.to_numpy(dtype="datetime64[ns]")
            low, high = (np.datetime64(pd.Timestamp(v), "ns") for v in (spec.min, spec.max))
        yield "above range", array > high
        yield "below range", array < low
    elif spec.kind == "categorical" and spec.categories:
        present = values.notna()
        yield "unseen category", (present & ~values.isin(spec.categories)).to_numpy(dtype=bool)
        rare = [c for c, n in zip(spec.categories, spec.counts, strict=True) if n < MIN_CATEGORY_COUNT]
        if rare:
            yield "rare category", values.isin(rare).to_numpy(dtype=bool)


def _message(spec: FeatureSpec, problem: str, value: object) -> str:
    shown = _shown(value, spec)
    if problem in _SIDE:
        side = _SIDE[problem][spec.kind == "datetime"]
        return (
            f"{spec.name} = {shown} is {side} the training range {_range_text(spec)}: the model never saw such "
            "values, so this prediction is unreliable."
        )
    if problem == "unseen category":
        return f"{spec.name} = {shown} never occurred in training: the model treats it as unknown."
    count = dict(zip(spec.categories, spec.counts, strict=True))[str(value)]
    times = "once" if count == 1 else f"{count} times"
    return f"{spec.name} = {shown} occurred only {times} in training: too rare for the model to learn from."


def unusual_inputs(schema: ModelSchema, aligned: pd.DataFrame) -> pd.DataFrame:
    """One line per flagged value of ``aligned`` (``check_input``'s coerced frame): ``FLAG_COLUMNS``, where
    ``row`` is the index label. Vectorized per column; only flagged values are formatted."""
    parts = []
    for spec in schema.features:
        values = aligned[spec.name]
        for problem, mask in _masks(spec, values):
            if not mask.any():
                continue
            hits = values[mask]
            # each distinct value is formatted once; not pd.unique, which takes "a\x00b" for "a" (one of them
            # got no message and the batch failed joining the messages)
            distinct = list(dict.fromkeys(hits))
            shown = dict(zip(distinct, (_shown(v, spec) for v in distinct), strict=True))
            said = dict(zip(distinct, (_message(spec, problem, v) for v in distinct), strict=True))
            parts.append(
                pd.DataFrame(
                    {
                        "row": hits.index,
                        "field": spec.name,
                        "value": hits.map(shown).to_numpy(),
                        "problem": problem,
                        "message": hits.map(said).to_numpy(),
                    }
                )
            )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FLAG_COLUMNS)


_READ_AS = {"numeric": "a number", "datetime": "a date"}


def unread_inputs(schema: ModelSchema, raw: pd.DataFrame, aligned: pd.DataFrame) -> pd.DataFrame:
    """``FLAG_COLUMNS`` lines for the values of ``raw`` that ``check_input`` could not read (of the wrong type, or
    not finite numbers): they became missing in ``aligned`` and were scored so, which the row must say (a confident
    prediction beside "abc" is otherwise taken at its word). Blank text is missing, not unread."""
    parts = []
    for spec in schema.features:
        if spec.name not in raw.columns:
            continue
        values = raw[spec.name]
        candidates = values[aligned[spec.name].isna().to_numpy() & values.notna().to_numpy()]
        hits = candidates[candidates.astype(str).str.strip() != ""]
        if hits.empty:
            continue
        distinct = list(dict.fromkeys(hits))
        shown = {v: quote(str(v)) for v in distinct}
        problem = {v: value_problem(v, spec.kind) for v in distinct}
        said = {
            v: f"{spec.name} = {shown[v]} could not be read as {_READ_AS.get(spec.kind, 'a value')}"
            + (" (not finite)" if problem[v] == "not a finite number" else "")
            + "; it was scored as missing."
            for v in distinct
        }
        parts.append(
            pd.DataFrame(
                {
                    "row": hits.index,
                    "field": spec.name,
                    "value": hits.map(shown).to_numpy(),
                    "problem": hits.map(problem).to_numpy(),
                    "message": hits.map(said).to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FLAG_COLUMNS)


def input_warnings(schema: ModelSchema, aligned: pd.DataFrame) -> tuple[InputWarning, ...]:
    """The flags of the first row of ``aligned``, typed (the form prediction returns them)."""
    flags = unusual_inputs(schema, aligned.iloc[:1])
    return tuple(InputWarning(r.field, r.value, r.problem, r.message) for r in flags.itertuples(index=False))


def warnings_column(flags: pd.DataFrame, index: pd.Index) -> pd.Series:
    """``input_warnings`` of a batch: each row's messages joined with "; " ("" for a row like the training data)."""
    joined = flags.groupby("row", sort=False)["message"].agg("; ".join) if len(flags) else pd.Series(dtype=object)
    return pd.Series(joined.reindex(index).fillna("").to_numpy(), index=index, name="input_warnings")


def flag_notes(flags: pd.DataFrame) -> list[str]:
    """One summary sentence per (column, problem) of a batch's flags."""
    notes = []
    for (field, problem), group in flags.groupby(["field", "problem"], sort=False):
        examples = ", ".join(pd.unique(group["value"])[:3])
        what = {
            "above range": "have values above the training range",
            "below range": "have values below the training range",
            "unseen category": "have categories never seen in training",
            "rare category": "have categories too rare in training to learn from",
            "wrong type": "have values that could not be read, scored as missing",
            "not a finite number": "have infinite numbers, scored as missing",
        }[str(problem)]
        notes.append(f"Column {field!r}: {len(group):,} rows {what} ({examples}); see input_warnings.")
    return notes
