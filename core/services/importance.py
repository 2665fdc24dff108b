"""Global SHAP feature importance of a model: computed at training time or by the ``explain_model`` job.

Stored with the model: the importance table and how it was computed (``Model.details.importance``) and its
``importance`` file, a Parquet file with the SHAP value of every explained row and feature in long form
(``row, feature, shap, value, number, position``) that the Models page draws as a bar chart, a beeswarm-like
strip plot and a per-feature dependence plot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from core.entities import ImportanceInfo
from core.services.result_files import PendingFiles

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

    from core.ml import ModelSchema

VALUE_COLUMNS = ["row", "feature", "shap", "value", "number", "position"]
SPACES = {  # what the explained output of a classifier is, in words
    "probability": "the predicted probability of {which}",
    "log-odds": "the log-odds of {which} (the score behind its probability; positive favours it)",
    "raw score": "the model's raw score for {which} (before it becomes a probability)",
}


@dataclass(frozen=True)
class Importance:
    """Global importance ``[feature, mean_abs_shap]``, the per-row values (``VALUE_COLUMNS``) and how."""

    table: pd.DataFrame
    values: pd.DataFrame
    rows: int
    output_space: str
    source: str = ""
    computed_at: str = ""

    def meaning(self, classes: Sequence[Any]) -> str:
        """One sentence on what a SHAP value measures for this model."""
        if not classes:
            return "A SHAP value is how much a feature moves the prediction away from the average prediction."
        which = f"class {classes[-1]!r}" if len(classes) == 2 else "each row's predicted class"
        space = SPACES.get(self.output_space, "the model's output for {which}").format(which=which)
        return f"A SHAP value is how much a feature moves {space} away from its average over the training rows."

    def info(self) -> ImportanceInfo:
        """What the model keeps of it (the per-row values go to its ``importance`` file)."""
        pairs = tuple(
            (str(f), float(v)) for f, v in zip(self.table["feature"], self.table["mean_abs_shap"], strict=True)
        )
        return ImportanceInfo(pairs, self.rows, self.output_space, self.source, self.computed_at)


def _long_values(per_row: pd.DataFrame, rows: pd.DataFrame, schema: ModelSchema, order: list[str]) -> pd.DataFrame:
    """One line per (training row, feature): SHAP value, the feature value (``number`` for numbers and booleans,
    ``value`` text otherwise) and its position (0 = lowest, 1 = highest in the sample; missing for categories and
    text) to colour the strip plot."""
    from core.ml.coerce import coerce_column

    texts, numbers, positions = [], [], []
    nothing = np.full(len(rows), np.nan)
    for name in order:
        kind = schema.feature(name).kind
        values = coerce_column(rows[name], kind)[0]
        numeric = kind in ("numeric", "boolean")
        texts.append(
            np.full(len(rows), None, dtype=object)
            if numeric
            else values.map(str, na_action="ignore").astype(object).to_numpy()
        )
        numbers.append(values.to_numpy(dtype="float64") if numeric else nothing)
        positions.append(nothing if kind in ("categorical", "text") else values.rank(pct=True).to_numpy("float64"))
    return pd.DataFrame(
        {
            "row": np.tile(per_row.index.to_numpy() + 1, len(order)),  # 1 = first training row, as in the holdout
            "feature": np.repeat(order, len(per_row)),
            "shap": per_row[order].to_numpy(dtype="float64").T.ravel(),
            "value": np.concatenate(texts),
            "number": np.concatenate(numbers),
            "position": np.concatenate(positions),
        },
        columns=VALUE_COLUMNS,
    )


def compute_importance(
    pipeline: Pipeline,
    schema: ModelSchema,
    frame: pd.DataFrame,
    sample_rows: int,
    source: str,
    background: pd.DataFrame | None,
) -> Importance:
    """SHAP importance on at most ``sample_rows`` rows of ``frame``, on the user's original columns, relative to
    the model's stored ``background`` (None for models stored before backgrounds: one drawn from ``frame``)."""
    from core.ml import global_importance, output_space

    table, per_row = global_importance(pipeline, schema, frame, max_rows=sample_rows, background=background)
    rows = frame.loc[per_row.index]
    return Importance(
        table=table,
        values=_long_values(per_row, rows, schema, list(table["feature"])),
        rows=len(per_row),
        output_space=output_space(pipeline),
        source=source,
        computed_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def importance_files(importance: Importance | None, files: PendingFiles, label: str) -> None:
    if importance is not None:
        files.add_parquet(importance.values, name=f"{label}-shap-values.parquet")


def read_importance(info: ImportanceInfo | None, values: Path | None) -> Importance | None:
    """The stored importance of a model (None when none was computed); ``values``: its ``importance`` file."""
    if info is None:
        return None
    return Importance(
        table=pd.DataFrame(list(info.table), columns=["feature", "mean_abs_shap"]),
        values=pq.read_table(values).to_pandas() if values else pd.DataFrame(columns=VALUE_COLUMNS),
        rows=info.rows,
        output_space=info.output_space,
        source=info.source,
        computed_at=info.computed_at,
    )
