"""The typed steps of a recipe. Each turns the previous step's rows (a relation with known columns) into one
SELECT; identifiers and literals are quoted by ``core.prep.sql``, expressions parsed by ``core.prep.expressions``.

Every step keeps the hidden ``ROW`` column, the order rows come out in (sort renumbers it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from core.errors import InvalidInput, Problem
from core.prep.expressions import parse
from core.prep.sql import ROW, Literal, ident, literal, text

CAST_TYPES = ("integer", "float", "string", "category", "boolean", "date", "datetime")
DAY_FIRST = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S")
TRUE_WORDS, FALSE_WORDS = ("true", "t", "yes", "y", "1"), ("false", "f", "no", "n", "0")
AGGREGATES = {
    "count": "count({})",
    "sum": "sum({})",
    "mean": "avg({})",
    "median": "median({})",
    "min": "min({})",
    "max": "max({})",
    "nunique": "count(DISTINCT {})",
    "first": "first({} ORDER BY " + ident(ROW) + ")",
    "last": "last({} ORDER BY " + ident(ROW) + ")",
}
DATE_PARTS = ("year", "quarter", "month", "day", "weekday", "dayofyear", "week", "hour")
NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "UTINYINT", "USMALLINT")


@dataclass(frozen=True)
class Frame:
    """What a step sees: the previous rows' relation, their columns (name → DuckDB type, in order, without ROW)
    and the other datasets it may name (dataset id → relation, columns)."""

    relation: str
    columns: dict[str, str]
    others: Mapping[str, tuple[str, dict[str, str]]] = field(default_factory=dict)


class StepError(InvalidInput):
    """A step that cannot apply, naming the column or expression at fault."""


def refuse(step: Step, message: str, value: object = None) -> StepError:
    return StepError(f"{step.label}: {message}", [Problem(message, field=step.kind, value=_short(value))])


def _short(value: object) -> str | None:
    return None if value is None else str(value)[:200]


@dataclass(frozen=True)
class Step:
    kind: ClassVar[str]
    # Steps that keep every row in place and convert nothing, and filters (whose rows are counted), become views
    # fused into the next stored step; the others are stored, so what they did is read without computing it
    # again. Consecutive casts are stored together, with a flag per cast (``core.prep.recipe``).
    stored: ClassVar[bool] = True
    enabled: bool = field(default=True, kw_only=True)

    @property
    def label(self) -> str:
        return self.kind.replace("_", " ").capitalize()

    def sql(self, frame: Frame) -> str:
        raise NotImplementedError

    def need(self, frame: Frame, *names: str) -> None:
        unknown = [n for n in names if n not in frame.columns]
        if unknown:
            raise refuse(self, f"unknown column {', '.join(map(repr, unknown))}", ", ".join(unknown))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **{f.name: getattr(self, f.name) for f in fields(self)}}


def _select(frame: Frame, columns: Mapping[str, str], tail: str = "") -> str:
    """SELECT of ``columns`` (name → SQL) plus ROW from the previous relation."""
    items = [f"{sql} AS {ident(name)}" for name, sql in columns.items()]
    return f"SELECT {', '.join([*items, ident(ROW)])} FROM {frame.relation} {tail}".strip()


def _same(frame: Frame) -> dict[str, str]:
    return {name: ident(name) for name in frame.columns}


def _new_name(step: Step, frame: Frame, name: str, *, replace: bool = False) -> None:
    if not name.strip() or len(name) > 255 or name.startswith("__") or name == ROW:
        raise refuse(step, f"{name!r} is not a usable column name (1–255 characters, not starting with '__')", name)
    if name in frame.columns and not replace:
        raise refuse(step, f"a column named {name!r} exists already", name)


@dataclass(frozen=True)
class Cast(Step):
    """A column to another type; values that do not convert become missing (the run counts them)."""

    kind: ClassVar[str] = "cast"
    column: str
    to: str
    date_format: str | None = None  # strptime format, e.g. %d/%m/%Y
    day_first: bool = False
    decimal_comma: bool = False
    thousands: str | None = None  # the thousands separator to remove: "," "." " " or "'"

    def conversion(self, frame: Frame) -> str:
        self.need(frame, self.column)
        if self.to not in CAST_TYPES:
            raise refuse(self, f"{self.to!r} is not a type (one of {', '.join(CAST_TYPES)})", self.to)
        if self.thousands not in (None, ",", ".", " ", "'"):
            raise refuse(self, "the thousands separator must be one of , . space or '", self.thousands)
        source, is_text = ident(self.column), frame.columns[self.column] == "VARCHAR"
        value = f"trim({source})" if is_text else source
        if self.to in ("integer", "float"):
            if is_text and self.thousands:
                value = f"replace({value}, {text(self.thousands)}, '')"
            if is_text and self.decimal_comma:
                value = f"replace({value}, ',', '.')"
            return f"TRY_CAST({value} AS {'DOUBLE' if self.to == 'float' else 'BIGINT'})"
        if self.to in ("string", "category"):
            return f"CAST({source} AS VARCHAR)"
        if self.to == "boolean":
            lowered = f"lower(CAST({value} AS VARCHAR))"
            words = ", ".join(map(text, TRUE_WORDS)), ", ".join(map(text, FALSE_WORDS))
            return f"CASE WHEN {lowered} IN ({words[0]}) THEN TRUE WHEN {lowered} IN ({words[1]}) THEN FALSE END"
        target = "DATE" if self.to == "date" else "TIMESTAMP"
        formats = (self.date_format,) if self.date_format else DAY_FIRST if self.day_first else ()
        if not is_text or not formats:
            return f"TRY_CAST({value} AS {target})"
        tries = ", ".join(f"try_strptime({value}, {text(f)})" for f in formats)
        return f"CAST(coalesce({tries}, NULL) AS {target})"

    def sql(self, frame: Frame) -> str:
        return _select(frame, _same(frame) | {self.column: self.conversion(frame)})


@dataclass(frozen=True)
class Rename(Step):
    kind: ClassVar[str] = "rename"
    stored: ClassVar[bool] = False
    mapping: dict[str, str]

    def sql(self, frame: Frame) -> str:
        self.need(frame, *self.mapping)
        names = [self.mapping.get(n, n) for n in frame.columns]
        for new in self.mapping.values():
            _new_name(self, Frame(frame.relation, {}), new)
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise refuse(self, f"two columns would be named {', '.join(map(repr, duplicated))}", duplicated[0])
        return _select(frame, {self.mapping.get(n, n): ident(n) for n in frame.columns})


@dataclass(frozen=True)
class Drop(Step):
    kind: ClassVar[str] = "drop"
    stored: ClassVar[bool] = False
    columns: tuple[str, ...]

    def sql(self, frame: Frame) -> str:
        self.need(frame, *self.columns)
        kept = {n: s for n, s in _same(frame).items() if n not in self.columns}
        if not kept:
            raise refuse(self, "every column would be dropped")
        return _select(frame, kept)


@dataclass(frozen=True)
class Reorder(Step):
    """The named columns first, in this order, then the others as they were."""

    kind: ClassVar[str] = "reorder"
    stored: ClassVar[bool] = False
    columns: tuple[str, ...]

    def sql(self, frame: Frame) -> str:
        self.need(frame, *self.columns)
        order = [*dict.fromkeys(self.columns), *(n for n in frame.columns if n not in self.columns)]
        return _select(frame, {n: ident(n) for n in order})


@dataclass(frozen=True)
class Filter(Step):
    """Keep the rows where ``condition`` (the expression language) is true."""

    kind: ClassVar[str] = "filter"
    stored: ClassVar[bool] = False  # a view: its rows are counted, then fused into the next stored step
    condition: str

    def sql(self, frame: Frame) -> str:
        parsed = _parse(self, self.condition, frame)
        return _select(frame, _same(frame), f"WHERE coalesce({parsed}, FALSE)")


def _parse(step: Step, expression: str, frame: Frame) -> str:
    try:
        return parse(expression, frame.columns).sql
    except InvalidInput as error:
        raise refuse(step, f"{error.message} (in {expression[:80]!r})", expression) from None


@dataclass(frozen=True)
class Fill(Step):
    """Missing values of ``column``: a constant, the column's mean / median / mode, or the last value before it
    (``forward``, within each series of ``by``)."""

    kind: ClassVar[str] = "fill"
    stored: ClassVar[bool] = False
    column: str
    method: str  # constant | mean | median | mode | forward
    value: Literal = None
    by: tuple[str, ...] = ()

    def sql(self, frame: Frame) -> str:
        self.need(frame, self.column, *self.by)
        column, numeric = ident(self.column), frame.columns[self.column].split("(")[0] in (*NUMERIC, "DECIMAL")
        if self.method == "constant":
            if self.value is None:
                raise refuse(self, "give the value to fill in")
            filler = f"TRY_CAST({literal(self.value)} AS {frame.columns[self.column]})"
        elif self.method in ("mean", "median") and not numeric:
            raise refuse(self, f"{self.method} needs a numeric column; {self.column!r} is not", self.column)
        elif self.method in ("mean", "median", "mode"):
            filler = f"CAST(({self.learned_sql(frame)}) AS {frame.columns[self.column]})"  # once, not per row
        elif self.method == "forward":
            partition = f"PARTITION BY {', '.join(map(ident, self.by))} " if self.by else ""
            window = f"{partition}ORDER BY {ident(ROW)} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
            filler = f"last_value({column} IGNORE NULLS) OVER ({window})"
        else:
            raise refuse(self, f"{self.method!r} is not a method (constant, mean, median, mode, forward)", self.method)
        return _select(frame, _same(frame) | {self.column: f"coalesce({column}, {filler})"})

    def learned_sql(self, frame: Frame) -> str:
        """The value a mean / median / mode fill puts in: a replay fills new rows with this training value."""
        aggregate = {"mean": "avg", "median": "median", "mode": "mode"}[self.method]
        return f"SELECT {aggregate}({ident(self.column)}) FROM {frame.relation}"


@dataclass(frozen=True)
class Replace(Step):
    """Values of a text column mapped to others (categories merged by mapping several to one)."""

    kind: ClassVar[str] = "replace"
    stored: ClassVar[bool] = False
    column: str
    mapping: dict[str, str | None]

    def sql(self, frame: Frame) -> str:
        self.need(frame, self.column)
        if frame.columns[self.column] != "VARCHAR":
            raise refuse(self, f"{self.column!r} is not a text column: cast it first", self.column)
        if not self.mapping:
            raise refuse(self, "give at least one value to replace")
        column = ident(self.column)
        cases = " ".join(f"WHEN {column} = {text(old)} THEN {literal(new)}" for old, new in self.mapping.items())
        return _select(frame, _same(frame) | {self.column: f"CASE {cases} ELSE {column} END"})


@dataclass(frozen=True)
class MergeRare(Step):
    """Categories holding less than ``min_share`` of the rows become ``other``. ``keep``: the categories a run on
    training data kept (set when a model replays the recipe: new rows are too few to count shares on)."""

    kind: ClassVar[str] = "merge_rare"
    stored: ClassVar[bool] = False
    column: str
    min_share: float = 0.01
    other: str = "Other"
    keep: tuple[str, ...] | None = None

    def sql(self, frame: Frame) -> str:
        self.need(frame, self.column)
        if not 0 < self.min_share < 1:
            raise refuse(self, "the share must be between 0 and 1", self.min_share)
        column, share = ident(self.column), literal(float(self.min_share))
        if self.keep is not None:
            value = f"CAST({column} AS VARCHAR)"
            kept = ", ".join(map(text, self.keep)) or "NULL"
            merged = f"CASE WHEN {column} IS NULL OR {value} IN ({kept}) THEN {value} ELSE {text(self.other)} END"
            return _select(frame, _same(frame) | {self.column: merged})
        total = f"(SELECT count(*) FROM {frame.relation})"
        rare = f"SELECT {column} FROM {frame.relation} GROUP BY {column} HAVING count(*) < {share} * {total}"
        merged = f"CASE WHEN {column} IN ({rare}) THEN {text(self.other)} ELSE CAST({column} AS VARCHAR) END"
        return _select(frame, _same(frame) | {self.column: merged})


@dataclass(frozen=True)
class Derive(Step):
    """A new column (or a replaced one) computed by an expression of the language."""

    kind: ClassVar[str] = "derive"
    stored: ClassVar[bool] = False
    name: str
    expression: str
    replace: bool = False

    def sql(self, frame: Frame) -> str:
        _new_name(self, frame, self.name, replace=self.replace)
        return _select(frame, _same(frame) | {self.name: _parse(self, self.expression, frame)})


@dataclass(frozen=True)
class DateParts(Step):
    """Columns ``<column>_<part>`` for each part of a date or timestamp column."""

    kind: ClassVar[str] = "date_parts"
    stored: ClassVar[bool] = False
    column: str
    parts: tuple[str, ...] = ("year", "month", "day", "weekday")

    def sql(self, frame: Frame) -> str:
        self.need(frame, self.column)
        if frame.columns[self.column] not in ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE"):
            raise refuse(self, f"{self.column!r} is not a date column: cast it to a date first", self.column)
        unknown = [p for p in self.parts if p not in DATE_PARTS]
        if unknown or not self.parts:
            raise refuse(self, f"parts are among {', '.join(DATE_PARTS)}", ", ".join(unknown))
        added = {}
        for part in self.parts:
            _new_name(self, frame, f"{self.column}_{part}")
            function = {"weekday": "isodow"}.get(part, part)
            added[f"{self.column}_{part}"] = f"{function}({ident(self.column)})"
        return _select(frame, _same(frame) | added)


@dataclass(frozen=True)
class Deduplicate(Step):
    """Keep the first row of each group of rows equal on ``columns`` (all columns when empty)."""

    kind: ClassVar[str] = "deduplicate"
    columns: tuple[str, ...] = ()

    def sql(self, frame: Frame) -> str:
        self.need(frame, *self.columns)
        keys = ", ".join(map(ident, self.columns or tuple(frame.columns)))
        tail = f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY {ident(ROW)}) = 1"
        return _select(frame, _same(frame), tail)


@dataclass(frozen=True)
class Sort(Step):
    kind: ClassVar[str] = "sort"
    stored: ClassVar[bool] = False
    columns: tuple[str, ...]
    descending: bool = False

    def sql(self, frame: Frame) -> str:
        self.need(frame, *self.columns)
        if not self.columns:
            raise refuse(self, "name at least one column to sort by")
        direction = "DESC" if self.descending else "ASC"
        order = ", ".join(f"{ident(c)} {direction} NULLS LAST" for c in self.columns)
        items = [f"{sql} AS {ident(n)}" for n, sql in _same(frame).items()]
        renumbered = f"row_number() OVER (ORDER BY {order}, {ident(ROW)}) AS {ident(ROW)}"
        return f"SELECT {', '.join([*items, renumbered])} FROM {frame.relation}"


@dataclass(frozen=True)
class Sample(Step):
    """``rows`` rows drawn at random (the same ones for the same ``seed``), in their original order."""

    kind: ClassVar[str] = "sample"
    rows: int
    seed: int = 0

    def sql(self, frame: Frame) -> str:
        if not 1 <= self.rows <= 100_000_000:
            raise refuse(self, "the number of rows must be between 1 and 100,000,000", self.rows)
        drawn = f"ORDER BY hash({ident(ROW)}, {literal(int(self.seed))}) LIMIT {literal(int(self.rows))}"
        return _select(frame, _same(frame), drawn)
