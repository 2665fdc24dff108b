"""Season lengths detected when the user gives none, and MSTL planned for series with several seasons."""

from __future__ import annotations

import numpy as np
import pytest

from core.forecasting.models import plan_series
from core.forecasting.seasonality import detect, natural_seasons

pytestmark = pytest.mark.database_free  # no Engine, no database: the Postgres run of CI skips it


def _hourly(days: int, weekly: float) -> np.ndarray:
    t = np.arange(24 * days)
    noise = np.random.default_rng(1).normal(0, 1, len(t))
    return 100 + 0.01 * t + 10 * np.sin(2 * np.pi * t / 24) + weekly * np.sin(2 * np.pi * t / 168) + noise


def test_hourly_data_with_daily_and_weekly_cycles_gets_both_and_mstl() -> None:
    assert natural_seasons("h") == (24, 168) and natural_seasons("D") == (7, 365) and natural_seasons("YS") == ()
    season, seasons = detect(_hourly(28, weekly=8.0), "h")
    assert (season, seasons) == (24, (24, 168))
    plan = plan_series(_hourly(28, weekly=8.0), season, 24, 3, seasons)
    assert plan is not None and plan.seasons == (24, 168) and "MSTL" in plan.candidates


def test_a_season_the_data_lacks_is_dropped_and_one_too_short_to_test_is_kept() -> None:
    walk = np.random.default_rng(2).normal(0, 1, 200).cumsum()
    assert detect(walk, "MS") == (1, ())
    assert detect(walk[:30], "MS") == (12, (12,))  # fewer than 3 years: the models decide
    only_daily = detect(_hourly(28, weekly=0.0), "h")
    assert only_daily == (24, (24,))
    plan = plan_series(_hourly(28, weekly=0.0), 24, 24, 3, only_daily[1])
    assert plan is not None and "MSTL" not in plan.candidates


def test_autoces_needs_enough_points_in_every_cv_fit() -> None:
    """Below 10 residuals statsforecast samples CES interval paths one scipy distribution at a time (seconds
    per fit), so CES is planned only when every CV fit sees CES_MIN_POINTS points."""
    from core.forecasting.models import CES_MIN_POINTS

    ten = np.arange(10, dtype=float) % 7
    short = plan_series(ten, 12, 2, 3)
    assert short is not None and short.kind == "short" and "AutoCES" not in short.candidates
    long = plan_series(np.sin(np.arange(60)) + 5, 12, 6, 3)
    assert long is not None and long.kind == "regular" and "AutoCES" in long.candidates
    assert 60 - long.n_windows * 6 >= CES_MIN_POINTS
