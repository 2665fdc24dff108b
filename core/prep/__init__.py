"""Data preparation: recipes of typed steps (cast, filter, fill, derive, join, aggregate, pivot …) run on Arrow
tables with DuckDB, and the safe expression language of derived columns and filters."""

from core.prep.combine import Aggregate, Append, Join, PivotLonger, PivotWider
from core.prep.expressions import FUNCTIONS, Parsed, parse
from core.prep.recipe import STEPS, Prepared, Recipe, StepReport, preview, run
from core.prep.steps import (
    Cast,
    DateParts,
    Deduplicate,
    Derive,
    Drop,
    Fill,
    Filter,
    MergeRare,
    Rename,
    Reorder,
    Replace,
    Sample,
    Sort,
    Step,
    StepError,
)

__all__ = [
    "FUNCTIONS",
    "STEPS",
    "Aggregate",
    "Append",
    "Cast",
    "DateParts",
    "Deduplicate",
    "Derive",
    "Drop",
    "Fill",
    "Filter",
    "Join",
    "MergeRare",
    "Parsed",
    "PivotLonger",
    "PivotWider",
    "Prepared",
    "Recipe",
    "Rename",
    "Reorder",
    "Replace",
    "Sample",
    "Sort",
    "Step",
    "StepError",
    "StepReport",
    "parse",
    "preview",
    "run",
]
