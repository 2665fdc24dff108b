"""Checks every reader applies to a header before reading data, so bad files are refused early and alike."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pyarrow.csv as pv

from core.datasets.report import DUPLICATE_COLUMN
from core.errors import InvalidInput, Problem

DEFAULT_MAX_COLUMNS = 2_000
MAX_NAME_LENGTH = 255  # a column name may become a model's target, stored in a column of this width

#: Cell texts read as missing: Arrow's CSV defaults, applied to Excel text cells too.
NULL_TOKENS: frozenset[str] = frozenset(pv.ConvertOptions().null_values)


def checked_names(names: Sequence[object], filename: str, max_columns: int, *, complete: bool = True) -> list[str]:
    """Header cells as column names, trimmed (so ' price' matches a template's 'price'); blank names
    become ``column_<position>``.

    Refuses more than ``max_columns`` columns, names longer than ``MAX_NAME_LENGTH`` characters and duplicate
    names (each named in the problems). ``complete=False`` means only the start of the header is known: only the
    count is checked.
    """
    if len(names) > max_columns:
        raise InvalidInput(
            f"'{filename}' has {'at least ' if not complete else ''}{len(names):,} columns; "
            f"at most {max_columns:,} are allowed.",
            [Problem("too many columns", value=str(len(names)))],
        )
    trimmed = ["" if name is None else str(name).strip() for name in names]
    fixed = [name or f"column_{i + 1}" for i, name in enumerate(trimmed)]
    if complete:
        long = [(i, name) for i, name in enumerate(fixed, start=1) if len(name) > MAX_NAME_LENGTH]
        if long:
            raise InvalidInput(
                f"'{filename}' has column names longer than {MAX_NAME_LENGTH} characters (at position "
                f"{', '.join(str(i) for i, _ in long[:5])}); shorten them.",
                [
                    Problem("column name too long", field=name[:80] + "…", value=f"{len(name)} characters")
                    for _, name in long
                ],
            )
        repeated = [(name, n) for name, n in Counter(fixed).items() if n > 1]
        if repeated:
            listed = ", ".join(f"'{name}'" for name, _ in repeated)
            raise InvalidInput(
                f"'{filename}' has duplicate column names: {listed}. Rename them so each column is unique.",
                [Problem(DUPLICATE_COLUMN, field=name, value=f"{n} columns") for name, n in repeated],
            )
    return fixed
