"""Reading raw values (CSV text, form input, Arrow columns) as one canonical dtype per feature kind."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

FEATURE_KINDS: tuple[str, ...] = ("numeric", "categorical", "boolean", "datetime", "text")
_MISSING_TOKENS = {"", "na", "n/a", "nan", "null", "none", "nat"}
MAX_CATEGORIES = 1000  # a "category" column with more distinct values is treated as free text
_CATEGORY_ALWAYS = 30
_CATEGORY_MAX_GUESS = 200
BOOLEAN_WORDS = {
    **dict.fromkeys(("true", "t", "yes", "y", "1", "1.0"), 1.0),
    **dict.fromkeys(("false", "f", "no", "n", "0", "0.0"), 0.0),
}
_WORD_BOOLEANS = {word for word in BOOLEAN_WORDS if not word[0].isdigit()}


def blank_to_missing(values: pd.Series) -> pd.Series:
    """Treat empty strings and the usual "NA" spellings as missing, like the readers do."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    if values.dtype != object and not pd.api.types.is_string_dtype(values.dtype):
        return values
    text = values.astype(object)
    if pd.api.types.infer_dtype(text, skipna=True) == "string":  # the usual case, without a per-value check
        stripped = text.str.strip()
        return stripped.mask(stripped.str.lower().isin(_MISSING_TOKENS), np.nan)
    is_text = text.map(lambda v: isinstance(v, str))
    stripped = text.where(~is_text, text[is_text].str.strip())
    blank = is_text & stripped.where(is_text, "").str.lower().isin(_MISSING_TOKENS)
    return stripped.mask(blank, np.nan)


def _label(value: Any) -> str:
    """One spelling per category value: 3, 3.0 and "3" are the same category."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def coerce_column(values: pd.Series, kind: str) -> tuple[pd.Series, np.ndarray]:
    """Return ``values`` in the canonical dtype of ``kind`` and a mask of present values that could not be
    read as that kind, infinite numbers included (those become missing; ``check_input`` reports them)."""
    if kind == "numeric" and _plain_numbers(values.dtype):  # every training and prediction pass over numbers
        numbers = values.to_numpy(dtype="float64", na_value=np.nan, copy=True)
        infinite = np.isinf(numbers)
        numbers[infinite] = np.nan
        return pd.Series(numbers, index=values.index, name=values.name), infinite
    clean = blank_to_missing(values)
    present = clean.notna().to_numpy()
    clean = clean.mask(_containers(clean))
    if kind == "numeric":
        out = pd.to_numeric(clean, errors="coerce").astype("float64")
        out = out.mask(np.isinf(out))  # ±inf is a number no model can use: a wrong value, like text
    elif kind == "boolean":
        if pd.api.types.is_bool_dtype(clean.dtype):
            out = clean.astype("float64")
        else:
            out = clean.map(lambda v: BOOLEAN_WORDS.get(str(v).lower()), na_action="ignore").astype("float64")
    elif kind == "datetime":
        out = _to_datetime(clean)
    elif kind in ("categorical", "text"):
        codes, uniques = pd.factorize(clean)  # label each distinct value once; missing (-1) picks the NaN
        labels = np.array([*(_label(u) for u in uniques), np.nan], dtype=object)
        out = pd.Series(labels[codes], index=clean.index, dtype=object)
    else:
        raise ValueError(f"unknown feature kind {kind!r}")
    bad = present & out.isna().to_numpy()
    return out.rename(values.name), bad


def _plain_numbers(dtype: Any) -> bool:
    """Integers and floats (NumPy or nullable), not booleans: read as numbers without the per-value path, which
    took 8 of the 38 s of bench/problems.py's 20 tasks on 64 pixel columns."""
    return pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype)


def plain_number_columns(frame: pd.DataFrame, names: Iterable[str]) -> list[str]:
    """Those of ``names`` whose dtype is plain numbers (integers, floats), which ``coerce_numbers`` reads at once."""
    dtypes = dict(zip(frame.columns, frame.dtypes, strict=True))  # not frame[name]: a Series per column
    return [name for name in names if _plain_numbers(dtypes[name])]


def coerce_numbers(frame: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """``coerce_column(frame[name], "numeric")`` of each of ``names`` (all plain numbers: ``plain_number_columns``)
    as one frame, in one pass: float64, ±inf missing. Its block is laid out as a frame built from the columns one
    by one is (each column contiguous), so whatever reads it computes exactly as before; 64 pixel columns took 64
    Series and 64 checks."""
    numbers = np.empty((len(names), len(frame)), dtype="float64")  # a column per row: pandas' own layout
    for row, name in zip(numbers, names, strict=True):  # coerce_column's own conversion, column by column
        row[:] = frame[name].to_numpy(dtype="float64", na_value=np.nan)
    numbers[np.isinf(numbers)] = np.nan
    return pd.DataFrame(numbers.T, index=frame.index, columns=list(names), copy=False)


def _containers(values: pd.Series) -> pd.Series:
    """Dicts, lists, sets (a form's JSON, a nested Parquet column): never one value of any kind, and unhashable."""
    if values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) not in ("mixed", "mixed-integer"):
        return pd.Series(False, index=values.index)
    return values.map(lambda v: not pd.api.types.is_scalar(v))


def value_problem(value: Any, kind: str) -> str:
    """Why ``coerce_column`` refused a present value: "not a finite number" (±inf, 1e999) or "wrong type"."""
    if kind == "numeric" and pd.api.types.is_scalar(value):
        try:
            return "not a finite number" if math.isinf(float(value)) else "wrong type"
        except OverflowError:  # an integer beyond float range
            return "not a finite number"
        except (TypeError, ValueError):
            pass
    return "wrong type"


def _to_datetime(values: pd.Series) -> pd.Series:
    """Naive UTC timestamps; ISO strings take the fast path, anything else is parsed value by value."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.astype("datetime64[ns]")
    if pd.api.types.is_numeric_dtype(values.dtype):  # numbers are not dates: refuse rather than guess epochs
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    text = values.map(str, na_action="ignore")
    out = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
    retry = text.notna() & out.isna()
    if retry.any():
        out[retry] = pd.to_datetime(text[retry], errors="coerce", utc=True, format="mixed")
    return out.dt.tz_localize(None).astype("datetime64[ns]")


def guess_kind(values: pd.Series, declared: str | None = None) -> tuple[str, str]:
    """(kind, dtype): the template's type when given, else a guess from the column's dtype and values."""
    if declared in ("integer", "float"):
        return "numeric", declared
    if declared == "boolean":
        return "boolean", declared
    if declared in ("date", "datetime"):
        return "datetime", declared
    clean = blank_to_missing(values)
    present = clean.dropna()
    if declared is None and not isinstance(values.dtype, pd.CategoricalDtype):
        guessed = _guess_typed(present)
        if guessed:
            return guessed
    distinct = present.nunique()
    if declared == "category":
        return ("categorical" if distinct <= MAX_CATEGORIES else "text"), declared
    few = distinct <= _CATEGORY_ALWAYS or (distinct <= _CATEGORY_MAX_GUESS and distinct <= 0.5 * len(present))
    dtype = "category" if isinstance(values.dtype, pd.CategoricalDtype) else "string"
    return ("categorical" if few else "text"), dtype


def _guess_typed(present: pd.Series) -> tuple[str, str] | None:
    """Booleans, numbers and dates, from the dtype or from text that reads entirely as one of them."""
    if pd.api.types.is_bool_dtype(present.dtype):
        return "boolean", "boolean"
    if pd.api.types.is_numeric_dtype(present.dtype):
        return "numeric", "integer" if pd.api.types.is_integer_dtype(present.dtype) else "float"
    if pd.api.types.is_datetime64_any_dtype(present.dtype):
        return "datetime", _date_or_datetime(present)
    if present.empty:
        return None
    uniques = pd.Series(present.unique()).map(str)
    if set(uniques.str.lower()) <= _WORD_BOOLEANS:
        return "boolean", "boolean"
    numbers = pd.to_numeric(uniques, errors="coerce")
    if numbers.notna().all():
        return "numeric", "integer" if bool(np.all(np.mod(numbers, 1) == 0)) else "float"
    stamps = pd.to_datetime(uniques, errors="coerce", format="ISO8601", utc=True)
    if stamps.notna().all():
        return "datetime", _date_or_datetime(stamps)
    return None


def _date_or_datetime(stamps: pd.Series) -> str:
    times = pd.to_datetime(stamps)
    return "date" if bool((times.dt.normalize() == times).all()) else "datetime"
