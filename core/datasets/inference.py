"""Propose a template from a file: column names and types from the header and the first rows."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from core.datasets.conversion import FALSE_WORDS, TRUE_WORDS, column_type, is_text, parse_timestamps
from core.entities import ColumnSpec

MAX_CATEGORIES = 50
_BOOLEAN_WORDS = pa.array([w for w in TRUE_WORDS + FALSE_WORDS if not w.isdigit()])


def infer_columns(
    table: pa.Table, sample_rows: int = 1000, *, max_categories: int = MAX_CATEGORIES
) -> list[ColumnSpec]:
    """One ColumnSpec per column, in file order.

    Arrow's own types map directly; text columns are looked at over their first ``sample_rows`` rows:
    all dates -> date (datetime if any has a time), all yes/no/true/false -> boolean, few distinct
    repeated values (at most ``max_categories``, at most half the sample) -> category, else string.
    A column is proposed as required when it has no missing value anywhere; no defaults are guessed.
    """
    return [
        ColumnSpec(
            name=name,
            dtype=_dtype(column, sample_rows, max_categories),
            default=None,
            required=column.null_count == 0 and len(column) > 0,
        )
        for name, column in zip(table.column_names, table.columns, strict=True)
    ]


def _dtype(column: pa.ChunkedArray, sample_rows: int, max_categories: int) -> str:
    if not is_text(column.type):
        return column_type(column.type) or "string"
    sample = pc.drop_null(column.slice(0, sample_rows))
    if len(sample) == 0:
        return "string"
    parsed = parse_timestamps(sample)
    if parsed.null_count == 0:
        has_time = pc.any(pc.not_equal(parsed, pc.floor_temporal(parsed, unit="day"))).as_py()
        return "datetime" if has_time else "date"
    words = pc.utf8_lower(pc.utf8_trim_whitespace(sample))
    if pc.all(pc.is_in(words, value_set=_BOOLEAN_WORDS)).as_py():
        return "boolean"
    distinct = pc.count_distinct(sample).as_py()
    return "category" if distinct <= max_categories and distinct * 2 <= len(sample) else "string"
