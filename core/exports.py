"""The one CSV writer of the product: safe to open in a spreadsheet and to read back row for row.

Every CSV the engine or the UI hands out goes through :func:`safe_csv` (a test forbids other writers):
- a text cell starting with ``= + - @``, a tab, CR or LF gets a leading ``'`` so no spreadsheet runs it as
  a formula (text that is just a number, such as ``-3`` or ``+1.5``, is left alone: it is not a formula);
- NUL characters become U+FFFD (spreadsheets and pandas' C parser cut the cell there);
- lines end in CRLF, which makes the writer quote every field holding a CR or LF, so a bare ``\\r`` can
  never start a new row (with ``\\n`` line ends it was written unquoted and split the row).
Numeric columns are written as numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

FORMULA_START = r"^[=+\-@\t\r\n]"  # what neutralize quotes; callers may test columns with it (plus NUL)
RISKY_TEXT = FORMULA_START + r"|\x00"  # a text cell matching this may be changed by neutralize
_FORMULA = re.compile(FORMULA_START)
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def neutralize(value: object) -> object:
    """The cell as it is safe to write: formula-like text prefixed with ``'``, NUL replaced; others unchanged."""
    if not isinstance(value, str):
        return value
    text = value.replace("\x00", "\ufffd") if "\x00" in value else value
    if _FORMULA.match(text) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text if text != value else value


def may_hold_text(dtype: object) -> bool:
    """Whether a column of this dtype can hold text: anything but numbers, booleans, dates and durations
    (object, string, category, Arrow-backed strings, whatever pandas adds next)."""
    types = pd.api.types
    return not (
        types.is_numeric_dtype(dtype)
        or types.is_bool_dtype(dtype)
        or types.is_datetime64_any_dtype(dtype)
        or types.is_timedelta64_dtype(dtype)
    )


def neutralize_frame(df: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """A copy with the text cells of ``columns`` (default: every column that may hold text) and the header
    neutralized."""
    out = df.copy()
    wanted = list(out.columns) if columns is None else list(columns)
    for column in wanted:
        if may_hold_text(out[column].dtype):
            out[column] = out[column].astype(object).map(neutralize)
    out.columns = [str(neutralize(str(c))) for c in out.columns]
    return out


def safe_csv(df: pd.DataFrame, *, header: bool = True, text_columns: Iterable[str] | None = None) -> bytes:
    """UTF-8 CSV of ``df`` (no index). ``text_columns`` narrows which columns are scanned, for callers that
    already know the other columns hold no risky text (the batch writer tests whole Arrow columns at once)."""
    safe = neutralize_frame(df, text_columns)
    return safe.to_csv(index=False, header=header, lineterminator="\r\n").encode()
