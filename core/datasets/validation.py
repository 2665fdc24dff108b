"""Check a table against a template: apply types and defaults, find bad cells, say which rows are usable.

Everything is vectorized with pyarrow.compute: each column is converted once with a never-raising
converter and the failing cells are the values that were present before and null after.

Which problems make rows unusable:
- a cell problem ("missing required", "wrong type", "unparseable date") makes its row unusable;
- "missing column" makes every row unusable when the column is required and has no default
  (otherwise the column is added, filled with the default or left empty);
- "duplicate column name" makes every row unusable (no cell can be attributed to a column);
- "unknown column" is only reported; the column is kept as it was read.

Without a template, text columns whose every value is a date become dates (see
:func:`core.datasets.inference.infer_dates`); the report's notes say which date order was assumed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from core.datasets.conversion import ARROW_TYPES, convert, is_text, plain
from core.datasets.dates import format_pattern, numeric_order
from core.datasets.inference import infer_dates
from core.datasets.report import (
    DUPLICATE_COLUMN,
    MISSING_COLUMN,
    MISSING_REQUIRED,
    UNKNOWN_COLUMN,
    UNPARSEABLE_DATE,
    WRONG_TYPE,
    RowProblem,
    ValidationReport,
    display_value,
)
from core.entities import ColumnSpec
from core.errors import InvalidInput, Problem

MAX_STORED_PROBLEMS = 10_000


@dataclass(frozen=True)
class ValidationOutcome:
    """The typed table (template columns first, in template order, then unknown columns as read),
    which rows are usable, and the report."""

    table: pa.Table
    row_ok: pa.BooleanArray
    report: ValidationReport


def validate(
    table: pa.Table, columns: Sequence[ColumnSpec] | None = None, *, max_problems: int = MAX_STORED_PROBLEMS
) -> ValidationOutcome:
    """Validate ``table`` against the template ``columns`` (None or empty: structural checks only).

    Row numbers in the report are 1-based data rows (row 1 = first row under the header). At most
    ``max_problems`` cell problems are stored (the first by row); the counts are always complete.
    Raises InvalidInput only when the template itself is unusable (unknown type, a column named twice,
    a default that is not of its column's type).
    """
    if columns:
        _check_template(columns)
    found = _Problems(max_problems)
    shape = {"file_columns": table.num_columns, "template_columns": len(columns) if columns else None}
    duplicates = [name for name, n in Counter(table.column_names).items() if n > 1]
    if duplicates:
        for name in duplicates:
            found.whole_column(name, DUPLICATE_COLUMN)
        return _outcome(table, found, {}, unusable=[], every_row_bad=True, **shape)
    if not columns:
        typed, inferred = infer_dates(table)
        return _outcome(typed, found, {}, unusable=[], every_row_bad=False, notes=inferred, **shape)

    wanted = {spec.name for spec in columns}
    present = set(table.column_names)
    arrays: list[pa.ChunkedArray] = []
    unusable: list[pa.ChunkedArray] = []
    defaults_applied: dict[str, int] = {}
    notes: list[str] = []
    every_row_bad = False
    for spec in columns:
        target = "string" if spec.dtype == "category" else spec.dtype
        default = _default_scalar(spec, target)
        if spec.name not in present:
            found.whole_column(spec.name, MISSING_COLUMN, expected=_expected(spec))
            every_row_bad = every_row_bad or (spec.required and default is None)
            if default is not None:
                defaults_applied[spec.name] = table.num_rows
            values = pa.chunked_array([_constant(default, target, table.num_rows)])
        else:
            source = plain(table.column(spec.name))
            values = convert(source, target, spec.date_format)
            if target in ("date", "datetime") and not spec.date_format and is_text(source.type):
                order = numeric_order(source)
                notes += [order.note(spec.name)] if order else []
            if values.null_count > source.null_count:
                failed = pc.and_(pc.is_valid(source), pc.is_null(values))
                kind = UNPARSEABLE_DATE if target in ("date", "datetime") else WRONG_TYPE
                found.cells(spec.name, kind, failed, source, expected=_expected(spec))
                unusable.append(failed)
            if source.null_count:
                missing = pc.is_null(source)
                if default is not None:
                    values = pc.if_else(missing, default.cast(values.type), values)
                    defaults_applied[spec.name] = source.null_count
                elif spec.required:
                    found.cells(spec.name, MISSING_REQUIRED, missing, source)
                    unusable.append(missing)
        arrays.append(values.dictionary_encode() if spec.dtype == "category" else values)
    names = [spec.name for spec in columns]
    for name in table.column_names:
        if name not in wanted:
            found.whole_column(name, UNKNOWN_COLUMN)
            names.append(name)
            arrays.append(table.column(name))
    typed = pa.table(arrays, names=names)
    return _outcome(
        typed, found, defaults_applied, unusable=unusable, every_row_bad=every_row_bad, notes=notes, **shape
    )


def keep_valid(outcome: ValidationOutcome) -> pa.Table:
    """Only the usable rows of the typed table (what 'keep valid rows' stores)."""
    return outcome.table.filter(outcome.row_ok)


def _outcome(
    table: pa.Table,
    found: _Problems,
    defaults_applied: dict[str, int],
    *,
    unusable: list[pa.ChunkedArray],
    every_row_bad: bool,
    file_columns: int,
    template_columns: int | None,
    notes: Sequence[str] = (),
) -> ValidationOutcome:
    rows = table.num_rows
    if every_row_bad:
        row_ok = pa.repeat(pa.scalar(False), rows)
    elif unusable:
        bad = unusable[0]
        for mask in unusable[1:]:
            bad = pc.or_(bad, mask)
        row_ok = pc.invert(bad).combine_chunks()
    else:
        row_ok = pa.repeat(pa.scalar(True), rows)
    usable = pc.sum(row_ok).as_py() or 0
    problems, counts = found.collect()
    report = ValidationReport(
        rows=rows,
        columns=table.num_columns,
        problems=problems,
        problem_counts=counts,
        defaults_applied=defaults_applied,
        usable_rows=usable,
        file_columns=file_columns,
        template_columns=template_columns,
        notes=tuple(notes),
    )
    return ValidationOutcome(table=table, row_ok=row_ok, report=report)


def _check_template(columns: Sequence[ColumnSpec]) -> None:
    problems = [
        Problem(f"unknown type '{spec.dtype}'", field=spec.name, value=spec.dtype)
        for spec in columns
        if spec.dtype not in ARROW_TYPES
    ]
    for spec in columns:
        if spec.date_format and spec.dtype not in ("date", "datetime"):
            problems.append(Problem("a date format needs a date or datetime column", field=spec.name))
        elif spec.date_format:
            try:
                format_pattern(spec.date_format)
            except ValueError as exc:
                problems.append(Problem(f"date format: {exc}", field=spec.name, value=spec.date_format))
    problems += [
        Problem("column named twice in the template", field=name)
        for name, n in Counter(spec.name for spec in columns).items()
        if n > 1
    ]
    if problems:
        raise InvalidInput("The template is not valid.", problems)


def _default_scalar(spec: ColumnSpec, target: str) -> pa.Scalar | None:
    """The template default in the column's Arrow type; a default that does not fit is a template error."""
    if spec.default is None:
        return None
    text = str(spec.default).lower() if isinstance(spec.default, bool) else str(spec.default)
    converted = convert(plain(pa.chunked_array([pa.array([text])])), target)
    if converted.null_count:
        raise InvalidInput(
            f"The default value {spec.default!r} of column '{spec.name}' is not a valid {spec.dtype}.",
            [Problem("default value has the wrong type", field=spec.name, value=text)],
        )
    return converted[0]


def _expected(spec: ColumnSpec) -> str:
    """What a cell of ``spec`` must be, as the report says it: 'integer', 'date (%d/%m/%Y)'."""
    return f"{spec.dtype} ({spec.date_format})" if spec.date_format else spec.dtype


def _constant(value: pa.Scalar | None, target: str, rows: int) -> pa.Array:
    if value is None:
        return pa.nulls(rows, ARROW_TYPES[target])
    return pa.repeat(value, rows)


@dataclass
class _Problems:
    """Collects whole-column problems and cell masks; keeps the first ``limit`` cells by row."""

    limit: int
    columns: list[RowProblem] = field(default_factory=list)
    masks: list[tuple[str, str, pa.ChunkedArray, pa.ChunkedArray, str | None]] = field(default_factory=list)

    def whole_column(self, column: str, problem: str, expected: str | None = None) -> None:
        self.columns.append(RowProblem(row=None, column=column, value=None, problem=problem, expected=expected))

    def cells(
        self, column: str, problem: str, mask: pa.ChunkedArray, source: pa.ChunkedArray, expected: str | None = None
    ) -> None:
        self.masks.append((column, problem, mask, source, expected))

    def collect(self) -> tuple[tuple[RowProblem, ...], dict[str, int]]:
        counts = Counter(p.problem for p in self.columns)
        kept: list[tuple[int, int]] = []  # (row index, mask index), the first `limit` by row so far
        for i, (_, problem, mask, _, _) in enumerate(self.masks):
            counts[problem] += pc.sum(mask).as_py() or 0
            first = pc.indices_nonzero(mask).slice(0, self.limit).to_pylist()
            kept = sorted(kept + [(row, i) for row in first])[: self.limit]
        wanted: dict[int, list[int]] = {}
        for row, i in kept:
            wanted.setdefault(i, []).append(row)
        values: dict[tuple[int, int], Any] = {}
        for i, rows in wanted.items():
            taken = self.masks[i][3].take(pa.array(rows, pa.int64())).to_pylist()
            values.update(((row, i), value) for row, value in zip(rows, taken, strict=True))
        cells = [
            RowProblem(
                row=row + 1,
                column=self.masks[i][0],
                value=display_value(values[row, i]),
                problem=self.masks[i][1],
                expected=self.masks[i][4],
            )
            for row, i in kept
        ]
        return tuple(self.columns + cells), {kind: n for kind, n in counts.items() if n}
