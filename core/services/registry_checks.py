"""What the registry accepts: names, kinds (with the seed's spellings), tags, aliases and declared metadata, each
refused in one sentence naming the field."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, fields, is_dataclass
from typing import Any

from core.entities.registry import ARTIFACT_KINDS, DRIFT_METHODS, MODEL_KINDS, ModelMetadata
from core.errors import InvalidInput, Problem

KIND_SPELLINGS = {
    "classifier": "classification",
    "classify": "classification",
    "regressor": "regression",
    "clusterer": "clustering",
    "cluster": "clustering",
    "forecasting": "forecast",
    "forecaster": "forecast",
    "time series": "forecast",
    "timeseries": "forecast",
}
ARTIFACT_SPELLINGS = {"environment": "env", "requirements": "env", "dataset": "data", "script": "code"}
ALIAS = re.compile(r"[a-z][a-z0-9_-]{0,63}")
RESERVED_ALIASES = ("latest",)  # a deployment may follow "latest" (the newest version); nobody sets it
MAX_TAGS, MAX_TAG = 50, 64
MAX_SKIP = 1_000_000_000  # listings page within this (a database OFFSET overflows far above)
METADATA_FIELDS = tuple(f.name for f in fields(ModelMetadata) if f.name != "training_placement")
DRIFT_BOUNDS = {"every": (1, 1_000_000), "window": (10, 100_000), "share": (0.01, 1.0)}


def _refuse(message: str, field: str, value: Any = None) -> InvalidInput:
    return InvalidInput(message, [Problem(message, field=field, value=None if value is None else str(value)[:80])])


def model_name(name: Any) -> str:
    text = str(name or "").strip()
    if not 1 <= len(text) <= 100 or not text.isprintable():
        raise _refuse("A model name has 1 to 100 printable characters.", "name", name)
    return text


def model_kind(kind: Any) -> str:
    """The kind in its registry spelling (the seed writes "Regressor", "classifier" ...)."""
    text = str(kind or "").strip().casefold()
    text = KIND_SPELLINGS.get(text, text)
    if text not in MODEL_KINDS:
        raise _refuse(f"The model kind must be one of {', '.join(MODEL_KINDS)}.", "kind", kind)
    return text


def artifact_kind(kind: Any) -> str:
    text = str(kind or "").strip().casefold()
    text = ARTIFACT_SPELLINGS.get(text, text)
    if text not in ARTIFACT_KINDS:
        raise _refuse(f"The file kind must be one of {', '.join(ARTIFACT_KINDS)}.", "file_kind", kind)
    return text


def tags(values: Any) -> list[str]:
    """Tags stripped, without repeats (ignoring case), each 1–64 printable characters, at most 50."""
    if isinstance(values, str) or not isinstance(values, list | tuple):
        raise _refuse("Tags are a list of words.", "tags", values)
    out: dict[str, str] = {}
    for value in values:
        text = str(value).strip()
        if not 1 <= len(text) <= MAX_TAG or not text.isprintable():
            raise _refuse(f"A tag has 1 to {MAX_TAG} printable characters.", "tags", value)
        out.setdefault(text.casefold(), text)
    if len(out) > MAX_TAGS:
        raise _refuse(f"A model has at most {MAX_TAGS} tags.", "tags", len(out))
    return list(out.values())


def alias(name: Any) -> str:
    text = str(name or "").strip().casefold()
    if not ALIAS.fullmatch(text):
        raise _refuse(
            "An alias is 1 to 64 lower-case letters, digits, '-' or '_', starting with a letter (e.g. champion).",
            "alias",
            name,
        )
    if text in RESERVED_ALIASES:
        raise _refuse(f"'{text}' always means the newest version; choose another alias.", "alias", name)
    return text


def drift_method(value: Any) -> str:
    """A drift method by name, or by the seed's integer (0 auto, 1 test, 2 distance)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(DRIFT_METHODS):
        return DRIFT_METHODS[value]
    text = str(value).strip().casefold()
    if text not in DRIFT_METHODS:
        raise _refuse("The drift method is auto (0), test (1) or distance (2).", "drift_detection.method", value)
    return text


def _jsonable(value: Any) -> Any:
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else value


def metadata(changes: Mapping[str, Any], current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Stored metadata after ``changes`` (``ModelMetadata`` field names; values as the dataclass holds them or as
    plain dicts) over ``current``; refuses unknown fields, wrong shapes and out-of-range drift settings."""
    unknown = [name for name in changes if name not in METADATA_FIELDS]
    if unknown:
        raise InvalidInput(
            f"Unknown metadata field(s): {', '.join(unknown)}.", [Problem("unknown field", field=n) for n in unknown]
        )
    stored = dict(current or {})
    for name, value in changes.items():
        value = _jsonable(value)
        if name == "tags":
            value = tags(value)
        elif name in ("performance", "training_resources", "run_resources"):
            value = [_jsonable(item) for item in value or ()]
        elif name == "drift":
            value = _drift({**stored.get("drift", {}), **(value or {})})
        elif name == "features":
            value = [str(f).strip() for f in value or ()]
            if len(set(value)) != len(value) or not all(value):
                raise _refuse("Features are distinct, non-empty column names.", "featurelist")
        stored[name] = value
    try:
        ModelMetadata.from_dict(stored)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("Some metadata has the wrong shape.", details=str(exc)) from exc
    return stored


def _drift(values: dict[str, Any]) -> dict[str, Any]:
    values["method"] = drift_method(values.get("method", "auto"))
    values["enabled"] = bool(values.get("enabled", False))
    for name, (low, high) in DRIFT_BOUNDS.items():
        if name in values:
            number = values[name]
            if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
                raise _refuse(f"The drift setting {name} must be a number.", f"drift.{name}", number)
            if not low <= number <= high:
                raise _refuse(
                    f"The drift setting {name} must be between {low:g} and {high:g}.", f"drift.{name}", number
                )
    unknown = set(values) - {"enabled", "method", *DRIFT_BOUNDS}
    if unknown:
        raise _refuse(f"Unknown drift setting(s): {', '.join(sorted(unknown))}.", "drift")
    return values
