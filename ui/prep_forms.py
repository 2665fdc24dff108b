"""The Prepare page's step editor: one small form per step kind (widgets in, the step's JSON out) and a sentence
describing each step, so analysts never write JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from core import EXPRESSION_FUNCTIONS, Dataset

Step = dict[str, Any]
KIND_LABELS = {
    "cast": "Change a column's type",
    "rename": "Rename columns",
    "drop": "Drop columns",
    "reorder": "Reorder columns",
    "filter": "Keep rows where …",
    "fill": "Fill missing values",
    "replace": "Replace values",
    "merge_rare": "Merge rare categories",
    "derive": "New column from an expression",
    "date_parts": "Date parts (year, month, …)",
    "deduplicate": "Remove duplicate rows",
    "sort": "Sort rows",
    "sample": "Sample rows",
    "append": "Append another dataset",
    "join": "Join another dataset",
    "aggregate": "Group and aggregate",
    "pivot_wider": "Pivot long → wide",
    "pivot_longer": "Pivot wide → long",
}
CAST_TYPES = ("integer", "float", "string", "category", "boolean", "date", "datetime")
AGGREGATES = ("count", "sum", "mean", "median", "min", "max", "nunique", "first", "last")
DATE_PARTS = ("year", "quarter", "month", "day", "weekday", "dayofyear", "week", "hour")


def describe(step: Step) -> str:
    """One line saying what a step does, as the step list shows it."""
    kind, s = step.get("kind", "?"), step
    cols = ", ".join(map(str, s.get("columns") or []))
    texts: dict[str, Callable[[], str]] = {
        "cast": lambda: (
            f"Cast {s['column']} to {s['to']}"
            + (" (day-first)" if s.get("day_first") else "")
            + (f" (format {s['date_format']})" if s.get("date_format") else "")
            + (" (decimal comma)" if s.get("decimal_comma") else "")
            + (f" (thousands '{s['thousands']}')" if s.get("thousands") else "")
        ),
        "rename": lambda: "Rename " + ", ".join(f"{a} → {b}" for a, b in dict(s.get("mapping") or {}).items()),
        "drop": lambda: f"Drop {cols}",
        "reorder": lambda: f"Order columns: {cols}",
        "filter": lambda: f"Keep rows where {s['condition']}",
        "fill": lambda: (
            f"Fill missing {s['column']} with "
            + (repr(s.get("value")) if s.get("method") == "constant" else f"the {s.get('method')}")
        ),
        "replace": lambda: (
            f"Replace in {s['column']}: " + ", ".join(f"{a} → {b}" for a, b in dict(s.get("mapping") or {}).items())
        ),
        "merge_rare": lambda: (
            f"Merge categories of {s['column']} under {s.get('min_share', 0.01):.0%} into '{s.get('other', 'Other')}'"
        ),
        "derive": lambda: f"{s['name']} = {s['expression']}",
        "date_parts": lambda: f"Date parts of {s['column']}: {', '.join(s.get('parts') or [])}",
        "deduplicate": lambda: f"Remove duplicate rows (on {cols or 'all columns'})",
        "sort": lambda: f"Sort by {cols}" + (" descending" if s.get("descending") else ""),
        "sample": lambda: f"Sample {s['rows']:,} rows (seed {s.get('seed', 0)})",
        "append": lambda: "Append the rows of another dataset",
        "join": lambda: f"{str(s.get('how', 'left')).capitalize()} join on {', '.join(s.get('on') or [])}",
        "aggregate": lambda: (
            f"Group by {', '.join(s.get('by') or []) or 'nothing'}: "
            + ", ".join(f"{n} = {f}({c})" for c, f, n in s.get("aggregations") or [])
        ),
        "pivot_wider": lambda: f"One column per {s['names_from']} holding {s['values_from']}",
        "pivot_longer": lambda: f"Columns {cols} to rows ({s.get('names_to')}, {s.get('values_to')})",
    }
    try:
        return texts[kind]() if kind in texts else kind
    except (KeyError, TypeError, ValueError):
        return kind


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _pairs(text: str) -> dict[str, str]:
    """``a=b, c=d`` → {"a": "b", "c": "d"} (what rename and replace take)."""
    pairs = (part.split("=", 1) for part in text.split(",") if "=" in part)
    return {a.strip(): b.strip() for a, b in pairs if a.strip()}


def step_form(kind: str, columns: list[str], others: list[Dataset], key: str) -> Step | None:
    """The widgets of one step kind; the step (JSON form) when every required field is filled, else None."""
    k = f"{key}_{kind}"
    pick = st.selectbox
    if kind == "cast":
        column = pick("Column", columns, key=f"{k}_column")
        to = pick("To", CAST_TYPES, key=f"{k}_to")
        step: Step = {"kind": kind, "column": column, "to": to}
        if to in ("date", "datetime"):
            step["day_first"] = st.checkbox("Day first (13/02/2024)", key=f"{k}_day_first")
            step["date_format"] = st.text_input("Or an exact format, e.g. %d.%m.%Y", key=f"{k}_format") or None
        if to in ("integer", "float"):
            step["decimal_comma"] = st.checkbox("Decimal comma (1,5)", key=f"{k}_comma")
            step["thousands"] = pick("Thousands separator", [None, ",", ".", " ", "'"], key=f"{k}_thousands")
        return step
    if kind in ("drop", "reorder", "deduplicate", "sort"):
        chosen = st.multiselect("Columns", columns, key=f"{k}_columns")
        step = {"kind": kind, "columns": chosen}
        if kind == "sort":
            step["descending"] = st.checkbox("Descending", key=f"{k}_desc")
        return step if chosen or kind == "deduplicate" else None
    if kind in ("rename", "replace"):
        where = {"column": pick("Column", columns, key=f"{k}_column")} if kind == "replace" else {}
        mapping = _pairs(st.text_input("Pairs: old=new, separated by commas", key=f"{k}_pairs"))
        return {"kind": kind, "mapping": mapping, **where} if mapping else None
    if kind in ("filter", "derive"):
        st.caption(
            "Columns by name (`any name` in backticks), numbers, 'text', + − * / %, = != < > <= >=, and / or / not, "
            f"is null; functions: {', '.join(sorted(EXPRESSION_FUNCTIONS))}."
        )
        if kind == "filter":
            condition = st.text_input("Condition, e.g. price > 0 and region != 'test'", key=f"{k}_condition")
            return {"kind": kind, "condition": condition} if condition.strip() else None
        name = st.text_input("New column", key=f"{k}_name")
        expression = st.text_input("Expression, e.g. price * quantity", key=f"{k}_expression")
        replace = name in columns and st.checkbox(f"Replace the existing column {name!r}", key=f"{k}_replace")
        return (
            {"kind": kind, "name": name, "expression": expression, "replace": replace} if name and expression else None
        )
    if kind == "fill":
        column = pick("Column", columns, key=f"{k}_column")
        method = pick("With", ["constant", "mean", "median", "mode", "forward"], key=f"{k}_method")
        step = {"kind": kind, "column": column, "method": method}
        if method == "constant":
            step["value"] = st.text_input("Value", key=f"{k}_value")
        if method == "forward":
            step["by"] = st.multiselect("Within each series of", columns, key=f"{k}_by")
        return step
    if kind == "merge_rare":
        column = pick("Column", columns, key=f"{k}_column")
        share = st.number_input("Under this share of rows", 0.001, 0.5, 0.01, format="%.3f", key=f"{k}_share")
        other = st.text_input("Merged into", "Other", key=f"{k}_other")
        return {"kind": kind, "column": column, "min_share": share, "other": other}
    if kind == "date_parts":
        column = pick("Date column", columns, key=f"{k}_column")
        parts = st.multiselect("Parts", DATE_PARTS, ["year", "month", "day", "weekday"], key=f"{k}_parts")
        return {"kind": kind, "column": column, "parts": parts} if parts else None
    if kind == "sample":
        rows = st.number_input("Rows", 1, 100_000_000, 1_000, key=f"{k}_rows")
        seed = st.number_input("Seed (the same seed draws the same rows)", 0, 2**31, 0, key=f"{k}_seed")
        return {"kind": kind, "rows": int(rows), "seed": int(seed)}
    if kind in ("append", "join"):
        by_id = {d.id: d.name for d in others}
        if not by_id:
            st.info("No other dataset to combine with.")
            return None
        other = pick("Other dataset", list(by_id), format_func=by_id.__getitem__, key=f"{k}_other")
        step = {"kind": kind, "dataset_id": other}
        if kind == "join":
            step["on"] = st.multiselect("Key column(s)", columns, key=f"{k}_on")
            step["how"] = pick("Keep", ["left", "inner"], format_func=_how, key=f"{k}_how")
            return step if step["on"] else None
        return step
    if kind == "aggregate":
        by = st.multiselect("Group by", columns, key=f"{k}_by")
        column = pick("Column", columns, key=f"{k}_column")
        function = pick("Function", AGGREGATES, key=f"{k}_function")
        name = st.text_input("Result column", f"{column}_{function}", key=f"{k}_name")
        return {"kind": kind, "by": by, "aggregations": [[column, function, name]]}
    if kind == "pivot_wider":
        index = st.multiselect("Row identified by (e.g. the date)", columns, key=f"{k}_index")
        names = pick("One column per value of", columns, key=f"{k}_names")
        values = pick("Holding", columns, key=f"{k}_values")
        return {"kind": kind, "index": index, "names_from": names, "values_from": values} if index else None
    if kind == "pivot_longer":
        chosen = st.multiselect("Columns to turn into rows", columns, key=f"{k}_columns")
        names_to = st.text_input("Name column", "series", key=f"{k}_names_to")
        values_to = st.text_input("Value column", "value", key=f"{k}_values_to")
        return {"kind": kind, "columns": chosen, "names_to": names_to, "values_to": values_to} if chosen else None
    return None


def _how(how: str) -> str:
    return {"left": "every row (left join)", "inner": "matched rows only (inner join)"}[how]
