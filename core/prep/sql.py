"""Quoting for the SQL the recipe engine generates: every identifier and literal goes through here, so no user text
is ever concatenated into a query as it is."""

from __future__ import annotations

import math
from datetime import date, datetime

from core.errors import InvalidInput

ROW = "_dataml_row"  # the hidden row number every step keeps: it defines the order rows come out in
Literal = str | int | float | bool | date | datetime | None


def ident(name: str) -> str:
    """A column name as a quoted SQL identifier (doubled quotes inside)."""
    if "\x00" in name:
        raise InvalidInput("A column name cannot contain a NUL character.")
    return '"' + name.replace('"', '""') + '"'


def literal(value: Literal) -> str:
    """A Python value as a SQL literal of its own type."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(f"{value} is not a usable number.")
        return repr(float(value))
    if isinstance(value, datetime):
        return f"TIMESTAMP {text(value.isoformat(sep=' '))}"
    if isinstance(value, date):
        return f"DATE {text(value.isoformat())}"
    return text(value)


def text(value: str) -> str:
    """A string literal: single quotes doubled; NUL refused (DuckDB and Postgres cannot hold it)."""
    if "\x00" in value:
        raise InvalidInput("Text values cannot contain a NUL character.")
    return "'" + value.replace("'", "''") + "'"
