"""Per-column statistics and small plot-ready frames, computed with pyarrow.compute over the Arrow table.

The numbers follow pandas' conventions so users see what they would get in a notebook: NaN counts
as missing, ``std`` has ddof=1, quantiles interpolate linearly, ``distinct`` ignores missing values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.datasets.conversion import column_type, plain
from core.datasets.dates import US_PER_DAY
from core.datasets.report import display_value
from core.errors import InvalidInput, Problem

PROFILE_COLUMNS = (
    "column",
    "type",
    "count",
    "missing",
    "infinite",
    "distinct",
    "min",
    "max",
    "mean",
    "std",
    "q25",
    "q50",
    "q75",
    "top",
)
TOP_VALUE_WIDTH = 30
_QUANTILES = (0.25, 0.5, 0.75)


def profile(table: pa.Table, *, top: int = 3) -> pd.DataFrame:
    """One row per column: type, count, missing, infinite, distinct, min, max, mean, std, q25, q50, q75, top.

    ``min``/``max`` are display strings (ISO dates, round-tripping numbers) so one frame can hold every
    type and be stored as Parquet or CSV; the moments and quantiles are floats, NaN for non-numeric
    columns. ``top`` lists the ``top`` most frequent values as "a (12), b (7)".
    """
    rows = [_profile_column(name, column, top) for name, column in zip(table.column_names, table.columns, strict=True)]
    frame = pd.DataFrame(rows, columns=list(PROFILE_COLUMNS))
    return frame.astype(
        {
            "count": "int64",
            "missing": "int64",
            "infinite": "int64",
            "distinct": "int64",
            "mean": "float64",
            "std": "float64",
            "q25": "float64",
            "q50": "float64",
            "q75": "float64",
        }
    )


def histogram(table: pa.Table, column: str, bins: int = 30) -> pd.DataFrame:
    """Bin edges and counts (``left``, ``right``, ``count``) of a numeric or date column, as numpy bins them.

    Infinite values cannot be binned: they are left out and counted in ``attrs["infinite"]`` (the profile
    counts them too). Dates are binned as microseconds after the first one, exact in float64.
    """
    values = pc.drop_null(_numeric_or_temporal(table, column))
    temporal = not _is_number(values.type)
    origin = 0
    if temporal:
        ticks = pc.cast(values, pa.timestamp("us"), safe=False).cast(pa.int64()).to_numpy()
        origin = int(ticks.min()) if len(ticks) else 0
        numbers = (ticks - origin).astype("float64")
    else:
        numbers = _floats(values).to_numpy(zero_copy_only=False)
    finite = numbers[np.isfinite(numbers)]
    counts, edges = _bins(finite, int(bins), half=US_PER_DAY / 2 if temporal else 0.5)
    if temporal:
        edges = pd.to_datetime(np.rint(edges).astype("int64") + origin, unit="us")
    frame = pd.DataFrame({"left": edges[:-1], "right": edges[1:], "count": counts})
    frame.attrs["infinite"] = len(numbers) - len(finite)
    return frame


def _bins(values: np.ndarray, bins: int, half: float) -> tuple[np.ndarray, np.ndarray]:
    """numpy's equal-width bins without its failures: one distinct value is one bar ``half`` either side (a
    date's bar is a day wide, not numpy's microsecond); a span beyond float range is binned at half scale
    (exact); edges too close to differ in float64 are merged."""
    if len(values) == 0:
        return np.array([], dtype="int64"), np.array([])
    low, high = values.min(), values.max()
    if low == high:
        return np.array([len(values)]), np.array([low - half, high + half])
    with np.errstate(over="ignore"):
        scale = 1.0 if np.isfinite(high - low) else 0.5
    edges = np.unique(np.linspace(low * scale, high * scale, max(1, bins) + 1) / scale)
    return np.histogram(values, bins=edges)


def value_counts(table: pa.Table, column: str, top: int = 20) -> pd.DataFrame:
    """The ``top`` most frequent values (``value``, ``count``), most frequent first; missing values left out."""
    counted = _counts(plain(_column(table, column))).slice(0, top)
    return pd.DataFrame({"value": counted.column("value").to_pylist(), "count": counted.column("count")})


def correlation(table: pa.Table, *, max_columns: int = 50) -> pd.DataFrame:
    """Pearson correlation of the numeric columns (the first ``max_columns``), as pandas computes it."""
    names = [name for name, col in zip(table.column_names, table.columns, strict=True) if _is_number(col.type)]
    numeric = pa.table({name: _floats(plain(table.column(name))) for name in names[:max_columns]})
    return numeric.to_pandas().corr()


def _profile_column(name: str, column: pa.ChunkedArray, top: int) -> dict[str, object]:
    values = _values(column)
    count = len(values) - values.null_count
    counted = _counts(values) if count else None
    row: dict[str, object] = {
        "column": name,
        "type": column_type(column.type) or str(column.type),
        "count": count,
        "missing": values.null_count,
        "infinite": _infinite(values) if count else 0,
        "distinct": counted.num_rows if counted is not None else 0,
        "top": _top_text(counted, top) if counted is not None else "",
    }
    if count and _orderable(values.type):
        extremes = pc.min_max(values).as_py()
        row["min"], row["max"] = display_value(extremes["min"]), display_value(extremes["max"])
    if count and _is_number(values.type):
        row["mean"] = pc.mean(values).as_py()
        row["std"] = pc.stddev(values, ddof=1).as_py()
        quantiles = pc.quantile(values, q=list(_QUANTILES), interpolation="linear").to_pylist()
        row["q25"], row["q50"], row["q75"] = quantiles
    return row


def _counts(values: pa.ChunkedArray) -> pa.Table:
    """Distinct present values with their counts, most frequent first (ties by value, for stable output)."""
    counted = pc.value_counts(values)
    table = pa.table({"value": counted.field("values"), "count": counted.field("counts")})
    table = table.filter(pc.is_valid(table.column("value")))
    return table.sort_by([("count", "descending"), ("value", "ascending")])


def _top_text(counted: pa.Table, top: int) -> str:
    head = counted.slice(0, top)
    parts = []
    for value, n in zip(head.column("value").to_pylist(), head.column("count").to_pylist(), strict=True):
        text = display_value(value) or ""
        text = text if len(text) <= TOP_VALUE_WIDTH else text[: TOP_VALUE_WIDTH - 1] + "…"
        parts.append(f"{text} ({n})")
    return ", ".join(parts)


def _column(table: pa.Table, column: str) -> pa.ChunkedArray:
    if column not in table.column_names:
        raise InvalidInput(f"There is no column named '{column}'.", [Problem("unknown column", field=column)])
    return table.column(column)


def _numeric_or_temporal(table: pa.Table, column: str) -> pa.ChunkedArray:
    values = _values(_column(table, column))
    if not (_is_number(values.type) or pa.types.is_date(values.type) or pa.types.is_timestamp(values.type)):
        raise InvalidInput(
            f"Column '{column}' is neither numeric nor a date; show its value counts instead.",
            [Problem("not numeric", field=column)],
        )
    return values


def _values(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """:func:`plain` values, decimals and half floats as float64 (Arrow cannot sort or sum those)."""
    values = plain(column)
    if pa.types.is_decimal(values.type) or pa.types.is_float16(values.type):
        return values.cast(pa.float64())
    return values


def _floats(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """As float64 like pandas does, rounding integers beyond 2**53 (Arrow's safe cast refuses them)."""
    return pc.cast(values, pa.float64(), safe=False)


def _infinite(values: pa.ChunkedArray) -> int:
    if not pa.types.is_floating(values.type):
        return 0
    return int(pc.sum(pc.is_inf(values)).as_py() or 0)


def _is_number(arrow_type: pa.DataType) -> bool:
    return pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type)


def _orderable(arrow_type: pa.DataType) -> bool:
    t = arrow_type
    return (
        _is_number(t)
        or pa.types.is_boolean(t)
        or pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_date(t)
        or pa.types.is_timestamp(t)
        or pa.types.is_time(t)
    )
