"""Column statistics over a table's Parquet data files, computed by DuckDB (the files the catalog lists,
never a user-given path): the seed's numeric stats (count, mean, sample standard deviation, min, max,
median), distinct counts and histogram bins. Column names are quoted identifiers of the table's schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from core.lake.query import quoted

_SOURCE = "read_parquet(?, union_by_name = true)"  # the files' list is the first parameter


def _one(files: list[Path], select: str) -> tuple[Any, ...]:
    with duckdb.connect(config={"threads": 2}) as con:
        row = con.execute(f"SELECT {select} FROM {_SOURCE}", [[str(f) for f in files]]).fetchone()  # noqa: S608
    assert row is not None
    return tuple(row)


def numeric_stats(files: list[Path], column: str) -> dict[str, float | int | None]:
    """count (non-missing values), mean, std_dev (sample), min, max, median; None where there are no values."""
    if not files:
        return {"count": 0, "mean": None, "std_dev": None, "min": None, "max": None, "median": None}
    c = f"CAST({quoted(column)} AS DOUBLE)"
    count, mean, std, low, high, median = _one(
        files, f"count({c}), avg({c}), stddev_samp({c}), min({c}), max({c}), median({c})"
    )
    return {"count": count, "mean": mean, "std_dev": std, "min": low, "max": high, "median": median}


def distinct_count(files: list[Path], column: str) -> int:
    """Distinct non-missing values (as pandas' ``nunique``)."""
    return int(_one(files, f"count(DISTINCT {quoted(column)})")[0]) if files else 0


def histogram(files: list[Path], column: str, bins: int = 30) -> list[tuple[float, float, int]]:
    """``bins`` equal-width bins ``(low, high, count)`` over the finite values."""
    if not files:
        return []
    low, high = _one(files, f"min({_finite(column)}), max({_finite(column)})")
    if low is None:
        return []
    width = (high - low) / bins or 1.0
    c = _finite(column)
    select = f"least(floor(({c} - ?) / ?), ?)::INTEGER, count(*)"
    query = f"SELECT {select} FROM {_SOURCE} WHERE {c} IS NOT NULL GROUP BY 1"  # noqa: S608
    with duckdb.connect(config={"threads": 2}) as con:
        rows = con.execute(query, [low, width, bins - 1, [str(f) for f in files]]).fetchall()
    counts = dict(rows)
    return [(low + i * width, low + (i + 1) * width, int(counts.get(i, 0))) for i in range(bins)]


def _finite(column: str) -> str:
    """The column as DOUBLE, NULL where it is infinite or NaN."""
    c = f"CAST({quoted(column)} AS DOUBLE)"
    return f"CASE WHEN isfinite({c}) THEN {c} END"
