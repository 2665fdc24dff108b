"""Recipes: an ordered list of typed steps, kept as JSON, run on Arrow tables with DuckDB.

Each enabled step is one SELECT over the previous one: a temporary table when it reshapes or combines rows (so the
run can report what it did — rows in and out, keys a join did not find — without computing it again), a view
otherwise (a filter's rows are counted on its view). Consecutive casts convert in one stored pass that flags each
value a cast could not convert. A broken step is named by its number. DuckDB runs with external access
disabled: a query can read only the tables registered here."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from core.errors import InvalidInput, Problem
from core.prep.combine import MAX_WIDE_COLUMNS, Aggregate, Append, Join, PivotLonger, PivotWider
from core.prep.sql import ROW, ident, literal, text
from core.prep.steps import (
    Cast,
    DateParts,
    Deduplicate,
    Derive,
    Drop,
    Fill,
    Filter,
    Frame,
    MergeRare,
    Rename,
    Reorder,
    Replace,
    Sample,
    Sort,
    Step,
    StepError,
)

STEPS: dict[str, type[Step]] = {
    s.kind: s
    for s in (
        Cast, Rename, Drop, Reorder, Filter, Fill, Replace, MergeRare, Derive, DateParts, Deduplicate, Sort,
        Sample, Append, Join, Aggregate, PivotWider, PivotLonger,
    )
}  # fmt: skip
MAX_STEPS = 100
FORMAT_VERSION = 1
MAX_SHOWN = 200  # characters of a value a report quotes
BLANK = " \t\n\r\x0b\x0c"  # what a blank text is made of (spaces, tabs, line breaks): missing, not unreadable


@dataclass(frozen=True)
class Recipe:
    steps: tuple[Step, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"version": FORMAT_VERSION, "steps": [step.to_dict() for step in self.steps]}

    @classmethod
    def from_dict(cls, data: Any) -> Recipe:
        """A recipe from its JSON form; every shape problem is named with the step's number."""
        if not isinstance(data, Mapping) or not isinstance(data.get("steps"), list):
            raise InvalidInput('A recipe is an object with a "steps" list.')
        if len(data["steps"]) > MAX_STEPS:
            raise InvalidInput(f"A recipe has at most {MAX_STEPS} steps.")
        return cls(tuple(step_from_dict(step, number) for number, step in enumerate(data["steps"], 1)))

    @property
    def datasets(self) -> list[str]:
        """The other datasets the steps append or join, in order."""
        return list(dict.fromkeys(s.dataset_id for s in self.steps if isinstance(s, Append | Join)))


def step_from_dict(data: Any, number: int) -> Step:
    where = f"Step {number}"
    if not isinstance(data, Mapping) or data.get("kind") not in STEPS:
        kind = data.get("kind") if isinstance(data, Mapping) else None
        raise InvalidInput(f"{where}: unknown kind {kind!r} (one of {', '.join(STEPS)}).", [_at(number, kind)])
    step_type = STEPS[data["kind"]]
    known = {f.name: f for f in fields(step_type)}
    unknown = sorted(set(data) - set(known) - {"kind"})
    if unknown:
        raise InvalidInput(f"{where} ({data['kind']}): unknown field(s) {', '.join(unknown)}.", [_at(number, unknown)])
    values = {name: _frozen(value) for name, value in data.items() if name != "kind"}
    try:
        return step_type(**values)
    except TypeError as error:
        raise InvalidInput(f"{where} ({data['kind']}): {error}.", [_at(number, data["kind"])]) from None


def _at(number: int, value: object) -> Problem:
    return Problem("unusable step", field=f"step {number}", value=None if value is None else str(value)[:200])


def _frozen(value: Any) -> Any:
    """JSON lists as tuples (steps are immutable); objects stay dicts."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


@dataclass(frozen=True)
class StepReport:
    """What one step did. ``failed``: values a cast could not read, which became missing (a blank text was
    missing already: not one), and ``first_failed`` the first of them in row order, as text (at most
    ``MAX_SHOWN`` characters); ``unmatched``: a join's keys that found no row (first 20, with counts) and
    ``unmatched_rows`` in all; ``learned``: what the step took from these rows — a mean / median / mode fill's
    value, the categories a rare-category merge kept — which a model's replay of the recipe on new rows uses as it
    is."""

    number: int
    kind: str
    enabled: bool
    rows_in: int
    rows_out: int
    columns: tuple[str, ...]
    failed: int = 0
    first_failed: str | None = None
    unmatched: tuple[dict[str, Any], ...] = ()
    unmatched_rows: int = 0
    learned: Any = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form (lineage rows, the API): unmatched keys as text."""
        return {
            **{f.name: getattr(self, f.name) for f in fields(self)},
            "columns": list(self.columns),
            "unmatched": [{k: str(v) for k, v in row.items()} for row in self.unmatched],
        }


@dataclass(frozen=True)
class Prepared:
    table: pa.Table
    reports: tuple[StepReport, ...]
    categories: tuple[str, ...]  # columns a step cast to category that still exist


Progress = Callable[[float, str], None]


def run(
    recipe: Recipe,
    source: pa.Table,
    others: Mapping[str, pa.Table] | None = None,
    *,
    until: int | None = None,
    progress: Progress | None = None,
    row_ids: bool = False,
) -> Prepared:
    """Apply the enabled steps (the first ``until`` of them when given) to ``source``; ``others``: the tables of
    the datasets that append and join steps name, by id. ``row_ids`` keeps the hidden row number (``ROW``: the
    source row a row came from), so a preview can show the rows a step removed or changed. StepError names the
    step at fault."""
    steps = recipe.steps[:until] if until is not None else recipe.steps
    with duckdb.connect(config={"enable_external_access": False}) as con:
        frame = Frame("s0", _register(con, "s0", source), {})
        others_frames = {
            key: (f"o{i}", _register(con, f"o{i}", table)) for i, (key, table) in enumerate((others or {}).items())
        }
        frame = Frame(frame.relation, frame.columns, others_frames)
        rows = _count(con, "s0")
        reports: list[StepReport] = []
        while len(reports) < len(steps):
            number, step = len(reports) + 1, steps[len(reports)]
            if progress:
                progress((number - 1) / max(len(steps), 1), f"step {number} of {len(steps)}: {step.label}")
            if not step.enabled:
                reports.append(StepReport(number, step.kind, False, rows, rows, tuple(frame.columns)))
            elif isinstance(step, Cast):
                frame, done = _apply_casts(con, _cast_run(steps, number), frame, rows)
                reports.extend(done)
            else:
                frame, report = _apply(con, step, frame, number, rows)
                rows = report.rows_out
                reports.append(report)
        columns = "*" if row_ids else f"* EXCLUDE ({ident(ROW)})"
        table = con.sql(f"SELECT {columns} FROM {frame.relation} ORDER BY {ident(ROW)}").to_arrow_table()
    casts = [s.column for s in steps if isinstance(s, Cast) and s.enabled and s.to == "category"]
    return Prepared(table, tuple(reports), tuple(c for c in dict.fromkeys(casts) if c in table.column_names))


def _register(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> dict[str, str]:
    if ROW in table.column_names:
        raise InvalidInput(f"The column name {ROW!r} is reserved for the recipe engine.")
    numbered = table.append_column(ROW, pa.array(np.arange(table.num_rows, dtype=np.int64)))
    con.register(name, numbered)  # read in place: copying it into DuckDB first would cost a pass
    return _columns(con, name)


def _rows(con: duckdb.DuckDBPyConnection, query: str) -> list[tuple[Any, ...]]:
    """Run ``query`` to the end (DuckDB refuses the next statement while a result is unread)."""
    return con.execute(query).fetchall()


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    return {row[0]: row[1] for row in _rows(con, f"DESCRIBE {relation}") if row[0] != ROW}


def _count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    return int(_rows(con, f"SELECT count(*) FROM {relation}")[0][0])


def _cast_run(steps: Sequence[Step], number: int) -> list[tuple[int, Cast]]:
    """The enabled casts from step ``number`` on, of distinct columns: converted in one pass over the rows."""
    run: list[tuple[int, Cast]] = []
    for offset, step in enumerate(steps[number - 1 :]):
        if not isinstance(step, Cast) or not step.enabled or step.column in {c.column for _, c in run}:
            break
        run.append((number + offset, step))
    return run


def _apply_casts(
    con: duckdb.DuckDBPyConnection, casts: list[tuple[int, Cast]], frame: Frame, rows: int
) -> tuple[Frame, list[StepReport]]:
    """Consecutive casts as one stored table with a flag per cast (a value there before, not blank, missing
    after), so their failures are counted from the flags without reading the text again or storing a copy per
    cast; the first failure of each is then looked up by its row number (one pass, only when a cast failed)."""
    converted = {}
    for number, cast in casts:
        try:
            converted[cast.column] = cast.conversion(frame)
        except StepError as error:
            raise StepError(f"Step {number} — {error.message}", error.problems) from None
    new = {column: f"{ROW}_new_{i}" for i, column in enumerate(converted)}
    failed = {column: f"{name}_failed" for column, name in new.items()}
    inner = f"SELECT *, {', '.join(f'{sql} AS {ident(new[c])}' for c, sql in converted.items())} FROM {frame.relation}"
    items = [f"{ident(new[c])} AS {ident(c)}" if c in new else ident(c) for c in frame.columns]
    flags = [f"({_unread(frame, c, n)}) AS {ident(failed[c])}" for c, n in new.items()]
    counted = [f"count_if({ident(f)}), min({ident(ROW)}) FILTER (WHERE {ident(f)})" for f in failed.values()]
    relation = f"s{casts[0][0]}"
    try:
        _rows(con, f"CREATE TEMP TABLE {relation}_c AS SELECT {', '.join([*items, ident(ROW), *flags])} FROM ({inner})")
        found = _rows(con, f"SELECT {', '.join(counted)} FROM {relation}_c")[0]
        _rows(con, f"CREATE TEMP VIEW {relation} AS SELECT * EXCLUDE ({', '.join(map(ident, failed.values()))}) "
              f"FROM {relation}_c")  # fmt: skip
        counts, firsts = found[0::2], dict(zip(converted, found[1::2], strict=True))
        examples = _values_at(con, frame.relation, {c: row for c, row in firsts.items() if row is not None})
    except duckdb.Error as error:
        message = str(error).splitlines()[0].split(": ", 1)[-1]
        number = casts[0][0]
        raise StepError(f"Step {number} — Cast: {message}", [Problem(message, field=f"step {number}")]) from None
    after = Frame(relation, _columns(con, relation), frame.others)
    columns = tuple(after.columns)
    reports = [
        StepReport(number, cast.kind, True, rows, rows, columns, failed=int(n), first_failed=examples.get(cast.column))
        for (number, cast), n in zip(casts, counts, strict=True)
    ]
    return after, reports


def _unread(frame: Frame, column: str, converted: str) -> str:
    """SQL true where a cast of ``column`` (to ``converted``) could not read a value: there, not blank, missing
    after."""
    read = f"{ident(column)} IS NOT NULL AND {ident(converted)} IS NULL"
    return f"{read} AND trim({ident(column)}, {text(BLANK)}) <> ''" if frame.columns[column] == "VARCHAR" else read


def _values_at(con: duckdb.DuckDBPyConnection, relation: str, rows: Mapping[str, int]) -> dict[str, str]:
    """The value of each column at its row number in ``relation``, as text (at most ``MAX_SHOWN`` characters)."""
    if not rows:
        return {}
    picks = [
        f"max(CASE WHEN {ident(ROW)} = {int(row)} THEN left(CAST({ident(c)} AS VARCHAR), {MAX_SHOWN}) END)"
        for c, row in rows.items()
    ]
    where = f"{ident(ROW)} IN ({', '.join(str(int(row)) for row in rows.values())})"
    values = _rows(con, f"SELECT {', '.join(picks)} FROM {relation} WHERE {where}")[0]
    return {c: str(v) for c, v in zip(rows, values, strict=True) if v is not None}


def _apply(
    con: duckdb.DuckDBPyConnection, step: Step, frame: Frame, number: int, rows_in: int
) -> tuple[Frame, StepReport]:
    relation = f"s{number}"
    try:
        query = step.sql(frame)
        if isinstance(step, PivotWider):
            width = int(_rows(con, step.width_sql(frame))[0][0])
            if width > MAX_WIDE_COLUMNS:
                limit = f"{width:,} distinct values would make as many columns (at most {MAX_WIDE_COLUMNS:,})"
                raise StepError(f"{step.label}: {limit}.")
        _rows(con, f"CREATE TEMP {'TABLE' if step.stored else 'VIEW'} {relation} AS {query}")
        extra = _details(con, step, frame, relation)
    except StepError as error:
        raise StepError(f"Step {number} — {error.message}", error.problems) from None
    except duckdb.Error as error:
        message = str(error).splitlines()[0].split(": ", 1)[-1]
        raise StepError(
            f"Step {number} — {step.label}: {message}", [Problem(message, field=f"step {number}")]
        ) from None
    after = Frame(relation, _columns(con, relation), frame.others)
    rows_out = _count(con, relation) if step.stored or isinstance(step, Filter) else rows_in
    report = StepReport(number, step.kind, True, rows_in, rows_out, tuple(after.columns), **extra)
    return after, report


def _details(con: duckdb.DuckDBPyConnection, step: Step, frame: Frame, relation: str) -> dict[str, Any]:
    if isinstance(step, Join):
        keys = _rows(con, step.unmatched_sql(frame))
        names = [*step.on, "rows"]
        return {
            "unmatched": tuple(dict(zip(names, row, strict=True)) for row in keys[:20]),
            "unmatched_rows": int(sum(row[-1] for row in keys)),
        }
    if isinstance(step, Fill) and step.method in ("mean", "median", "mode"):
        return {"learned": _plain(_rows(con, step.learned_sql(frame))[0][0])}
    if isinstance(step, MergeRare) and step.keep is None:  # read from the step's input, a stored table
        column, total = ident(step.column), f"(SELECT count(*) FROM {frame.relation})"
        kept = _rows(
            con,
            f"SELECT CAST({column} AS VARCHAR) FROM {frame.relation} WHERE {column} IS NOT NULL GROUP BY {column} "
            f"HAVING count(*) >= {literal(float(step.min_share))} * {total}",
        )
        return {"learned": sorted(str(row[0]) for row in kept)}
    return {}


def _plain(value: Any) -> Any:
    """A value DuckDB returned as JSON can keep it (decimals as floats; dates and times as ISO text)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def preview(
    recipe: Recipe, source: pa.Table, others: Mapping[str, pa.Table] | None = None, *, sample_rows: int = 50_000
) -> Prepared:
    """The recipe on the first ``sample_rows`` rows of ``source`` (others whole): what the Prepare page shows."""
    return run(recipe, source.slice(0, sample_rows), others)
