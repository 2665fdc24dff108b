"""Small tables the inference tests (engine and API) train on: rows with an id column, and a monthly series."""

from __future__ import annotations

import numpy as np
import pandas as pd


def customers(n: int = 120, seed: int = 0, start: int = 0) -> pd.DataFrame:
    """``cid`` (the row id), ``x``, ``c`` and the targets ``label`` (yes / no) and ``amount``."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n).round(3)
    c = rng.choice(["a", "b"], n)
    return pd.DataFrame(
        {
            "cid": [f"C{i}" for i in range(start, start + n)],
            "x": x,
            "c": c,
            "label": np.where(x + (c == "a") > 0.5, "yes", "no"),
            "amount": (10 * x + rng.normal(size=n)).round(2),
        }
    )


def monthly(periods: int, start: str = "2015-01-01", offset: int = 0) -> pd.DataFrame:
    """``month, sales``: trend and a yearly season; ``offset`` continues the same series later."""
    t = np.arange(offset, offset + periods)
    sales = 100 + 2 * t + 10 * np.sin(2 * np.pi * t / 12)
    months = pd.date_range(start, periods=offset + periods, freq="MS")[offset:]
    return pd.DataFrame({"month": months.strftime("%Y-%m-%d"), "sales": sales.round(2)})


def csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()
