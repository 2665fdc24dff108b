"""Read an uploaded CSV, Excel or Parquet file into one Arrow table, refusing bad input with one sentence.

The format follows the file name's extension (the service never opens a path a user chose; ``source``
is the uploaded bytes or a path the service itself wrote). Types are inferred once here; the template
then fixes them in :mod:`core.datasets.validation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePath

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from core.datasets.conversion import INT64_MAX, column_type
from core.datasets.csv_reader import read_csv
from core.datasets.excel import list_sheets as list_xlsx_sheets
from core.datasets.excel import read_xlsx
from core.datasets.headers import DEFAULT_MAX_COLUMNS, checked_names
from core.entities import ColumnSpec
from core.errors import InvalidInput, Problem

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
SUPPORTED_SUFFIXES = CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES


def read_table(
    source: bytes | Path,
    filename: str,
    *,
    sheet: str | None = None,
    max_columns: int = DEFAULT_MAX_COLUMNS,
    columns: Sequence[ColumnSpec] | None = None,
) -> pa.Table:
    """The file as an Arrow table with inferred types.

    ``sheet`` picks an Excel worksheet (default: the first). ``columns`` is the template, if any: its
    string and category columns are read as text verbatim, so codes such as '007' keep their zeros.
    Raises InvalidInput for an unsupported extension, an empty or header-only file, binary or damaged
    content, duplicate column names, more than ``max_columns`` columns, or ragged CSV rows.
    """
    text_columns = {c.name for c in columns or () if c.dtype in ("string", "category")}
    kind = _kind(filename)
    if (source.stat().st_size if isinstance(source, Path) else len(source)) == 0:
        raise InvalidInput(f"'{filename}' is empty.", [Problem("empty file")])
    if kind == "csv":
        table = read_csv(source, filename, max_columns=max_columns, text_columns=text_columns)
    elif kind == "excel":
        table = read_xlsx(source, filename, sheet=sheet, max_columns=max_columns, text_columns=text_columns)
    else:
        table = _read_parquet(source, filename, max_columns)
    if table.num_rows == 0:
        raise InvalidInput(f"'{filename}' has a header but no data rows.", [Problem("no data rows")])
    return table


def list_sheets(source: bytes | Path, filename: str) -> list[str]:
    """Worksheet names of an Excel file, in order; an empty list for formats without sheets."""
    return list_xlsx_sheets(source, filename) if _kind(filename) == "excel" else []


def _kind(filename: str) -> str:
    suffix = PurePath(filename).suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in EXCEL_SUFFIXES:
        return "excel"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    hint = " Save it as .xlsx from Excel." if suffix == ".xls" else ""
    raise InvalidInput(
        f"'{filename}' has an unsupported file type ({suffix or 'no extension'}); "
        f"upload CSV, Excel (.xlsx) or Parquet.{hint}",
        [Problem("unsupported file type", field="filename", value=suffix)],
    )


def _read_parquet(source: bytes | Path, filename: str, max_columns: int) -> pa.Table:
    """Parquet is typed already: check the schema (count, names, plain types) before reading any data."""
    arrow_input = str(source) if isinstance(source, Path) else pa.BufferReader(pa.py_buffer(source))
    try:
        parquet = pq.ParquetFile(arrow_input)
        schema = parquet.schema_arrow
    except (pa.ArrowInvalid, OSError) as error:
        raise InvalidInput(f"'{filename}' is not a valid Parquet file.", [Problem("not a parquet file")]) from error
    names = checked_names(schema.names, filename, max_columns)
    unusable = [f for f in schema if not _plain_type(f.type)]
    if unusable:
        raise InvalidInput(
            f"'{filename}' has columns that are not plain values: "
            f"{', '.join(f'{f.name} ({f.type})' for f in unusable)}; store them as numbers, text or dates.",
            [Problem("unsupported column type", field=f.name, value=str(f.type)) for f in unusable],
        )
    try:
        table = parquet.read()
    except (pa.ArrowInvalid, OSError) as error:
        raise InvalidInput(f"'{filename}' is a damaged Parquet file.", [Problem("damaged parquet")]) from error
    table = table.rename_columns(names) if names != table.column_names else table
    return _common_types(table, filename)


def _plain_type(arrow_type: pa.DataType) -> bool:
    """A type a template can name (number, text, boolean, date, datetime, category of those)."""
    if pa.types.is_dictionary(arrow_type):
        return _plain_type(arrow_type.value_type)
    return pa.types.is_string_view(arrow_type) or column_type(arrow_type) is not None


def _common_types(table: pa.Table, filename: str) -> pa.Table:
    """Half floats as float32 (exact), unsigned 64-bit integers as int64 and string views (as Polars writes
    text) as strings, which Arrow compute, DuckDB and the statistics all handle; unsigned values beyond int64
    are refused rather than silently rounded."""
    too_large: list[Problem] = []
    for index, field in enumerate(table.schema):
        column = table.column(index)
        if pa.types.is_string_view(field.type):
            table = table.set_column(index, field.name, column.cast(pa.string()))
        elif pa.types.is_float16(field.type):
            table = table.set_column(index, field.name, column.cast(pa.float32()))
        elif pa.types.is_uint64(field.type):
            largest = pc.max(column).as_py()
            if largest is not None and largest > INT64_MAX:
                too_large.append(Problem("number too large", field=field.name, value=str(largest)))
            else:
                table = table.set_column(index, field.name, column.cast(pa.int64()))
    if too_large:
        raise InvalidInput(
            f"'{filename}' has whole numbers above {INT64_MAX:,} in {', '.join(str(p.field) for p in too_large)}; "
            "store them as text or as decimal numbers.",
            too_large,
        )
    return table
