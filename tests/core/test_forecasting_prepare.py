"""Turning user tables into statsforecast's long format: frequencies and every kind of bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsforecast.utils import AirPassengersDF

from core.errors import InvalidInput
from core.forecasting import infer_frequency, season_length_for, to_long

pytestmark = pytest.mark.database_free  # no Engine, no database: the Postgres run of CI skips it


def _stores() -> pd.DataFrame:
    """Two stores' monthly sales, rows shuffled as an export might deliver them."""
    months = pd.date_range("2020-01-01", periods=24, freq="MS")
    frame = pd.DataFrame(
        {
            "month": np.tile(months.strftime("%Y-%m-%d"), 2),
            "store": np.repeat(["north", "south"], 24),
            "sales": np.arange(48, dtype=float),
        }
    )
    return frame.sample(frac=1.0, random_state=0).reset_index(drop=True)


def test_to_long_sorts_series_and_parses_dates() -> None:
    long = to_long(_stores(), "month", "sales", "store")
    assert list(long.columns) == ["unique_id", "ds", "y"]
    assert long["unique_id"].tolist() == ["north"] * 24 + ["south"] * 24
    assert long["ds"].is_monotonic_increasing is False  # sorted within each series, not across
    assert long.groupby("unique_id")["ds"].apply(lambda ds: ds.is_monotonic_increasing).all()
    assert long.loc[long["unique_id"] == "south", "y"].iloc[0] == 24.0


def test_to_long_names_a_single_series_after_the_target() -> None:
    df = AirPassengersDF.drop(columns="unique_id").rename(columns={"ds": "month", "y": "passengers"})
    long = to_long(df, "month", "passengers")
    assert set(long["unique_id"]) == {"passengers"}
    assert len(long) == 144


def test_to_long_accepts_whole_number_years() -> None:
    df = pd.DataFrame({"year": [1871.0, 1872.0, 1873.0, 1874.0], "volume": [1120, 1160, 963, 1210]})
    long = to_long(df, "year", "volume")
    assert long["ds"].dt.year.tolist() == [1871, 1872, 1873, 1874]
    assert infer_frequency(long) == "YS"


def test_to_long_rejects_unknown_columns() -> None:
    with pytest.raises(InvalidInput) as err:
        to_long(_stores(), "date", "revenue", "store")
    assert {p.field for p in err.value.problems} == {"date", "revenue"}


def test_to_long_reports_unparseable_dates_with_row_numbers() -> None:
    df = _stores()
    df.loc[[3, 10], "month"] = ["not a date", "2020-13-45"]
    with pytest.raises(InvalidInput) as err:
        to_long(df, "month", "sales", "store")
    bad = [(p.row, p.value) for p in err.value.problems if p.problem == "unparseable date"]
    assert bad == [(4, "not a date"), (11, "2020-13-45")]


def test_to_long_reports_duplicate_series_time_pairs() -> None:
    df = pd.concat([_stores(), _stores().iloc[[0]]], ignore_index=True)
    with pytest.raises(InvalidInput, match="more than once") as err:
        to_long(df, "month", "sales", "store")
    assert [p.row for p in err.value.problems] == [1, 49]


def test_to_long_without_the_series_column_sees_duplicates() -> None:
    with pytest.raises(InvalidInput, match="'series' column"):
        to_long(_stores(), "month", "sales")


def test_to_long_reports_non_numeric_target() -> None:
    df = _stores().astype({"sales": object})
    df.loc[5, "sales"] = "twelve"
    with pytest.raises(InvalidInput) as err:
        to_long(df, "month", "sales", "store")
    assert [(p.problem, p.row, p.value) for p in err.value.problems] == [("not a number", 6, "twelve")]


def test_to_long_reports_missing_target_values() -> None:
    df = _stores()
    df.loc[[0, 7], "sales"] = np.nan
    with pytest.raises(InvalidInput) as err:
        to_long(df, "month", "sales", "store")
    assert [(p.problem, p.row) for p in err.value.problems] == [
        ("missing target value", 1),
        ("missing target value", 8),
    ]


def test_to_long_reports_irregular_timestamps_per_series() -> None:
    df = _stores()
    gap = df.index[(df["store"] == "south") & (df["month"] == "2020-06-01")]
    with pytest.raises(InvalidInput, match="irregular") as err:
        to_long(df.drop(index=gap), "month", "sales", "store")
    [problem] = err.value.problems
    assert problem.problem.startswith("series south: 1 missing periods (first 2020-06-01)")


def test_to_long_resamples_irregular_series_when_asked() -> None:
    days = pd.to_datetime(
        ["2021-01-01", "2021-01-02", "2021-01-04", "2021-01-05", "2021-01-05 12:00"], format="ISO8601"
    )
    df = pd.DataFrame({"when": days, "load": [1.0, 2.0, 4.0, 5.0, 7.0]})
    long = to_long(df, "when", "load", resample=True, freq="D")
    assert long["ds"].tolist() == list(pd.date_range("2021-01-01", "2021-01-05", freq="D"))
    assert long["y"].tolist() == [1.0, 2.0, 3.0, 4.0, 6.0]  # gap interpolated, same-day values averaged


@pytest.mark.parametrize("freq", ["MS", "ME", "QS", "YS", "W-SUN", "W-WED", "D", "h", "30min", "B"])
def test_infer_frequency_recognises_common_frequencies(freq: str) -> None:
    ds = pd.date_range("2019-01-01", periods=30, freq=freq)
    long = pd.DataFrame({"unique_id": "a", "ds": ds, "y": 1.0})
    assert infer_frequency(long) == freq


def test_infer_frequency_guesses_irregular_daily_data() -> None:
    ds = pd.to_datetime(["2021-01-01", "2021-01-02", "2021-01-04", "2021-01-05"])
    assert infer_frequency(pd.DataFrame({"unique_id": "a", "ds": ds, "y": 1.0})) == "D"


@pytest.mark.parametrize(
    ("freq", "season"),
    [
        ("MS", 12),
        ("ME", 12),
        ("QS", 4),
        ("YS", 1),
        ("W-SUN", 52),
        ("D", 7),
        ("B", 5),
        ("h", 24),
        ("30min", 48),
        ("2h", 12),
        ("7D", 1),
    ],
)
def test_season_length_follows_the_frequency(freq: str, season: int) -> None:
    assert season_length_for(freq) == season


def test_one_sparse_series_does_not_stop_a_panel_from_being_resampled() -> None:
    hours = pd.date_range("2024-01-01", periods=24 * 365 * 2, freq="h")
    busy = pd.DataFrame({"sensor": "busy", "at": hours, "value": 1.0})
    rare = pd.DataFrame({"sensor": "rare", "at": hours[::219][:80], "value": 2.0})  # 80 readings over two years
    long = to_long(pd.concat([busy, rare]), "at", "value", "sensor", resample=True, freq="h")
    assert long.groupby("unique_id").size().to_dict() == {"busy": len(hours), "rare": 219 * 79 + 1}
    with pytest.raises(InvalidInput, match="choose a coarser frequency"):
        to_long(rare, "at", "value", "sensor", resample=True, freq="s")
