"""``core.quote``: a user's value quoted in a message, cut short so one long value cannot bloat every warning."""

from __future__ import annotations

import ast

from hypothesis import given
from hypothesis import strategies as st

from core import quote
from core.errors import QUOTED


@given(st.text(max_size=3 * QUOTED), st.integers(min_value=2, max_value=2 * QUOTED))
def test_a_quoted_value_reads_back_whole_or_cut_with_an_ellipsis(value: str, limit: int) -> None:
    shown = ast.literal_eval(quote(value, limit))
    if len(value) <= limit:
        assert shown == value
    else:
        assert len(shown) == limit and shown == value[: limit - 1] + "…"


def test_the_default_cut_is_the_one_warnings_use() -> None:
    assert quote("x" * 10_000) == repr("x" * (QUOTED - 1) + "…")
    assert quote("12abc") == "'12abc'"
