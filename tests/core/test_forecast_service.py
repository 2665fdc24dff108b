"""Forecasting through the engine (inline runner): AirPassengers from the demo data and generated multi-series
CSVs; dates, intervals, per-series choice, short-series fallback, bad tables and bad requests, the log."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from core import Actor, Engine, InvalidInput, Job, PermissionDenied
from core.entities import TrainRequest
from tests.conftest import ADMIN_PASSWORD


def seasonal_series(uid: str, start: str, periods: int, seed: int) -> pd.DataFrame:
    """Monthly trend + yearly seasonality + noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(periods)
    y = 100 + seed * 10 + 0.8 * t + 15 * np.sin(2 * np.pi * t / 12 + seed) + rng.normal(0, 2, periods)
    return pd.DataFrame({"month": pd.date_range(start, periods=periods, freq="MS"), "store": uid, "sales": y})


def many_series_csv() -> bytes:
    """Five seasonal series of different lengths and ends, and one too short for a yearly season."""
    parts = [seasonal_series(f"s{i}", f"201{i}-0{i + 1}-01", 60 + 6 * i, i) for i in range(5)]
    parts.append(seasonal_series("short", "2019-01-01", 20, 7))
    frame = pd.concat(parts).sample(frac=1.0, random_state=0)  # row order must not matter
    return frame.to_csv(index=False, date_format="%Y-%m-%d").encode()


@dataclass(frozen=True)
class World:
    engine: Engine
    admin: Actor
    air: str  # model ids
    stores: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One workspace with two trained forecasters, shared by the tests that only read them."""
    engine = Engine.open(home=tmp_path_factory.mktemp("forecast") / "ws", runner="inline")
    admin = engine.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="a@example.com")
    air = next(d for d in engine.datasets.load_samples(admin) if d.name == "air_passengers")
    stores = engine.datasets.upload(admin, name="stores", filename="stores.csv", data=many_series_csv())
    ids = []
    for request in (
        TrainRequest(dataset_id=air.id, name="air", target="passengers", problem_type="forecast", time_column="month"),
        TrainRequest(
            dataset_id=stores.id,
            name="stores",
            target="sales",
            problem_type="forecast",
            time_column="month",
            series_column="store",
            horizon=12,
        ),
    ):
        ids.append(model_id(engine.training.submit(admin, request)))
    yield World(engine, admin, *ids)
    engine.close()


def model_id(job: Job) -> str:
    """The model a finished training job made."""
    assert job.status == "succeeded" and job.result, job.error
    return str(job.result["model_id"])


def _expected_dates(last: pd.Timestamp, steps: int) -> list[pd.Timestamp]:
    return list(pd.date_range(last, periods=steps + 1, freq="MS")[1:])


def test_air_passengers_forecast_continues_monthly_with_intervals_widening_with_level(world: World) -> None:
    eng, admin = world.engine, world.admin
    frame = eng.inference.forecast(admin, world.air, steps=12)
    assert list(frame.columns) == ["unique_id", "ds", "model", "forecast", "lo-80", "hi-80", "lo-95", "hi-95"]
    assert list(frame["ds"]) == _expected_dates(pd.Timestamp("1960-12-01"), 12)
    assert (frame["lo-95"] < frame["lo-80"]).all() and (frame["lo-80"] < frame["forecast"]).all()
    assert (frame["forecast"] < frame["hi-80"]).all() and (frame["hi-80"] < frame["hi-95"]).all()
    assert frame["forecast"].between(350, 750).all()  # the 1961 level of the series, with its summer peak
    assert (
        frame.loc[frame["ds"].dt.month == 7, "forecast"].iloc[0]
        > frame.loc[frame["ds"].dt.month == 11, "forecast"].iloc[0]
    )
    summary = eng.forecasts.summary(admin, world.air)
    assert (summary.freq, summary.season_length, summary.horizon) == ("MS", 12, 12)


def test_each_forecast_is_logged_with_its_csv_kept_as_a_result_file(world: World) -> None:
    eng, admin = world.engine, world.admin
    frame = eng.inference.forecast(admin, world.stores, steps=3, series_ids=["s1", "s3"], level=[90])
    entry = eng.inference.log(admin, model_id=world.stores).iloc[0]
    assert (entry["kind"], entry["rows"], entry["id"]) == ("forecast", 6, frame.attrs["log_id"])
    assert '"steps": 3' in entry["inputs"] and '"series": ["s1", "s3"]' in entry["inputs"]
    assert '"levels": [90]' in entry["inputs"]
    kept = pd.read_csv(io.BytesIO(eng.files.download(admin, entry["output_file_id"])), parse_dates=["ds"])
    assert list(kept.columns) == ["unique_id", "ds", "model", "forecast", "lo-90", "hi-90"]
    assert np.allclose(kept["hi-90"], frame["hi-90"]) and list(kept["unique_id"]) == ["s1"] * 3 + ["s3"] * 3


def test_many_series_each_forecast_continues_its_own_end(world: World) -> None:
    eng, admin = world.engine, world.admin
    history = eng.forecasts.history(admin, world.stores)
    frame = eng.forecasts.forecast(admin, world.stores, steps=6)
    assert sorted(frame["unique_id"].unique()) == sorted(history["unique_id"].unique())
    ends = history.groupby("unique_id")["ds"].max()
    assert ends.nunique() > 1  # the series end at different months
    for uid, rows in frame.groupby("unique_id"):
        assert list(rows["ds"]) == _expected_dates(ends[uid], 6), uid
        assert (rows["hi-95"] - rows["lo-95"] > rows["hi-80"] - rows["lo-80"]).all()


def test_chosen_model_per_series_is_the_best_combination_or_a_clearly_better_single_and_beats_seasonal_naive(
    world: World,
) -> None:
    summary = world.engine.forecasts.summary(world.admin, world.stores)
    seasonal = summary.series[summary.series["kind"] == "regular"]
    assert len(seasonal) == 5
    for uid, rows in summary.series_metrics.groupby("unique_id"):
        chosen = rows[rows["chosen"]]
        combined = rows.loc[rows["model"].str.contains("(", regex=False), "mase"]
        if uid == "short":  # 8 points per CV fit: ETS and Theta only (no CES), too few to combine
            assert combined.empty and "AutoCES" not in set(rows["model"])
        else:
            assert chosen["mase"].iloc[0] <= combined.min() + 1e-12, uid
        assert len(chosen) == 1, uid
        assert summary.series.set_index("unique_id").loc[uid, "model"] == chosen["model"].iloc[0]
    board = summary.leaderboard.set_index("model")
    regular = summary.series_metrics[summary.series_metrics["unique_id"].isin(seasonal["unique_id"])]
    naive = regular[regular["model"] == "SeasonalNaive"].set_index("unique_id")["mase"]
    assert (seasonal.set_index("unique_id")["mase"] < naive).all()
    assert board.loc["Selected (per series)", "mase"] < board.loc["SeasonalNaive", "mase"]
    cv = summary.cv[summary.cv["unique_id"] == "s4"]  # 84 points: room for 3 windows of 12
    assert cv["cutoff"].nunique() == 3 and len(cv) == 36 and {"y", "chosen", "AutoETS"} <= set(cv.columns)


def test_series_too_short_for_the_season_falls_back_and_says_so(world: World) -> None:
    summary = world.engine.forecasts.summary(world.admin, world.stores)
    short = summary.series.set_index("unique_id").loc["short"]
    assert short["kind"] == "short" and "SeasonalNaive" not in short["model"]
    assert any("'short' too short for season length 12" in note for note in summary.notes)
    frame = world.engine.forecasts.forecast(world.admin, world.stores, steps=4, series_ids=["short"])
    assert len(frame) == 4 and frame["forecast"].notna().all()


def test_forecast_refuses_bad_requests_with_one_clear_sentence(world: World) -> None:
    eng, admin = world.engine, world.admin
    cases: list[tuple[dict[str, Any], str]] = [
        (dict(steps=0), "Steps must be a whole number from 1 to 840"),  # 10 × the longest history
        (dict(steps=10**7), "Steps must be a whole number from 1 to 840"),
        (dict(steps=2.5), "Steps must be a whole number"),
        (dict(series_ids=["s1", "nope"]), "stores v1 has no series 'nope'; it forecasts 6 series"),
        (dict(series_ids=[]), "stores v1 needs a series"),
        (dict(level=[80, 100]), "Choose 1 to 5 interval levels"),
    ]
    for kwargs, message in cases:
        with pytest.raises(InvalidInput, match=message.replace("(", r"\(")):
            eng.forecasts.forecast(admin, world.stores, **{"steps": 12, **kwargs})
    logged = len(eng.inference.log(admin))
    with pytest.raises(InvalidInput, match="stores v1 has no series"):
        eng.forecasts.submit(admin, world.stores, steps=3, series_ids=["zzz"])
    assert len(eng.inference.log(admin)) == logged  # refusals run and log nothing


def test_a_tabular_model_is_not_a_forecaster(world: World) -> None:
    eng, admin = world.engine, world.admin
    iris = next(d for d in eng.datasets.list(admin) if d.name == "iris")
    job = eng.training.submit(
        admin, TrainRequest(dataset_id=iris.id, name="flowers", target="species", time_budget_s=1, explain=False)
    )
    with pytest.raises(InvalidInput, match="flowers v1 is a classification model, not a forecaster"):
        eng.inference.forecast(admin, model_id(job), steps=3)
    with pytest.raises(InvalidInput, match="only classification and regression"):
        eng.inference.predict_one(admin, world.air, {"month": "1961-01-01"})


def test_forecast_job_result_is_the_forecast_and_viewers_may_not_run_it(world: World) -> None:
    eng, admin = world.engine, world.admin
    job = eng.forecasts.submit(admin, world.air, steps=5, level=(50, 99))
    assert job.status == "succeeded" and job.result and job.result["rows"] == 5
    frame = eng.forecasts.result(admin, job.id)
    assert list(frame.columns[-4:]) == ["lo-50", "hi-50", "lo-99", "hi-99"]
    assert eng.inference.log(admin).iloc[0]["job_id"] == job.id
    eng.users.create(admin, username="vee", password="viewer-pass-12", email="v@example.com", role="viewer")
    viewer = eng.users.authenticate("vee", "viewer-pass-12")
    assert not eng.forecasts.summary(viewer, world.air).leaderboard.empty  # reading the model is fine
    with pytest.raises(PermissionDenied):
        eng.forecasts.forecast(viewer, world.air, steps=3)


# --- bad tables: reported before training, never queued -------------------------------------------------------

MONTHS = [f"2020-{m:02d}-01" for m in range(1, 13)] + [f"2021-{m:02d}-01" for m in range(1, 13)]


def _table(months: list[str], values: list[str]) -> bytes:
    return ("month,sales\n" + "".join(f"{m},{v}\n" for m, v in zip(months, values, strict=True))).encode()


VALUES = [str(100 + i) for i in range(24)]
BAD_TABLES = {
    "duplicate": (_table([*MONTHS[:23], MONTHS[5]], VALUES), "pairs appear more than once"),
    "unparseable": (_table([*MONTHS[:10], "the 31st of Nowember", *MONTHS[11:]], VALUES), "unparseable date"),
    "irregular": (_table([*MONTHS[:10], *MONTHS[11:], "2022-02-01"], VALUES), "irregular timestamps"),
    "non-numeric": (_table(MONTHS, [*VALUES[:3], "lots", *VALUES[4:]]), "not a number"),
    "missing": (_table(MONTHS, [*VALUES[:3], "", *VALUES[4:]]), "missing target value"),
}


@pytest.mark.parametrize("case", list(BAD_TABLES))
def test_bad_tables_are_reported_by_check_and_refused_by_submit_with_the_rows(
    engine: Engine, admin: Actor, case: str
) -> None:
    data, message = BAD_TABLES[case]
    dataset = engine.datasets.upload(admin, name=case, filename=f"{case}.csv", data=data)
    request = TrainRequest(
        dataset_id=dataset.id, name=case, target="sales", problem_type="forecast", time_column="month"
    )
    with pytest.raises(InvalidInput, match=message) as caught:
        engine.forecasts.check(admin, request)
    assert caught.value.problems
    with pytest.raises(InvalidInput, match=message) as refused:  # before anything is queued
        engine.training.submit(admin, request)
    assert refused.value.problems == caught.value.problems and engine.jobs.list(admin) == []


def test_irregular_timestamps_are_put_on_the_grid_when_resampling_is_chosen(engine: Engine, admin: Actor) -> None:
    data, _ = BAD_TABLES["irregular"]  # 2020-11 missing, 2022-02 after a gap
    dataset = engine.datasets.upload(admin, name="gaps", filename="gaps.csv", data=data)
    request = TrainRequest(
        dataset_id=dataset.id,
        name="gaps",
        target="sales",
        problem_type="forecast",
        time_column="month",
        resample=True,
        season_length=1,
        horizon=3,
    )
    verdict = engine.forecasts.check(admin, request)
    assert "frequency MS (inferred), season length 1 (yours), evaluation horizon 3 steps (yours)" in verdict.reason
    quarterly = engine.forecasts.check(admin, replace(request, frequency="QS", season_length=None, horizon=None))
    assert "1 series of 9 points; frequency QS (yours), season length 4 (inferred)" in quarterly.reason
    trained = model_id(engine.training.submit(admin, request))
    history = engine.forecasts.history(admin, trained)
    assert len(history) == 26 and history["ds"].diff().dt.days.dropna().between(28, 31).all()
    frame = engine.forecasts.forecast(admin, trained, steps=2)
    assert list(frame["ds"]) == [pd.Timestamp("2022-03-01"), pd.Timestamp("2022-04-01")]


def test_check_warns_about_series_too_short_for_the_season(engine: Engine, admin: Actor, tmp_path: Path) -> None:
    dataset = engine.datasets.upload(admin, name="stores", filename="stores.csv", data=many_series_csv())
    verdict = engine.forecasts.check(
        admin,
        TrainRequest(
            dataset_id=dataset.id,
            name="x",
            target="sales",
            problem_type="forecast",
            time_column="month",
            series_column="store",
            horizon=12,
        ),
    )
    assert verdict.series == 6 and verdict.frequency == "MS" and verdict.season_length == 12
    assert verdict.warnings == ("Too short for season length 12, so non-seasonal models are used: 1 of 6 series.",)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(horizon=-2), "horizon must be a whole number from 1"),
        (dict(horizon=0), "horizon must be a whole number from 1"),
        (dict(season_length=-3), "season_length must be a whole number from 1"),
        (dict(frequency="ms"), "Aliases are case-sensitive: 'MS' is month start"),
        (dict(frequency="h", resample=True), "choose a coarser frequency"),
    ],
)
def test_check_refuses_settings_that_training_would_refuse(
    engine: Engine, admin: Actor, change: dict[str, Any], message: str
) -> None:
    data = seasonal_series("a", "2020-01-01", 48, 1).drop(columns="store").to_csv(index=False).encode()
    dataset = engine.datasets.upload(admin, name="air", filename="air.csv", data=data)
    request = replace(
        TrainRequest(dataset_id=dataset.id, name="air", target="sales", problem_type="forecast", time_column="month"),
        **change,
    )
    with pytest.raises(InvalidInput, match=message):
        engine.forecasts.check(admin, request)


def test_check_refuses_a_table_whose_series_are_all_too_short(engine: Engine, admin: Actor) -> None:
    data = seasonal_series("a", "2020-01-01", 2, 1).to_csv(index=False).encode()
    dataset = engine.datasets.upload(admin, name="tiny", filename="tiny.csv", data=data)
    with pytest.raises(InvalidInput, match="Every series has fewer than 3 points"):
        engine.forecasts.check(
            admin,
            TrainRequest(
                dataset_id=dataset.id, name="tiny", target="sales", problem_type="forecast", time_column="month"
            ),
        )


def test_many_bad_rows_are_all_counted_in_the_headline(engine: Engine, admin: Actor) -> None:
    frame = seasonal_series("a", "2020-01-01", 60, 1).drop(columns="store").astype({"month": str})
    frame.loc[5:52, "month"] = "someday"  # 48 bad dates, more than the 20 listed
    dataset = engine.datasets.upload(admin, name="bad", filename="bad.csv", data=frame.to_csv(index=False).encode())
    with pytest.raises(InvalidInput, match="48 × unparseable date"):
        engine.forecasts.check(
            admin,
            TrainRequest(
                dataset_id=dataset.id, name="bad", target="sales", problem_type="forecast", time_column="month"
            ),
        )


def test_series_ids_that_look_like_formulas_come_back_unchanged(engine: Engine, admin: Actor) -> None:
    parts = [seasonal_series(uid, "2015-01-01", 48, i) for i, uid in enumerate(["-1", "=2", "plain"])]
    data = pd.concat(parts).to_csv(index=False, date_format="%Y-%m-%d").encode()
    dataset = engine.datasets.upload(admin, name="odd ids", filename="odd.csv", data=data)
    trained = model_id(
        engine.training.submit(
            admin,
            TrainRequest(
                dataset_id=dataset.id,
                name="odd",
                target="sales",
                problem_type="forecast",
                time_column="month",
                series_column="store",
                horizon=6,
            ),
        )
    )
    job = engine.forecasts.submit(admin, trained, steps=3)
    frame = engine.forecasts.result(admin, job.id)
    assert sorted(frame["unique_id"].unique()) == ["-1", "=2", "plain"]
    assert job.result is not None
    csv_text = engine.files.download(admin, job.result["file_id"]).decode()
    assert "'=2" in csv_text and "\r\n-1," in csv_text  # the download stays guarded; a number is no formula
