"""The recipe "Fix" proposes for a dataset: what its validation report and its text columns suggest.

- A text column whose values mostly read as dates (day-first when a first part is above 12, or as ISO) or as
  numbers (with a decimal comma or thousands separators) is cast; the values that do not convert become
  missing, and the rows holding them are dropped (a bad value in a column that is mostly dates is a bad row).
- A column the report found problems in (a required cell missing, a value of the wrong type, a date that does not
  parse — stored as missing) is filled when it is optional (median for numbers, most frequent value otherwise)
  and its bad rows are dropped when the template requires it.

The analyst reviews every step on the Prepare page before running it."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from core.datasets.conversion import is_text
from core.datasets.report import MISSING_REQUIRED, UNPARSEABLE_DATE, WRONG_TYPE, ValidationReport
from core.entities import ColumnSpec
from core.prep.recipe import Recipe
from core.prep.steps import Cast, Fill, Filter, Step

SHARE = 0.8  # of the non-missing values a cast must convert to be proposed
SAMPLE = 2_000
DAY_FIRST = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(\s+\d{1,2}:\d{2}(:\d{2})?)?\s*$")
ISO_DATE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?\s*$")
DECIMAL_COMMA = re.compile(r"^\s*[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?\s*$")
PLAIN_NUMBER = re.compile(r"^\s*[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?([eE][+-]?\d+)?\s*$")
CELL_PROBLEMS = (MISSING_REQUIRED, WRONG_TYPE, UNPARSEABLE_DATE)


def suggest(table: pa.Table, report: ValidationReport, template: Sequence[ColumnSpec] | None) -> Recipe:
    """The proposed steps, casts first, then fills, then row filters."""
    casts: list[Step] = []
    fills: list[Step] = []
    drops: list[str] = []
    declared_text = {spec.name for spec in template or () if spec.dtype in ("string", "category")}
    for name in table.column_names:
        column = table.column(name)
        if is_text(column.type) and name not in declared_text:  # codes such as '007' stay text
            cast = _cast(name, [v for v in column.slice(0, SAMPLE).to_pylist() if v is not None and v.strip()])
            if cast is not None:
                casts.append(cast)
                drops.append(name)
    required = {spec.name for spec in template or () if spec.required}
    bad = {p.column for p in report.problems if p.problem in CELL_PROBLEMS and p.column in table.column_names}
    bad.discard(None)
    for name in sorted({str(b) for b in bad} - set(drops), key=table.column_names.index):
        if name in required:
            drops.append(name)
            continue
        numeric = pa.types.is_integer(table.schema.field(name).type) or pa.types.is_floating(
            table.schema.field(name).type
        )
        if pc.count(table.column(name)).as_py():  # a column with no value has nothing to fill from
            fills.append(Fill(name, "median" if numeric else "mode"))
    filters = [Filter(" and ".join(f"{_ref(n)} is not null" for n in drops))] if drops else []
    return Recipe((*casts, *fills, *filters))


def _cast(name: str, values: list[str]) -> Cast | None:
    if not values:
        return None
    if _share(values, ISO_DATE) >= SHARE:
        return Cast(name, "datetime" if any(":" in v for v in values) else "date")
    if _share(values, DAY_FIRST) >= SHARE:
        return Cast(name, "datetime" if any(":" in v for v in values) else "date", day_first=True)
    if _share(values, PLAIN_NUMBER) >= SHARE:
        thousands = "," if any(re.search(r"\d,\d{3}\b", v) for v in values) else None
        return Cast(name, "float", thousands=thousands)
    if _share(values, DECIMAL_COMMA) >= SHARE and any("," in v for v in values):
        thousands = "." if any(re.search(r"\d\.\d{3}\b", v) for v in values) else None
        return Cast(name, "float", decimal_comma=True, thousands=thousands)
    return None


def _share(values: list[str], pattern: re.Pattern[str]) -> float:
    return sum(1 for v in values if pattern.match(v)) / len(values)


def _ref(name: str) -> str:
    """A column as the expression language names it (backticks, doubled inside)."""
    return "`" + name.replace("`", "``") + "`"
