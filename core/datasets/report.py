"""The validation report: what is wrong with a dataset, row by row, in a form the service can store as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any

import pandas as pd

MISSING_REQUIRED = "missing required"
WRONG_TYPE = "wrong type"
UNPARSEABLE_DATE = "unparseable date"
UNKNOWN_COLUMN = "unknown column"
MISSING_COLUMN = "missing column"
DUPLICATE_COLUMN = "duplicate column name"
PROBLEM_KINDS: tuple[str, ...] = (
    MISSING_REQUIRED,
    WRONG_TYPE,
    UNPARSEABLE_DATE,
    UNKNOWN_COLUMN,
    MISSING_COLUMN,
    DUPLICATE_COLUMN,
)


def display_value(value: Any) -> str | None:
    """A cell as a user would write it: ISO dates, round-tripping floats, None for missing."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return repr(value) if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class RowProblem:
    """One problem. ``row`` is the 1-based data row (header excluded), None for a whole-column problem;
    ``expected`` names the type (and date format) the template wanted, for type and missing-column problems."""

    row: int | None
    column: str | None
    value: str | None
    problem: str
    expected: str | None = None


@dataclass(frozen=True)
class ValidationReport:
    """Counts and the first problems of one validation.

    ``problems`` holds at most the first N problems (ordered by row, then column) so a million bad rows
    do not fill memory; ``problem_counts`` has the true totals per kind. Row numbers are 1-based data
    rows: row 1 is the first row under the header (spreadsheet row 2). ``columns`` counts the checked
    table's columns; ``file_columns`` those of the file and ``template_columns`` the template's (None
    without one). ``notes`` say how the data was read (e.g. which date order was assumed).
    """

    rows: int
    columns: int
    problems: tuple[RowProblem, ...] = ()
    problem_counts: dict[str, int] = field(default_factory=dict)
    defaults_applied: dict[str, int] = field(default_factory=dict)
    usable_rows: int = 0
    file_columns: int = 0
    template_columns: int | None = None
    notes: tuple[str, ...] = ()

    @property
    def usable_fraction(self) -> float:
        """Exactly ``usable_rows / rows`` (0.0 for a table without rows)."""
        return self.usable_rows / self.rows if self.rows else 0.0

    @property
    def total_problems(self) -> int:
        return sum(self.problem_counts.values())

    @property
    def truncated(self) -> bool:
        """True when more problems were found than ``problems`` holds."""
        return self.total_problems > len(self.problems)

    @property
    def ok(self) -> bool:
        """True when there is nothing to report at all."""
        return self.total_problems == 0

    def summary(self) -> dict[str, int]:
        """Count of problems per kind, every kind present (zeros included) for stable charts."""
        return {kind: self.problem_counts.get(kind, 0) for kind in PROBLEM_KINDS}

    def to_frame(self) -> pd.DataFrame:
        """The stored problems as a frame with columns row, column, value, problem, expected (row is nullable)."""
        frame = pd.DataFrame(
            [(p.row, p.column, p.value, p.problem, p.expected) for p in self.problems],
            columns=["row", "column", "value", "problem", "expected"],
        )
        frame["row"] = frame["row"].astype("Int64")
        return frame

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form; :meth:`from_dict` restores an equal report."""
        return {
            "rows": self.rows,
            "columns": self.columns,
            "problems": [[p.row, p.column, p.value, p.problem, p.expected] for p in self.problems],
            "problem_counts": dict(self.problem_counts),
            "defaults_applied": dict(self.defaults_applied),
            "usable_rows": self.usable_rows,
            "file_columns": self.file_columns,
            "template_columns": self.template_columns,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationReport:
        return cls(
            rows=int(data["rows"]),
            columns=int(data["columns"]),
            problems=tuple(RowProblem(*item) for item in data.get("problems", [])),
            problem_counts={str(k): int(v) for k, v in data.get("problem_counts", {}).items()},
            defaults_applied={str(k): int(v) for k, v in data.get("defaults_applied", {}).items()},
            usable_rows=int(data["usable_rows"]),
            file_columns=int(data.get("file_columns", data["columns"])),  # reports stored before the split
            template_columns=None if data.get("template_columns") is None else int(data["template_columns"]),
            notes=tuple(str(n) for n in data.get("notes", ())),
        )


def combine(reports: list[ValidationReport], names: list[str], max_problems: int = 10_000) -> ValidationReport:
    """One report for a dataset made of several files, in order: counts add up, row numbers continue from one
    file to the next (row 1 of the second file is the first file's rows + 1), notes name their file."""
    if len(reports) == 1:
        return reports[0]
    problems: list[RowProblem] = []
    counts: dict[str, int] = {}
    defaults: dict[str, int] = {}
    notes: list[str] = []
    offset = 0
    for report, name in zip(reports, names, strict=True):
        room = max_problems - len(problems)
        problems += [p if p.row is None else replace(p, row=p.row + offset) for p in report.problems[:room]]
        for kind, n in report.problem_counts.items():
            counts[kind] = counts.get(kind, 0) + n
        for column, n in report.defaults_applied.items():
            defaults[column] = defaults.get(column, 0) + n
        notes += [f"{name}: {note}" for note in report.notes]
        offset += report.rows
    return ValidationReport(
        rows=offset,
        columns=reports[0].columns,
        problems=tuple(problems),
        problem_counts=counts,
        defaults_applied=defaults,
        usable_rows=sum(r.usable_rows for r in reports),
        file_columns=max(r.file_columns for r in reports),
        template_columns=reports[0].template_columns,
        notes=tuple(notes),
    )
