"""Numbers as an analyst reads them: whole numbers and anything from 10,000 up in full with thousands separators
(``,.4g`` wrote a predicted 15,370 as 1.537e+04 and a table's 49,999 rows as 5e+04), smaller ones to 4 significant
digits."""

from __future__ import annotations

import math

FULL_FROM = 1e4  # from here on, every digit before the decimal point is shown
LARGEST_WHOLE = 1e15  # beyond this a float's last digits are noise: scientific notation is honest


def readable(value: float, signed: bool = False) -> str:
    """``value`` for a label or a metric; ``signed`` puts + before positive numbers (a contribution)."""
    sign = "+" if signed else ""
    if not math.isfinite(value) or abs(value) >= LARGEST_WHOLE:
        return f"{value:{sign}.4g}"
    if float(value).is_integer() or abs(value) >= FULL_FROM:
        return f"{value:{sign},.0f}"
    return f"{value:{sign},.4g}"


def byte_size(size: int) -> str:
    """A file's size: bytes under a kilobyte (a 15-byte file read "0.0 KB", like an empty one), then KB, MB."""
    if size < 1_000:
        return f"{size:,} byte" + ("" if size == 1 else "s")
    return f"{size / 1e6:,.1f} MB" if size >= 1e6 else f"{size / 1e3:,.1f} KB"
