"""What scoring a form, a file or a batch job shares: the tabular schema of a model, JSON-able values, the
source checks that need no values, the thread limit for one row, and the notes a log keeps of a call."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import ThreadpoolController

from core.entities import Model, ModelSchema
from core.errors import InvalidInput, Problem

MAX_LOGGED_NOTES = 20  # warnings a log entry keeps of one call or batch
LOGGED_NOTE_CHARS = 300  # characters kept of each


def jsonable(value: Any) -> Any:
    """A value as JSON stores it: numpy scalars unwrapped, dates as ISO text, NaN as None."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def logged_notes(notes: Sequence[str]) -> list[str]:
    """The warnings a log entry keeps: the first ``MAX_LOGGED_NOTES``, each cut to ``LOGGED_NOTE_CHARS``
    characters, then how many were left out; so a call with thousands of them, or one that names thousands of
    columns, does not bloat the log (the caller got them all)."""
    cut = LOGGED_NOTE_CHARS - 1
    kept = [note if len(note) <= LOGGED_NOTE_CHARS else note[:cut] + "…" for note in notes[:MAX_LOGGED_NOTES]]
    left = len(notes) - len(kept)
    return kept + ([f"… and {left:,} more warnings."] if left > 0 else [])


@cache
def threads() -> ThreadpoolController:
    """Built once: it scans the loaded native libraries, which takes milliseconds."""
    return ThreadpoolController()


def without_coercion(pipeline: Any) -> Any:
    """The pipeline minus its first step, for frames ``check_input`` already coerced to canonical dtypes: the
    step is idempotent, and repeating its per-value work is the slowest part of scoring text columns."""
    return pipeline[1:] if pipeline.steps[0][0] == "coerce" else pipeline


def model_schema(model: Model) -> ModelSchema:
    """The schema of a tabular model (refuses forecasting models with one sentence)."""
    if model.schema is None:
        raise InvalidInput(
            f"{model.label} is a {model.problem_type} model; only classification and regression models score rows."
        )
    return model.schema


def check_source(
    name: str, columns: list[str], rows: int, model: Model, schema: ModelSchema, explain_top: int, explain_max_rows: int
) -> None:
    """The checks that need no values: the columns the model needs, the size limit for reasons per row (SHAP per
    row is far slower than scoring)."""
    missing = [c for c in schema.feature_names if c not in columns]
    if missing:
        raise InvalidInput(
            f"{name!r} lacks {len(missing)} column(s) that {model.label} needs: {', '.join(missing)}.",
            [Problem("missing column", field=c) for c in missing],
        )
    if explain_top and rows > explain_max_rows:
        raise InvalidInput(
            f"Reasons per row are available for files of up to {explain_max_rows:,} rows; "
            f"{name!r} has {rows:,}. Score it without reasons."
        )
