"""Types from data: a template proposed from a file's first rows, and dates typed at an upload without one."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from core.datasets.conversion import FALSE_WORDS, TRUE_WORDS, column_type, is_text
from core.datasets.dates import numeric_order, parse_timestamps
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
    Numeric dates whose order the sample decides (25/12/2020) get that date format.
    """
    specs = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        dtype = _dtype(column, sample_rows, max_categories)
        order = numeric_order(column.slice(0, sample_rows)) if dtype in ("date", "datetime") else None
        required = column.null_count == 0 and len(column) > 0
        date_format = order.date_format if order and not order.ambiguous else None
        specs.append(ColumnSpec(name=name, dtype=dtype, default=None, required=required, date_format=date_format))
    return specs


def infer_dates(table: pa.Table) -> tuple[pa.Table, list[str]]:
    """Text columns whose every value is a date become date (or datetime, when any has a time), so an upload
    without a template keeps them as dates; the notes say which order numeric dates were read in."""
    notes: list[str] = []
    for index, (name, column) in enumerate(zip(table.column_names, table.columns, strict=True)):
        if not is_text(column.type) or column.null_count == len(column):
            continue
        order = numeric_order(column)
        parsed = parse_timestamps(column, order)
        if parsed.null_count > column.null_count:
            continue
        table = table.set_column(index, name, parsed if _has_time(parsed) else parsed.cast(pa.date32()))
        notes += [order.note(name)] if order else []
    return table, notes


def _has_time(parsed: pa.ChunkedArray) -> bool:
    return bool(pc.any(pc.not_equal(parsed, pc.floor_temporal(parsed, unit="day"))).as_py())


def _dtype(column: pa.ChunkedArray, sample_rows: int, max_categories: int) -> str:
    if not is_text(column.type):
        return column_type(column.type) or "string"
    sample = pc.drop_null(column.slice(0, sample_rows))
    if len(sample) == 0:
        return "string"
    parsed = parse_timestamps(sample)
    if parsed.null_count == 0:
        return "datetime" if _has_time(parsed) else "date"
    words = pc.utf8_lower(pc.utf8_trim_whitespace(sample))
    if pc.all(pc.is_in(words, value_set=_BOOLEAN_WORDS)).as_py():
        return "boolean"
    distinct = pc.count_distinct(sample).as_py()
    return "category" if distinct <= max_categories and distinct * 2 <= len(sample) else "string"
