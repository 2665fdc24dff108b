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
