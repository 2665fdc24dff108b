"""A recipe replayed on new rows: what a model trained on prepared data applies to raw input before scoring.

A replay keeps one output row per input row, so a prediction lines up with the row it scores: steps that choose
the training rows (filter, deduplicate, sort, sample, append) are left out, a join keeps every row (left), and
what a step learned from the training rows (a mean / median / mode fill's value, the categories a rare-category
merge kept) is used as it is — new rows are too few to learn it again, and a single case has no mean. A recipe
that aggregates or pivots makes rows that are not input rows: it cannot be replayed, and the model says so. A value
a cast cannot read becomes missing, as in the run; ``Replay.unread`` says which, so one case can be warned, and
``Replay.unreadable`` how many per column, from the run's reports alone, so a file can be."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from core.datasets.conversion import column_type
from core.errors import InvalidInput
from core.prep.combine import Aggregate, Append, Join, PivotLonger, PivotWider
from core.prep.recipe import Prepared, Recipe, StepReport, run
from core.prep.steps import Cast, Deduplicate, Drop, Fill, Filter, MergeRare, Rename, Sample, Sort, Step, StepError

CHOOSE_ROWS = (Filter, Deduplicate, Sort, Sample, Append)
RESHAPE = (Aggregate, PivotWider, PivotLonger)
READ_AS = {
    "integer": "a whole number",
    "float": "a number",
    "boolean": "yes or no",
    "date": "a date",
    "datetime": "a date and time",
}
SHOWN = 60  # characters of an unread value a message quotes


@dataclass(frozen=True)
class Unread:
    """A value of row ``row`` that a cast of the replay could not read as ``to``: it became missing. ``value``: the
    value the cast read, as text; ``filled``: what the column holds after the whole replay (None: still missing,
    or the column is no longer there — see ``kept``)."""

    row: int
    column: str
    to: str
    value: str
    filled: Any = None
    kept: bool = True

    @property
    def message(self) -> str:
        """One sentence naming the column and the value, and what the model then saw."""
        wanted = READ_AS.get(self.to, self.to)
        read = f"{self.column}: {self.value!r} could not be read as {wanted} by the recipe's cast"
        if not self.kept:
            return f"{read}; it became a missing value."
        if self.filled is not None:
            return f"{read}; it became missing, and the recipe filled it with {self.filled}."
        return f"{read}; it was scored as missing."


@dataclass(frozen=True)
class Unreadable:
    """The values of ``column`` that a cast of a replay could not read as ``to``, over many rows: ``count`` of them
    and the first in row order (``first``; None: not known); ``filled``: how a later step of the recipe filled them
    ("with 0.0"; None: it did not), ``kept``: whether the column is still there after the replay."""

    column: str
    to: str
    count: int
    first: str | None = None
    filled: str | None = None
    kept: bool = True

    @property
    def message(self) -> str:
        """One sentence naming the column, how many values, the first, and what the model then saw."""
        one = self.count == 1
        shown = "" if self.first is None else f" ({'' if one else 'first: '}{_shown(self.first)})"
        read = (
            f"{self.column}: {'1 value' if one else f'{self.count:,} values'} could not be read as "
            f"{READ_AS.get(self.to, self.to)} by the recipe's cast{shown}"
        )
        it = "it" if one else "they"
        if not self.kept:
            return f"{read}; {it} became {'a missing value' if one else 'missing values'}."
        if self.filled is not None:
            return f"{read}; {it} became missing, and the recipe filled {'it' if one else 'them'} {self.filled}."
        return f"{read}; {it} {'was' if one else 'were'} scored as missing."


def _shown(value: str) -> str:
    return repr(value if len(value) <= SHOWN else value[: SHOWN - 1] + "…")


@dataclass(frozen=True)
class Replay:
    """The steps to apply to raw rows, the columns they read (``source_columns``, product type names) and those
    they make (``output_columns``); ``skipped`` says which steps were left out and why; ``refused`` why the
    recipe cannot be replayed at all (then raw rows cannot be scored)."""

    recipe_id: str | None
    recipe_name: str
    steps: Recipe
    source_columns: dict[str, str]
    output_columns: dict[str, str]
    skipped: tuple[str, ...] = ()
    refused: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "recipe_id": self.recipe_id,
            "recipe_name": self.recipe_name,
            "steps": self.steps.to_dict(),
            "source_columns": dict(self.source_columns),
            "output_columns": dict(self.output_columns),
            "skipped": list(self.skipped),
            "refused": self.refused,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Replay:
        return cls(
            data.get("recipe_id"),
            str(data.get("recipe_name", "")),
            Recipe.from_dict(data["steps"]),
            dict(data.get("source_columns") or {}),
            dict(data.get("output_columns") or {}),
            tuple(data.get("skipped") or ()),
            data.get("refused"),
        )

    def needed(self, columns: Mapping[str, str], features: Sequence[str]) -> bool:
        """Whether rows with ``columns`` (name → product type, see ``types_of``) are raw: they lack a feature, or
        hold one in another type than the prepared data did. Rows already in the prepared shape are scored as
        they are."""
        for name in features:
            if name not in columns:
                return True
            prepared = self.output_columns.get(name)
            if prepared is not None and _kind(columns[name]) != _kind(prepared):
                return True
        return False

    def apply(self, table: pa.Table, others: Mapping[str, pa.Table], what: str) -> pa.Table:
        """The replayed steps on ``table`` (``others``: the tables joined, by dataset id); refused in one sentence
        naming ``what`` when the recipe cannot be replayed or a step does not apply to these rows."""
        return self.prepare(table, others, what).table

    def prepare(self, table: pa.Table, others: Mapping[str, pa.Table], what: str) -> Prepared:
        """``apply`` with what each step did (``reports``: a cast's ``failed`` values, for ``unread``)."""
        if self.refused:
            raise InvalidInput(f"{what} is not in the model's prepared shape, and {self.refused}.")
        try:
            return run(self.steps, table, others)
        except StepError as error:
            raise InvalidInput(
                f"{what} is neither in the model's prepared shape nor in the shape of the recipe "
                f"{self.recipe_name!r} ({', '.join(self.source_columns)}): {error.message}",
                error.problems,
            ) from None

    def unread(self, table: pa.Table, others: Mapping[str, pa.Table], prepared: Prepared) -> tuple[Unread, ...]:
        """The values of ``table`` that the casts of its replay ``prepared`` could not read, one per row and
        column (the first cast that failed on it); a value missing or blank before the cast is not one. The steps
        before each cast that failed run again to see what it read: meant for a case or a few rows, not a file."""
        found: dict[tuple[int, str], Unread] = {}
        for report in prepared.reports:
            step = self.steps.steps[report.number - 1]
            if not report.failed or not isinstance(step, Cast):
                continue
            read = run(self.steps, table, others, until=report.number - 1).table.column(step.column).to_pylist()
            cast = run(self.steps, table, others, until=report.number).table.column(step.column).to_pylist()
            final = prepared.table.column(step.column).to_pylist() if step.column in prepared.table.column_names else []
            for row, (before, after) in enumerate(zip(read, cast, strict=True)):
                if after is not None or before is None or (isinstance(before, str) and not before.strip()):
                    continue
                filled = final[row] if final else None
                text = before if isinstance(before, str) else str(before)
                unread = Unread(row, step.column, step.to, text, filled, bool(final))
                found.setdefault((row, step.column), unread)
        return tuple(found.values())

    def unreadable(self, prepared: Prepared) -> tuple[Unreadable, ...]:
        """Per column, the values the casts of the replay ``prepared`` could not read (blank or missing ones are
        not), counted by its reports: no step runs again, so it suits a file of any size."""
        found: dict[str, Unreadable] = {}
        for report in prepared.reports:
            step = self.steps.steps[report.number - 1]
            if not report.failed or not isinstance(step, Cast):
                continue
            if step.column in found:  # cast again later: a value fails once (it is missing after)
                earlier = found[step.column]
                found[step.column] = dataclasses.replace(earlier, count=earlier.count + report.failed)
                continue
            filled, kept = self._afterwards(report.number, step.column, prepared)
            found[step.column] = Unreadable(step.column, step.to, report.failed, report.first_failed, filled, kept)
        return tuple(found.values())

    def _afterwards(self, number: int, column: str, prepared: Prepared) -> tuple[str | None, bool]:
        """How the steps after step ``number`` fill the missing values of ``column`` (None: they do not), and
        whether it is still there at the end (renames followed)."""
        filled = None
        for step in self.steps.steps[number:]:
            if not step.enabled:
                continue
            if isinstance(step, Rename):
                column = step.mapping.get(column, column)
            elif isinstance(step, Drop) and column in step.columns:
                return filled, False
            elif isinstance(step, Fill) and step.column == column and filled is None:
                filled = {
                    "constant": f"with {step.value}",
                    "forward": "from the rows before (where one had a value)",
                }.get(step.method, f"with the {step.method} of these rows")
        return filled, column in prepared.table.column_names


def replay_of(
    recipe_id: str | None,
    recipe_name: str,
    recipe: Recipe,
    reports: Sequence[StepReport],
    source: pa.Schema,
    output: pa.Schema,
) -> Replay:
    """The replay of a run of ``recipe`` whose ``reports`` say what each step learned."""
    steps: list[Step] = []
    skipped: list[str] = []
    refused = None
    for number, (step, report) in enumerate(zip(recipe.steps, reports, strict=True), 1):
        if not step.enabled:
            continue
        if isinstance(step, RESHAPE):
            refused = f"its recipe {recipe_name!r} reshapes rows at step {number} ({step.label.lower()})"
            break
        if isinstance(step, CHOOSE_ROWS):
            skipped.append(f"step {number} ({step.label.lower()}): it chooses training rows; every new row is scored")
            continue
        steps.append(_frozen(step, report))
    return Replay(
        recipe_id,
        recipe_name,
        Recipe(tuple(steps)),
        types_of(source),
        types_of(output),
        tuple(skipped),
        refused,
    )


def _frozen(step: Step, report: StepReport) -> Step:
    if isinstance(step, Fill) and step.method in ("mean", "median", "mode"):
        return Fill(step.column, "constant", report.learned) if report.learned is not None else step
    if isinstance(step, MergeRare) and step.keep is None:
        return dataclasses.replace(step, keep=tuple(report.learned or ()))
    if isinstance(step, Join) and step.how == "inner":
        return dataclasses.replace(step, how="left")
    return step


def _kind(column_type: str) -> str:
    """Whole and decimal numbers are one kind here: a form or a file may give 3 where the prepared data had 3.0."""
    return {"integer": "float", "category": "string"}.get(column_type, column_type)


def types_of(schema: pa.Schema) -> dict[str, str]:
    """Column name → product type (``integer``, ``float``, ``date`` …), as datasets list their columns."""
    return {field.name: column_type(field.type) or "string" for field in schema}
