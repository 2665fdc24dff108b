"""Drift statistics on planted shifts: what must be flagged is, what must not is not, and the false-positive rate
on samples of one distribution stays near the test's level."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as hs
from scipy import stats

from core import InvalidInput
from core.monitoring import DriftRule, compare, compare_column
from core.monitoring import statistics as st
from core.monitoring.histograms import overlay

pytestmark = pytest.mark.database_free  # no Engine, no database: the Postgres run of CI skips it


def normal_frame(rows: int, columns: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(rows, columns)), columns=[f"x{i}" for i in range(columns)])


def test_half_a_sigma_shift_in_one_of_20_columns_at_5000_rows_is_flagged_there_only() -> None:
    reference, current = normal_frame(5000, 20, 1), normal_frame(5000, 20, 2)
    current["x7"] += 0.5
    report = compare(reference, current)
    assert [c.column for c in report.columns if c.drifted] == ["x7"]
    assert report.columns[7].test == "wasserstein" and report.columns[7].statistic == pytest.approx(0.5, abs=0.05)
    assert not report.drifted and report.drifted_share == pytest.approx(0.05)
    assert report.multivariate is not None and report.multivariate.drifted


def test_a_category_share_moving_from_10_to_30_percent_is_flagged_at_any_size() -> None:
    rng = np.random.default_rng(3)
    for rows in (400, 20_000):  # the chi-squared test, then the Jensen–Shannon distance
        reference = pd.Series(rng.choice(["a", "b", "c"], rows, p=[0.1, 0.45, 0.45]))
        current = pd.Series(rng.choice(["a", "b", "c"], rows, p=[0.3, 0.35, 0.35]))
        result = compare_column(reference, current, DriftRule(), name="colour")
        assert result.kind == "categorical" and result.drifted, result
        assert result.test == ("chi_squared" if rows <= 1000 else "jensen_shannon")


def test_identical_samples_are_not_flagged() -> None:
    frame = normal_frame(3000, 5, 4).assign(city=lambda f: np.where(f["x0"] > 0, "north", "south"))
    report = compare(frame, frame.copy())
    assert not any(c.drifted for c in report.columns) and not report.drifted
    assert report.multivariate is not None and not report.multivariate.drifted
    assert all(c.statistics["psi"] == pytest.approx(0.0, abs=1e-9) for c in report.columns)


def test_a_trivial_shift_at_100000_rows_is_not_drift_though_its_p_value_is_tiny() -> None:
    reference, current = normal_frame(100_000, 1, 5), normal_frame(100_000, 1, 6)
    current["x0"] += 0.02
    result = compare(reference, current, rule=DriftRule(mmd_rows=200)).columns[0]
    assert result.test == "wasserstein" and not result.drifted
    assert result.statistics["ks_p_value"] < 0.05  # what a p-value rule would have called drift


@pytest.mark.parametrize("rows", [200, 5000])
def test_false_positive_rate_on_50_pairs_from_one_distribution_is_at_most_10_percent(rows: int) -> None:
    rng = np.random.default_rng(7)
    flagged = np.zeros(3)
    for _ in range(50):
        pair = [
            pd.DataFrame(
                {
                    "normal": rng.normal(size=rows),
                    "skewed": rng.lognormal(size=rows),
                    "category": rng.choice(list("abcde"), rows, p=[0.4, 0.3, 0.15, 0.1, 0.05]),
                }
            )
            for _ in range(2)
        ]
        flagged += [c.drifted for c in compare(*pair, rule=DriftRule(mmd_rows=100, permutations=20)).columns]
    assert (flagged / 50 <= 0.10).all(), flagged


def test_statistics_match_scipy_and_the_textbook_psi() -> None:
    rng = np.random.default_rng(8)
    a, b = rng.normal(size=700), rng.normal(0.3, 1.2, size=900)
    assert st.ks(a, b) == pytest.approx(tuple(stats.ks_2samp(a, b))[:2])
    assert st.wasserstein_normed(a, b) == pytest.approx(stats.wasserstein_distance(a, b) / a.std())
    ref, cur = np.array([50, 30, 20]), np.array([30, 30, 40])
    shares_r, shares_c = ref / 100, cur / 100
    assert st.psi(ref, cur) == pytest.approx(np.sum((shares_c - shares_r) * np.log(shares_c / shares_r)))
    assert st.chi_squared(ref, cur)[1] == pytest.approx(stats.chi2_contingency([ref, cur], correction=False).pvalue)


def test_dates_are_compared_as_numbers_and_booleans_and_few_values_as_categories() -> None:
    days = pd.Series(pd.date_range("2024-01-01", periods=500, freq="D"))
    result = compare_column(days, days + pd.Timedelta(days=400), DriftRule(), name="day")
    assert result.kind == "numeric" and result.drifted
    flags = compare_column(pd.Series([True, False] * 100), pd.Series([True] * 200), DriftRule(), name="flag")
    assert flags.kind == "categorical" and flags.drifted
    rating = compare_column(pd.Series([1, 2, 3] * 100), pd.Series([1, 2, 3] * 100), DriftRule(), name="stars")
    assert rating.kind == "categorical" and not rating.drifted


def test_identifiers_and_nearly_empty_columns_are_skipped_with_a_reason() -> None:
    ids = pd.Series([f"id-{i}" for i in range(1000)])
    assert "identifier" in compare_column(ids, ids, DriftRule(), name="id").note
    empty = compare_column(pd.Series([1.0, None, None]), pd.Series([2.0, 3.0]), DriftRule(), name="e")
    assert empty.kind == "skipped" and empty.reference_missing == pytest.approx(2 / 3)


def test_missing_columns_and_bad_settings_are_refused_in_words() -> None:
    frame = normal_frame(50, 2, 9)
    with pytest.raises(InvalidInput, match=r"lacks column.*'x1'"):
        compare(frame, frame.drop(columns="x1"))
    with pytest.raises(InvalidInput, match="share must be within") as refused:
        DriftRule(share=0.0)
    assert [p.field for p in refused.value.problems] == ["share"]


def test_the_report_frame_has_one_row_per_column_and_the_prediction_last() -> None:
    reference, current = normal_frame(300, 3, 10), normal_frame(300, 3, 11)
    predictions = (pd.Series(np.zeros(300)), pd.Series(np.ones(300)))
    table = compare(reference, current, predictions=predictions).frame()
    assert table["column"].tolist() == ["x0", "x1", "x2", "prediction"]
    assert {"test", "statistic", "threshold", "drifted", "stat_psi", "stat_ks_p_value"} <= set(table.columns)


@settings(max_examples=40, deadline=None)
@example(reference=[float("inf"), float("-inf"), 1.0, 2.0, 3.0, 4.0, 5.0, 6.0], current=[1.0, 2.0, 3.0])
@example(reference=[1e308, -1e308, 1e307, 0.0, 1.0, 2.0, 3.0], current=[5e307, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
@given(
    reference=hs.lists(hs.one_of(hs.floats(allow_nan=True, allow_infinity=True), hs.none()), max_size=60),
    current=hs.lists(hs.one_of(hs.floats(allow_nan=True, allow_infinity=True), hs.none()), max_size=60),
)
def test_any_numbers_give_a_verdict_or_a_reason_never_an_error(reference: list, current: list) -> None:
    result = compare_column(
        pd.Series(reference, dtype="float64"), pd.Series(current, dtype="float64"), DriftRule(), name="v"
    )
    assert result.kind in {"numeric", "categorical", "skipped"}
    assert result.statistic is None or not np.isnan(result.statistic)


@settings(max_examples=60, deadline=None)
@given(
    values=hs.lists(hs.integers(-(10**9), 10**9).map(lambda v: v / 997), min_size=1, max_size=30, unique=True),
    digits=hs.integers(13, 17),
    rows=hs.sampled_from([40, 300]),
    seed=hs.integers(0, 1000),
)
def test_numbers_read_back_from_a_csv_are_the_same_values(
    values: list[float], digits: int, rows: int, seed: int
) -> None:
    """Training data against the same rows written to a CSV with fewer digits: not drift, whether the column is
    compared as categories (the diabetes data's sex, -0.044641636506989144 vs -0.0446416365069891, was flagged)
    or as numbers with ties (its s4: each tied value moved the KS statistic by its whole share)."""
    rng = np.random.default_rng(seed)
    reference = pd.Series(rng.choice(values, rows))
    current = pd.Series([float(f"{v:.{digits}g}") for v in reference])  # what a CSV reader returns
    result = compare_column(reference, current, DriftRule(), name="sex")
    assert not result.drifted
    if result.kind == "categorical":
        assert result.statistics["chi_squared"] == pytest.approx(0.0, abs=1e-9)
        histogram = overlay(reference, current, numeric=False)
        assert len(histogram["labels"]) == reference.nunique() and histogram["reference"] == histogram["current"]
    elif reference.nunique() <= rows // 2:  # tied: snapped to the reference's values
        assert result.statistics["ks"] == 0.0
    else:  # nearly unique: a last-digit difference moves the statistic by one value's share at most
        assert result.statistics["ks"] <= reference.value_counts().max() / rows


def test_whole_numbers_and_their_float_reading_are_one_category() -> None:
    reference, current = pd.Series([1, 2, 2, 1] * 50), pd.Series([1.0, 2.0, 2.0, 1.0] * 50)
    assert not compare_column(reference, current, DriftRule(), name="rating").drifted
    assert overlay(reference, current, numeric=False)["labels"] == ["1", "2"]
