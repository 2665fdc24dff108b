"""Steps that combine or reshape: append and join another dataset, group and aggregate, pivot long ↔ wide."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.prep.sql import ROW, ident, text
from core.prep.steps import AGGREGATES, Frame, Step, _new_name, refuse

MAX_WIDE_COLUMNS = 1_000


def _other(step: Step, frame: Frame, dataset_id: str) -> tuple[str, dict[str, str]]:
    if dataset_id not in frame.others:
        raise refuse(step, "the other dataset does not exist", dataset_id)
    return frame.others[dataset_id]


@dataclass(frozen=True)
class Append(Step):
    """The rows of another dataset with the same columns, after these rows."""

    kind: ClassVar[str] = "append"
    dataset_id: str

    def sql(self, frame: Frame) -> str:
        relation, columns = _other(self, frame, self.dataset_id)
        missing = [c for c in frame.columns if c not in columns]
        extra = [c for c in columns if c not in frame.columns]
        if missing or extra:
            said = [
                f"it lacks {', '.join(map(repr, missing))}" if missing else "",
                f"it adds {', '.join(map(repr, extra))}" if extra else "",
            ]
            raise refuse(
                self, "the other dataset's columns differ: " + "; ".join(s for s in said if s), missing or extra
            )
        names = ", ".join(map(ident, frame.columns))
        first = f"SELECT {names}, {ident(ROW)} FROM {frame.relation}"
        offset = f"(SELECT coalesce(max({ident(ROW)}), 0) FROM {frame.relation})"
        second = f"SELECT {names}, {ident(ROW)} + {offset} AS {ident(ROW)} FROM {relation}"
        return f"{first} UNION ALL BY NAME {second}"


@dataclass(frozen=True)
class Join(Step):
    """Columns of another dataset on equal keys: ``inner`` keeps matched rows, ``left`` every row. The other
    dataset's columns with names already here get ``suffix``; the run reports rows whose keys found no match."""

    kind: ClassVar[str] = "join"
    dataset_id: str
    on: tuple[str, ...]
    how: str = "left"
    suffix: str = "_right"

    def keys(self, frame: Frame) -> tuple[str, dict[str, str]]:
        relation, columns = _other(self, frame, self.dataset_id)
        if self.how not in ("inner", "left"):
            raise refuse(self, f"{self.how!r} is not a join (inner or left)", self.how)
        if not self.on:
            raise refuse(self, "name the key column(s)")
        self.need(frame, *self.on)
        missing = [k for k in self.on if k not in columns]
        if missing:
            raise refuse(self, f"the other dataset has no column {', '.join(map(repr, missing))}", missing[0])
        return relation, columns

    def sql(self, frame: Frame) -> str:
        relation, columns = self.keys(frame)
        left = [f"l.{ident(n)} AS {ident(n)}" for n in frame.columns]
        right = []
        for name in columns:
            if name in self.on:
                continue
            out = f"{name}{self.suffix}" if name in frame.columns else name
            _new_name(self, frame, out)
            right.append(f"r.{ident(name)} AS {ident(out)}")
        condition = " AND ".join(f"l.{ident(k)} = r.{ident(k)}" for k in self.on)
        # One right row per key (its first): a join that multiplied rows would silently change the dataset.
        keys = ", ".join(ident(k) for k in self.on)
        first = f"SELECT * FROM {relation} QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY {ident(ROW)}) = 1"
        how = "INNER" if self.how == "inner" else "LEFT"
        items = ", ".join([*left, *right, f"l.{ident(ROW)} AS {ident(ROW)}"])
        return f"SELECT {items} FROM {frame.relation} l {how} JOIN ({first}) r ON {condition}"

    def unmatched_sql(self, frame: Frame) -> str:
        """Distinct keys of these rows that the other dataset lacks, with their row counts."""
        relation, _ = self.keys(frame)
        keys = ", ".join(f"l.{ident(k)}" for k in self.on)
        condition = " AND ".join(f"l.{ident(k)} = r.{ident(k)}" for k in self.on)
        return (
            f"SELECT {keys}, count(*) AS rows FROM {frame.relation} l ANTI JOIN {relation} r ON {condition} "
            f"GROUP BY ALL ORDER BY rows DESC"
        )


@dataclass(frozen=True)
class Aggregate(Step):
    """One row per group of ``by``: each (column, function, name) of ``aggregations``."""

    kind: ClassVar[str] = "aggregate"
    by: tuple[str, ...]
    aggregations: tuple[tuple[str, str, str], ...]

    def sql(self, frame: Frame) -> str:
        self.need(frame, *self.by)
        if not self.aggregations:
            raise refuse(self, "add at least one aggregation")
        items = [ident(b) for b in self.by]
        grouped = Frame(frame.relation, {b: frame.columns[b] for b in self.by})
        for column, function, name in self.aggregations:
            self.need(frame, column)
            if function not in AGGREGATES:
                raise refuse(self, f"{function!r} is not an aggregation ({', '.join(AGGREGATES)})", function)
            _new_name(self, grouped, name)
            grouped.columns[name] = ""
            items.append(f"{AGGREGATES[function].format(ident(column))} AS {ident(name)}")
        order = ", ".join(ident(b) for b in self.by) or "1"
        items.append(f"row_number() OVER (ORDER BY {order}) AS {ident(ROW)}")
        group = f"GROUP BY {', '.join(ident(b) for b in self.by)}" if self.by else ""
        return f"SELECT {', '.join(items)} FROM {frame.relation} {group}".strip()


@dataclass(frozen=True)
class PivotWider(Step):
    """Long → wide: one column per value of ``names_from`` holding ``values_from`` (its first per row of
    ``index``), e.g. one column per series."""

    kind: ClassVar[str] = "pivot_wider"
    index: tuple[str, ...]
    names_from: str
    values_from: str

    def sql(self, frame: Frame) -> str:
        self.need(frame, *self.index, self.names_from, self.values_from)
        if not self.index:
            raise refuse(self, "name the column(s) that identify a row (e.g. the date)")
        group = ", ".join(map(ident, self.index))
        pivot = (
            f"PIVOT (SELECT {group}, {ident(self.names_from)}, {ident(self.values_from)}, {ident(ROW)} "
            f"FROM {frame.relation}) ON {ident(self.names_from)} "
            f"USING first({ident(self.values_from)} ORDER BY {ident(ROW)}) GROUP BY {group}"
        )
        return f"SELECT *, row_number() OVER (ORDER BY {group}) AS {ident(ROW)} FROM ({pivot})"

    def width_sql(self, frame: Frame) -> str:
        return f"SELECT count(DISTINCT {ident(self.names_from)}) FROM {frame.relation}"


@dataclass(frozen=True)
class PivotLonger(Step):
    """Wide → long: the ``columns`` become rows of (``names_to``, ``values_to``) next to the other columns."""

    kind: ClassVar[str] = "pivot_longer"
    columns: tuple[str, ...]
    names_to: str = "series"
    values_to: str = "value"

    def sql(self, frame: Frame) -> str:
        self.need(frame, *self.columns)
        if not self.columns:
            raise refuse(self, "name the columns to turn into rows")
        kept = {n: t for n, t in frame.columns.items() if n not in self.columns}
        for name in (self.names_to, self.values_to):
            _new_name(self, Frame(frame.relation, kept), name)
        types = {frame.columns[c] for c in self.columns}
        value = "{}" if len(types) == 1 else "CAST({} AS VARCHAR)"  # mixed types meet as text, as a table would
        parts = [
            f"SELECT {', '.join([*map(ident, kept), f'{text(c)} AS {ident(self.names_to)}'])}, "
            f"{value.format(ident(c))} AS {ident(self.values_to)}, "
            f"{ident(ROW)} * {len(self.columns)} + {i} AS {ident(ROW)} FROM {frame.relation}"
            for i, c in enumerate(self.columns)
        ]
        return " UNION ALL ".join(parts)
