"""A recipe replayed on new rows: what a model trained on prepared data applies to raw input before scoring.

A replay keeps one output row per input row, so a prediction lines up with the row it scores: steps that choose
the training rows (filter, deduplicate, sort, sample, append) are left out, a join keeps every row (left), and
what a step learned from the training rows (a mean / median / mode fill's value, the categories a rare-category
merge kept) is used as it is — new rows are too few to learn it again, and a single case has no mean. A recipe
that aggregates or pivots makes rows that are not input rows: it cannot be replayed, and the model says so. A value
a cast cannot read becomes missing, as in the run; ``Replay.unreadable`` says how many per column and the first,
from the run's reports alone, so a form's case, a file and a deployment's call are warned alike."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from core.datasets.conversion import column_type
from core.errors import InvalidInput, quote
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


@dataclass(frozen=True)
class Unreadable:
    """The values that a cast of a replay could not read as ``to``, in one row or many: ``count`` of them and the
    first in row order (``first``; None: not known). ``column``: the cast's column, as the rows sent it (a raw form's
    field, a file's header), even when a later step renames it; ``kept`` False: a later step drops it; ``filled``:
    how a later step of the recipe filled them ("with 0.0"; None: it did not)."""

    column: str
    to: str
    count: int
    first: str | None = None
    filled: str | None = None
    kept: bool = True

    @property
    def message(self) -> str:
        """One sentence naming the column, the value (one) or how many and the first, and what the model then saw."""
        one, first = self.count == 1, None if self.first is None else quote(self.first)
        cast = f"could not be read as {READ_AS.get(self.to, self.to)} by the recipe's cast"
        if one and first is not None:  # one value: it names itself
            read = f"{self.column}: {first} {cast}"
        else:
            values = "1 value" if one else f"{self.count:,} values"
            read = f"{self.column}: {values} {cast}{'' if first is None else f' (first: {first})'}"
        it = "it" if one else "they"
        if not self.kept:
            return f"{read}; {it} became {'a missing value' if one else 'missing values'}."
        if self.filled is not None:
            return f"{read}; {it} became missing, and the recipe filled {'it' if one else 'them'} {self.filled}."
        return f"{read}; {it} {'was' if one else 'were'} scored as missing."


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

    def prepare(self, table: pa.Table, others: Mapping[str, pa.Table], what: str) -> Prepared:
        """The replayed steps on ``table`` (``others``: the tables joined, by dataset id), with what each step did
        (``reports``: a cast's ``failed`` values, for ``unreadable``); refused in one sentence naming ``what`` when
        the recipe cannot be replayed or a step does not apply to these rows."""
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

    def unreadable(self, prepared: Prepared) -> tuple[Unreadable, ...]:
        """Per cast column, the values the casts of the replay ``prepared`` could not read (blank or
        missing ones are not), counted by its reports: no step runs again, so it suits one case as well as a file
        of any size (for one row, ``count`` 1 and ``first`` the value)."""
        found: dict[str, Unreadable] = {}
        for report in prepared.reports:
            step = self.steps.steps[report.number - 1]
            if not report.failed or not isinstance(step, Cast):
                continue
            filled, seen = self._afterwards(report.number, step.column, prepared)
            key = seen or step.column  # the column the model sees: a value fails once (it is missing after)
            if key in found:
                earlier = found[key]
                found[key] = dataclasses.replace(earlier, count=earlier.count + report.failed)
                continue
            found[key] = Unreadable(step.column, step.to, report.failed, report.first_failed, filled, seen is not None)
        return tuple(found.values())

    def _afterwards(self, number: int, column: str, prepared: Prepared) -> tuple[str | None, str | None]:
        """How the steps after step ``number`` fill the missing values of ``column`` (None: they do not), and its
        name at the end, renames followed (None: it is no longer there)."""
        filled = None
        for step in self.steps.steps[number:]:
            if not step.enabled:
                continue
            if isinstance(step, Rename):
                column = step.mapping.get(column, column)
            elif isinstance(step, Drop) and column in step.columns:
                return filled, None
            elif isinstance(step, Fill) and step.column == column and filled is None:
                filled = {
                    "constant": f"with {step.value}",
                    "forward": "from the rows before (where one had a value)",
                }.get(step.method, f"with the {step.method} of these rows")
        return filled, column if column in prepared.table.column_names else None


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
