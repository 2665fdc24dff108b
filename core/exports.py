"""CSV export that is safe to open in a spreadsheet (formula injection neutralized)."""

from __future__ import annotations

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: object) -> object:
    """Prefix a quote to text cells a spreadsheet would run as a formula; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def neutralize_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for column in out.columns:
        if out[column].dtype == object or isinstance(out[column].dtype, pd.StringDtype | pd.CategoricalDtype):
            out[column] = out[column].astype(object).map(neutralize)
    out.columns = [str(neutralize(str(c))) for c in out.columns]
    return out


def safe_csv(df: pd.DataFrame) -> bytes:
    return neutralize_frame(df).to_csv(index=False).encode()
