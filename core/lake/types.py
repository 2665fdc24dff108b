"""What Iceberg cannot hold as Arrow has it, converted before a write, with a note per column saying so.

Iceberg has no nanosecond timestamps (format v2), unsigned integers, dictionaries, half floats, large strings or
a null type; the lake stores the nearest type that loses nothing a user would miss and keeps the reason in the
column's ``doc`` (Iceberg's field comment), which the column list shows."""

from __future__ import annotations

import re

import pyarrow as pa
from pyiceberg import types as it

DOC = b"doc"
_SAFE = re.compile(r"[^0-9A-Za-z_]+")


def _converted(kind: pa.DataType) -> tuple[pa.DataType, str] | None:
    """(type to store, note) for a type Iceberg refuses or changes; None when it takes ``kind`` as it is."""
    if pa.types.is_dictionary(kind):
        return pa.string(), "category, stored as text"
    if pa.types.is_timestamp(kind) and kind.unit == "ns":
        return pa.timestamp("us", tz=kind.tz), "nanosecond timestamps, stored in microseconds"
    if pa.types.is_timestamp(kind) and kind.unit in ("s", "ms"):
        return pa.timestamp("us", tz=kind.tz), ""
    if pa.types.is_uint8(kind) or pa.types.is_uint16(kind):
        return pa.int32(), f"unsigned {kind.bit_width}-bit integers, widened to 32 bits"
    if pa.types.is_uint32(kind):
        return pa.int64(), "unsigned 32-bit integers, widened to 64 bits"
    if pa.types.is_uint64(kind):
        return pa.decimal128(20, 0), "unsigned 64-bit integers, stored as decimal(20, 0)"
    if pa.types.is_int8(kind) or pa.types.is_int16(kind):
        return pa.int32(), ""
    if pa.types.is_float16(kind):
        return pa.float32(), "half-precision floats, stored as 32-bit floats"
    if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return pa.string(), ""
    if pa.types.is_null(kind):
        return pa.string(), "no values, stored as text"
    if pa.types.is_date64(kind):
        return pa.date32(), ""
    return None


def lake_ready(table: pa.Table) -> pa.Table:
    """``table`` in types Iceberg stores, each changed column noted in its field's ``doc`` metadata; unique,
    non-empty column names (a raw file may repeat one or leave one blank)."""
    names = _unique_names(table.column_names)
    fields, arrays = [], []
    for name, field, column in zip(names, table.schema, table.columns, strict=True):
        change = _converted(field.type)
        kind, note = (field.type, "") if change is None else change
        if name != field.name:
            note = "; ".join(filter(None, [note, f"renamed from {field.name!r}"]))
        fields.append(pa.field(name, kind, metadata={DOC: note.encode()} if note else None))
        arrays.append(column if kind == field.type else _cast(column, kind))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _cast(column: pa.ChunkedArray, kind: pa.DataType) -> pa.ChunkedArray:
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if pa.types.is_null(column.type):
        return pa.nulls(len(column), kind)  # type: ignore[return-value]
    return column.cast(kind, safe=False) if pa.types.is_timestamp(kind) else column.cast(kind)


def _unique_names(names: list[str]) -> list[str]:
    seen: set[str] = set()
    result = []
    for position, name in enumerate(names, start=1):
        candidate, n = name.strip() or f"column_{position}", 2
        while candidate in seen:
            candidate, n = f"{name.strip() or 'column'}_{n}", n + 1
        seen.add(candidate)
        result.append(candidate)
    return result


def table_name(text: str) -> str:
    """A lake table name for a dataset or model name: lower case letters, digits and ``_``, starting with a
    letter, at most 100 characters ("Sales 2024-Q1" -> "sales_2024_q1")."""
    name = _SAFE.sub("_", text.strip().lower()).strip("_")
    if not name or not name[0].isalpha():
        name = f"t_{name}"
    return name[:100].rstrip("_")


_SQL_TYPES: dict[type[it.IcebergType], str] = {
    it.StringType: "varchar",
    it.LongType: "bigint",
    it.IntegerType: "integer",
    it.DoubleType: "double",
    it.FloatType: "real",
    it.BooleanType: "boolean",
    it.TimestampType: "timestamp",
    it.TimestamptzType: "timestamp with time zone",
    it.DateType: "date",
    it.TimeType: "time",
    it.BinaryType: "blob",
    it.UUIDType: "uuid",
}


def sql_type(kind: it.IcebergType) -> str:
    """The SQL name a query sees for an Iceberg type (the seed's ``data_type``: varchar, double, timestamp ...)."""
    if isinstance(kind, it.DecimalType):
        return f"decimal({kind.precision}, {kind.scale})"
    return _SQL_TYPES.get(type(kind), str(kind))


NUMERIC = (it.LongType, it.IntegerType, it.DoubleType, it.FloatType, it.DecimalType)
