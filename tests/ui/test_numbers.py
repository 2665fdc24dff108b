"""Numbers on pages: never scientific notation for what an analyst counts or predicts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from ui.numbers import byte_size, readable


@given(hs.integers(-(10**14), 10**14))
def test_whole_numbers_read_back_exactly(value: int) -> None:
    assert int(readable(float(value)).replace(",", "")) == value


@given(hs.floats(1e4, 1e14) | hs.floats(-1e14, -1e4))
def test_large_numbers_are_written_out_to_the_unit(value: float) -> None:
    shown = readable(value)
    assert "e" not in shown and abs(float(shown.replace(",", "")) - value) <= 0.5


@pytest.mark.parametrize(
    ("value", "shown"),
    [(15370.2, "15,370"), (49999.0, "49,999"), (0.3722, "0.3722"), (225.406, "225.4"), (-0.0446, "-0.0446")],
)
def test_examples(value: float, shown: str) -> None:
    assert readable(value) == shown
    assert readable(abs(value), signed=True) == "+" + shown.lstrip("-")


@pytest.mark.parametrize(
    ("size", "shown"), [(0, "0 bytes"), (1, "1 byte"), (15, "15 bytes"), (2_500, "2.5 KB"), (3_400_000, "3.4 MB")]
)
def test_file_sizes(size: int, shown: str) -> None:
    assert byte_size(size) == shown
