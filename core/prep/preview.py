"""What the Prepare page shows for one step: the rows after it, a summary per column, and the rows the step removed
or whose values it changed (found by the hidden row number each step keeps)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.prep.recipe import Recipe, StepReport, run
from core.prep.sql import ROW

SHOWN_ROWS = 50
# Steps after which a row number no longer names the source row it came from: no removed / changed rows to show.
RENUMBERING = ("sort", "append", "aggregate", "pivot_wider", "pivot_longer")


@dataclass(frozen=True)
class StepPreview:
    rows: pd.DataFrame  # the first rows after the step
    summary: pd.DataFrame  # per column: type, missing, distinct, min, max
    removed: pd.DataFrame  # the first rows the step removed (as they were before it)
    removed_count: int
    changed: pd.DataFrame  # the first rows whose values it changed: "<column> before" / "<column> after"
    changed_count: int
    reports: tuple[StepReport, ...]
    rows_total: int  # rows after the step (of the sample)
    sample_rows: int  # rows of the source the preview ran on
    source_rows: int


def step_preview(
    recipe: Recipe, source: pa.Table, others: Mapping[str, pa.Table], step: int | None, sample_rows: int
) -> StepPreview:
    """The recipe up to ``step`` (all steps when None) on the first ``sample_rows`` rows of ``source``."""
    sample = source.slice(0, sample_rows)
    until = len(recipe.steps) if step is None else step
    after = run(recipe, sample, others, until=until, row_ids=True)
    removed = changed = pd.DataFrame()
    removed_count = changed_count = 0
    last = recipe.steps[until - 1] if until else None
    if last is not None and last.enabled and last.kind not in RENUMBERING:
        before = run(recipe, sample, others, until=until - 1, row_ids=True).table.to_pandas()
        now = after.table.to_pandas()
        gone = before[~before[ROW].isin(now[ROW])]
        numbered = gone.set_index(gone[ROW].rename("row") + 1).drop(columns=ROW)  # 1 = the first source row
        removed, removed_count = numbered.head(SHOWN_ROWS), len(gone)
        changed, changed_count = _changed(before, now)
    rows = after.table.drop_columns([ROW])
    return StepPreview(
        rows.slice(0, SHOWN_ROWS).to_pandas(),
        column_summary(rows),
        removed,
        removed_count,
        changed,
        changed_count,
        after.reports,
        rows.num_rows,
        sample.num_rows,
        source.num_rows,
    )


def _changed(before: pd.DataFrame, after: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    common = [c for c in after.columns if c in before.columns and c != ROW]
    joined = before[[ROW, *common]].merge(after[[ROW, *common]], on=ROW, suffixes=(" before", " after"))
    differs = {
        c: ~(
            (joined[f"{c} before"] == joined[f"{c} after"])
            | (joined[f"{c} before"].isna() & joined[f"{c} after"].isna())
        )
        for c in common
    }
    columns = [c for c, mask in differs.items() if bool(mask.any())]
    if not columns:
        return pd.DataFrame(), 0
    mask = pd.concat([differs[c] for c in columns], axis=1).any(axis=1)
    shown = joined.loc[mask, [ROW, *(f"{c} {w}" for c in columns for w in ("before", "after"))]]
    shown = shown.rename(columns={ROW: "row"}).assign(row=lambda f: f["row"] + 1)  # 1 = the first source row
    return shown.head(SHOWN_ROWS).reset_index(drop=True), int(mask.sum())


def column_summary(table: pa.Table) -> pd.DataFrame:
    """Type, missing values, distinct values and range of each column (Arrow compute; no pandas copy)."""
    rows: list[dict[str, Any]] = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        ordered = not (pa.types.is_nested(column.type) or pa.types.is_boolean(column.type))
        low_high = pc.min_max(column) if ordered and column.null_count < len(column) else None
        rows.append(
            {
                "column": name,
                "type": str(column.type),
                "missing": column.null_count,
                "distinct": pc.count_distinct(column).as_py(),
                "min": None if low_high is None else str(low_high["min"].as_py()),
                "max": None if low_high is None else str(low_high["max"].as_py()),
            }
        )
    return pd.DataFrame(rows, columns=["column", "type", "missing", "distinct", "min", "max"])
