"""The raw inputs of a model trained on prepared data: the columns its recipe reads, as a prediction form asks
for them, each starting at a typical value of the data the recipe ran on (a sample of its first rows).

A value entered here is scored like a raw row of a batch: the model's recipe turns it into the prepared columns
first (``eng.inference.predict_one``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from core.entities import InputField

SAMPLE_ROWS = 10_000  # rows of the recipe's source read for defaults and options
MAX_OPTIONS = 100  # most frequent text values offered (others can be typed)


def raw_fields(source_columns: Mapping[str, str], sample: pd.DataFrame | None) -> list[InputField]:
    """One field per column the recipe reads (name → product type, ``core.prep.replay.types_of``), with the
    sample's median (numbers, dates) or most frequent value (text, booleans) as its default."""
    fields = []
    for name, product_type in source_columns.items():
        values = sample[name].dropna() if sample is not None and name in sample.columns else pd.Series(dtype=object)
        fields.append(_field(name, product_type, values))
    return fields


def _field(name: str, product_type: str, values: pd.Series) -> InputField:
    if product_type in ("integer", "float"):
        numbers = pd.to_numeric(values, errors="coerce")
        numbers = numbers[np.isfinite(numbers)]
        if numbers.empty:
            return InputField(name, "numeric", product_type, None, "no default")
        low, high, middle = numbers.min(), numbers.max(), float(numbers.median())
        if product_type == "integer":
            return InputField(name, "numeric", product_type, round(middle), "source median", (), int(low), int(high))
        return InputField(name, "numeric", product_type, middle, "source median", (), float(low), float(high))
    if product_type in ("date", "datetime"):
        stamps = pd.to_datetime(values, errors="coerce").dropna()
        if stamps.empty:
            return InputField(name, "datetime", product_type, None, "no default")
        middle = stamps.sort_values().iloc[len(stamps) // 2]
        default: Any = middle.date() if product_type == "date" else middle.to_pydatetime()
        low, high = (_shown(stamps.min(), product_type), _shown(stamps.max(), product_type))
        return InputField(name, "datetime", product_type, default, "source median", (), low, high)
    if product_type == "boolean":
        flags = values.map(_flag).dropna()
        if flags.empty:
            return InputField(name, "boolean", product_type, False, "no default")
        return InputField(name, "boolean", product_type, bool(flags.mode().iloc[0]), "source mode")
    texts = values.astype(str)
    counts = texts[texts.str.strip() != ""].value_counts()
    options = tuple(counts.index[:MAX_OPTIONS])
    default = options[0] if options else None
    return InputField(name, "categorical", product_type, default, "source mode" if default else "no default", options)


_TRUE, _FALSE = {"true", "t", "yes", "y", "1"}, {"false", "f", "no", "n", "0"}


def _flag(value: Any) -> bool | None:
    """A stored yes/no (a source column now kept as text says "false", which ``bool`` would call true)."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    text = str(value).strip().lower()
    return True if text in _TRUE else False if text in _FALSE else None


def _shown(stamp: pd.Timestamp, product_type: str) -> str:
    return stamp.date().isoformat() if product_type == "date" else stamp.isoformat(sep=" ")
