"""The raw inputs of a model trained on prepared data: the columns its recipe reads, as a prediction form asks
for them, each starting at a typical value of the data the recipe ran on (a sample of its first rows).

A value entered here is scored like a raw row of a batch: the model's recipe turns it into the prepared columns
first (``eng.inference.predict_one``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
        numbers = pd.to_numeric(values, errors="coerce").dropna()
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
        low, high = str(stamps.min()), str(stamps.max())
        return InputField(name, "datetime", product_type, default, "source median", (), low, high)
    if product_type == "boolean":
        mode = values.mode()
        if mode.empty:
            return InputField(name, "boolean", product_type, False, "no default")
        return InputField(name, "boolean", product_type, bool(mode.iloc[0]), "source mode")
    counts = values.astype(str).value_counts()
    options = tuple(counts.index[:MAX_OPTIONS])
    default = options[0] if options else None
    return InputField(name, "categorical", product_type, default, "source mode" if default else "no default", options)
