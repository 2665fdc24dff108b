"""Season lengths a series shows, when the user gives none.

Each frequency has its natural cycles (hourly data: a day and a week; daily data: a week and a year; monthly:
a year). A cycle counts when the autocorrelation of the series' first differences at that lag passes the
classical 90 % test used by the M4 benchmarks (``|r_m| > 1.645 · sqrt((1 + 2 Σ_{k<m} r_k²) / n)``): a trend
would swamp the raw series' autocorrelations. A longer cycle is tested on differences at the shorter one it
contains (a week holds 7 days). A series too short to test keeps the natural season (the models then
decide), so detection only ever removes a season the data lacks.
"""

from __future__ import annotations

import numpy as np
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import Day, Hour, Minute

from core.forecasting.prepare import season_length_for

Z_90 = 1.645
MIN_CYCLES = 3  # a lag is tested on at least this many cycles of it


def natural_seasons(freq: str) -> tuple[int, ...]:
    """The frequency's natural season length and the longer cycles worth trying (ascending)."""
    first = season_length_for(freq)
    offset = to_offset(freq)
    longer: tuple[int, ...] = ()
    if isinstance(offset, Hour | Minute) and first > 1:
        longer = (first * 7,)  # a week of days
    elif isinstance(offset, Day) and offset.n == 1:
        longer = (365,)
    return (first, *longer) if first > 1 else ()


def seasonal(y: np.ndarray, lag: int, difference: int = 1) -> bool | None:
    """Whether ``y`` shows a cycle of ``lag`` (None: too short to tell) in its differences at ``difference``
    (a longer cycle is tested after differencing out the shorter one it contains: a week holds 7 days)."""
    y = np.asarray(y, dtype=float)
    y = y[difference:] - y[:-difference]
    n = len(y)
    if lag < 2 or n < MIN_CYCLES * lag:
        return None
    centred = y - y.mean()
    denominator = float(np.dot(centred, centred))
    if denominator == 0:
        return False
    acf = np.array([np.dot(centred[: n - k], centred[k:]) / denominator for k in range(1, lag + 1)])
    limit = Z_90 * np.sqrt((1 + 2 * np.sum(acf[:-1] ** 2)) / n)
    return bool(abs(acf[-1]) > limit)


def detect(y: np.ndarray, freq: str) -> tuple[int, tuple[int, ...]]:
    """(season length, all season lengths shown) of one series for ``freq``: 1 when none is shown."""
    candidates = natural_seasons(freq)
    if not candidates:
        return 1, ()
    first = candidates[0]
    kept = [first] if seasonal(y, first) is not False else []
    kept += [lag for lag in candidates[1:] if seasonal(y, lag, first)]  # longer ones only when shown
    return (kept[0] if kept else 1), tuple(kept)
