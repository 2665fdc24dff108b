"""Statistics against pandas on the same real data (statsmodels' Grunfeld investment panel, written as CSV)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import statsmodels.api as sm

from core.datasets import correlation, histogram, profile, read_table, validate, value_counts
from core.entities import ColumnSpec
from core.errors import InvalidInput

pytestmark = pytest.mark.database_free  # no Engine, no database: the Postgres run of CI skips it

NUMERIC = ["invest", "value", "capital", "year"]


@pytest.fixture(scope="module")
def grunfeld_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Grunfeld panel with some cells blanked and a date column, so missing values and dates count."""
    frame = sm.datasets.grunfeld.load_pandas().data
    frame["year"] = frame["year"].astype(int)
    frame.loc[frame.index % 7 == 0, "invest"] = np.nan
    frame.loc[frame.index % 11 == 0, "firm"] = None
    frame["start"] = pd.to_datetime(frame["year"].astype(str) + "-01-01").dt.date
    path = tmp_path_factory.mktemp("grunfeld") / "grunfeld.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def both(grunfeld_csv: Path) -> tuple[pa.Table, pd.DataFrame]:
    return read_table(grunfeld_csv, "grunfeld.csv"), pd.read_csv(grunfeld_csv)


def test_profile_matches_pandas_for_numeric_columns(both: tuple[pa.Table, pd.DataFrame]) -> None:
    table, frame = both
    stats = profile(table).set_index("column")
    for name in NUMERIC:
        expected = frame[name]
        row = stats.loc[name]
        assert (row["count"], row["missing"]) == (expected.count(), expected.isna().sum())
        assert row["distinct"] == expected.nunique()
        assert float(row["min"]) == expected.min() and float(row["max"]) == expected.max()
        assert row["mean"] == pytest.approx(expected.mean(), rel=1e-12)
        assert row["std"] == pytest.approx(expected.std(), rel=1e-12)
        for column, q in (("q25", 0.25), ("q50", 0.5), ("q75", 0.75)):
            assert row[column] == pytest.approx(expected.quantile(q), rel=1e-12)
    assert stats.loc["invest", "missing"] == 32
    assert stats.loc["year", "type"] == "integer" and stats.loc["invest", "type"] == "float"


def test_profile_matches_pandas_for_text_and_dates(both: tuple[pa.Table, pd.DataFrame]) -> None:
    table, frame = both
    stats = profile(table, top=2).set_index("column")
    firm = frame["firm"]
    assert stats.loc["firm", "count"] == firm.count()
    assert stats.loc["firm", "missing"] == firm.isna().sum()
    assert stats.loc["firm", "distinct"] == firm.nunique()
    assert (stats.loc["firm", "min"], stats.loc["firm", "max"]) == (firm.dropna().min(), firm.dropna().max())
    counts = firm.value_counts()
    top = counts[counts == counts.max()].sort_index().index[:2]
    assert stats.loc["firm", "top"] == ", ".join(f"{name} ({counts.max()})" for name in top)
    assert np.isnan(stats.loc["firm", "mean"])
    assert (stats.loc["start", "type"], stats.loc["start", "min"], stats.loc["start", "max"]) == (
        "date",
        "1935-01-01",
        "1954-01-01",
    )


def test_histogram_bins_like_numpy(both: tuple[pa.Table, pd.DataFrame]) -> None:
    table, frame = both
    result = histogram(table, "invest", bins=12)
    counts, edges = np.histogram(frame["invest"].dropna(), bins=12)
    assert result["count"].tolist() == counts.tolist()
    np.testing.assert_allclose(result["left"], edges[:-1])
    np.testing.assert_allclose(result["right"], edges[1:])


def test_histogram_of_dates_has_date_edges(both: tuple[pa.Table, pd.DataFrame]) -> None:
    result = histogram(both[0], "start", bins=4)
    assert result["count"].sum() == 220
    assert result["left"].iloc[0] == pd.Timestamp("1935-01-01")
    assert result["right"].iloc[-1] == pd.Timestamp("1954-01-01")


def test_value_counts_match_pandas(both: tuple[pa.Table, pd.DataFrame]) -> None:
    table, frame = both
    result = value_counts(table, "firm", top=20)
    expected = frame["firm"].value_counts()
    assert dict(zip(result["value"], result["count"], strict=True)) == expected.to_dict()
    assert result["count"].is_monotonic_decreasing


def test_correlation_matches_pandas(both: tuple[pa.Table, pd.DataFrame]) -> None:
    table, frame = both
    expected = frame[NUMERIC].corr()
    pd.testing.assert_frame_equal(correlation(table), expected, rtol=1e-12)


def test_profile_counts_nan_as_missing_and_reads_categories() -> None:
    table = pa.table(
        {
            "x": pa.array([1.0, float("nan"), None, 4.0]),
            "c": pa.array(["a", "b", "a", None]).dictionary_encode(),
            "empty": pa.nulls(4),
        }
    )
    stats = profile(table).set_index("column")
    assert (stats.loc["x", "count"], stats.loc["x", "missing"], stats.loc["x", "mean"]) == (2, 2, 2.5)
    assert (stats.loc["c", "type"], stats.loc["c", "distinct"]) == ("category", 2)
    assert stats.loc["c", "top"] == "a (2), b (1)"
    assert (stats.loc["empty", "count"], stats.loc["empty", "missing"], stats.loc["empty", "top"]) == (0, 4, "")


def test_profile_of_a_validated_table_uses_template_types() -> None:
    table = pa.table({"when": ["2024-01-02", "2024-01-01"], "ok": ["yes", "no"]})
    typed = validate(table, [ColumnSpec("when", "date"), ColumnSpec("ok", "boolean")]).table
    stats = profile(typed).set_index("column")
    assert stats.loc["when", "min"] == dt.date(2024, 1, 1).isoformat()
    assert (stats.loc["ok", "type"], stats.loc["ok", "min"], stats.loc["ok", "max"]) == ("boolean", "False", "True")


def test_plots_refuse_unknown_or_unsuitable_columns(both: tuple[pa.Table, pd.DataFrame]) -> None:
    with pytest.raises(InvalidInput, match="no column named 'nope'"):
        value_counts(both[0], "nope")
    with pytest.raises(InvalidInput, match="neither numeric nor a date"):
        histogram(both[0], "firm")


@pytest.mark.parametrize(
    "values",
    [
        pa.array([dt.date(2024, 3, 1)] * 5),
        pa.array([dt.datetime(2024, 3, 1, 8, 30)] * 5, pa.timestamp("us")),
        pa.array([7] * 5),
    ],
)
def test_histogram_of_one_distinct_value_is_one_bar_around_it(values: pa.Array) -> None:
    result = histogram(pa.table({"v": values}), "v")
    only = values[0].as_py()
    only = pd.Timestamp(only) if isinstance(only, dt.date) else only
    assert result["count"].tolist() == [5]
    assert result["left"].iloc[0] < only < result["right"].iloc[0]


def test_histogram_leaves_out_infinite_values_and_counts_them() -> None:
    values = [1.0, float("inf"), 2.5, None, float("-inf"), 4.0, float("nan")]
    result = histogram(pa.table({"x": values}), "x", bins=3)
    series = pd.Series(values, dtype="float64")
    counts, edges = np.histogram(series[np.isfinite(series)], bins=3)
    assert result["count"].tolist() == counts.tolist() and result.attrs["infinite"] == 2
    np.testing.assert_allclose(result["left"], edges[:-1])
    assert profile(pa.table({"x": values}))["infinite"].tolist() == [2]


def test_histogram_spans_floats_near_the_largest_double() -> None:
    largest = np.finfo("float64").max
    for values in ([1e308, -1e308, 0.0, 5.0], [largest, -largest]):
        result = histogram(pa.table({"x": values}), "x", bins=4)
        assert result["count"].sum() == len(values)
        assert (result["left"].iloc[0], result["right"].iloc[-1]) == (min(values), max(values))
        assert np.isfinite(result[["left", "right"]].to_numpy()).all()


def test_profile_of_infinite_and_huge_floats_matches_pandas() -> None:
    frame = pd.DataFrame(
        {  # nine values: pandas' quartiles then never interpolate towards an infinite one
            "inf": [1.0, np.inf, 2.0, -np.inf, 3.0, 4.0, 5.0, 6.0, 7.0],
            "huge": [1e308, -1e308, 0.0, 1e308, 2.5, 1.0, -3.0, 1e300, -1e300],
        }
    )
    stats = profile(pa.Table.from_pandas(frame)).set_index("column")
    for name in frame.columns:
        expected, row = frame[name], stats.loc[name]
        assert row["infinite"] == np.isinf(expected).sum()
        with np.errstate(invalid="ignore", over="ignore"):  # pandas warns on inf - inf and on squaring 1e308
            moments = {
                "mean": expected.mean(),
                "std": expected.std(),
                "q25": expected.quantile(0.25),
                "q50": expected.quantile(0.5),
                "q75": expected.quantile(0.75),
            }
        for column, value in moments.items():
            assert row[column] == pytest.approx(value, nan_ok=True), (name, column)
        assert (float(row["min"]), float(row["max"])) == (expected.min(), expected.max())


def test_large_integers_and_nanosecond_times_are_profiled_plotted_and_correlated_like_pandas() -> None:
    frame = pd.DataFrame(
        {
            "big": np.array([2**53 + 1, 2**60, 3, 2**62 + 7], dtype="int64"),
            "small": [1.0, 4.0, 2.0, 8.0],
            "when": pd.to_datetime([1, 2, 1_000_000_001, 5_000_000_000], unit="ns"),
        }
    )
    table = pa.Table.from_pandas(frame, preserve_index=False)
    stats = profile(table).set_index("column")
    assert stats.loc["big", "mean"] == pytest.approx(frame["big"].mean())
    assert stats.loc["big", "max"] == str(frame["big"].max())
    counts, _ = np.histogram(frame["big"].astype("float64"), bins=5)
    assert histogram(table, "big", bins=5)["count"].tolist() == counts.tolist()
    assert histogram(table, "when", bins=5)["count"].sum() == 4
    pd.testing.assert_frame_equal(correlation(table), frame[["big", "small"]].astype("float64").corr(), rtol=1e-12)
