"""Model selection and forecasting on AirPassengers and generated trend + seasonality + noise series."""

from __future__ import annotations

import json
import signal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from statsforecast.models import SeasonalNaive
from statsforecast.utils import AirPassengersDF

from core.errors import InvalidInput
from core.forecasting import ForecastFit, fit_select, forecast, infer_frequency, season_length_for
from core.forecasting.combine import SINGLE_MARGIN
from core.forecasting.models import INTERMITTENT
from core.forecasting.parallel import run_chunks
from core.forecasting.predict import check_steps
from core.progress import Cancelled, NullContext

pytestmark = pytest.mark.database_free  # no Engine, no database: the Postgres run of CI skips it

HOLDOUT = 12


def _generated(n_series: int = 4, seed: int = 7) -> pd.DataFrame:
    """Monthly series with trend, yearly seasonality and noise; lengths and end dates differ."""
    rng = np.random.default_rng(seed)
    parts = []
    for i in range(n_series):
        n = 96 + HOLDOUT + 6 * i
        t = np.arange(n)
        y = 100 + (0.5 + 0.2 * i) * t + (10 + 3 * i) * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2 + i, n)
        ds = pd.date_range(pd.Timestamp("2000-01-01") + pd.DateOffset(months=i), periods=n, freq="MS")
        parts.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": y}))
    return pd.concat(parts, ignore_index=True)


def _split(long: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    test = long.groupby("unique_id").tail(HOLDOUT)
    return long.drop(test.index), test


class Recorder:
    """A task context that records progress and cancels after a number of progress reports."""

    def __init__(self, cancel_after: int | None = None) -> None:
        self.reports: list[tuple[float, str]] = []
        self.cancel_after = cancel_after

    def progress(self, fraction: float, message: str = "") -> None:
        self.reports.append((fraction, message))

    def cancelled(self) -> bool:
        return self.cancel_after is not None and len(self.reports) >= self.cancel_after

    def check(self) -> None:
        if self.cancelled():
            raise Cancelled()


@pytest.fixture(scope="module")
def air() -> tuple[pd.DataFrame, ForecastFit]:
    long = AirPassengersDF.assign(unique_id="AirPassengers")
    freq = infer_frequency(long)
    return long, fit_select(long, freq, season_length_for(freq), horizon=12)


@pytest.fixture(scope="module")
def generated() -> tuple[pd.DataFrame, pd.DataFrame, ForecastFit, Recorder]:
    train, test = _split(_generated())
    recorder = Recorder()
    return train, test, fit_select(train, "MS", 12, horizon=HOLDOUT, ctx=recorder, n_jobs=2), recorder


def test_airpassengers_forecast_continues_monthly_after_the_history(air: tuple[pd.DataFrame, ForecastFit]) -> None:
    long, fit = air
    out = forecast(long, fit, steps=12)
    assert list(out.columns) == ["unique_id", "ds", "model", "forecast", "lo-80", "hi-80", "lo-95", "hi-95"]
    assert out["ds"].tolist() == list(pd.date_range("1961-01-31", periods=12, freq="ME"))
    assert out["model"].iloc[0] == fit.configs["AirPassengers"].name
    assert out["forecast"].between(350, 750).all()  # the 1960 level was 390-622 and still growing


def test_intervals_widen_with_level(air: tuple[pd.DataFrame, ForecastFit]) -> None:
    long, fit = air
    out = forecast(long, fit, steps=24, levels=(50, 80, 95, 99))
    bounds = ["lo-99", "lo-95", "lo-80", "lo-50", "forecast", "hi-50", "hi-80", "hi-95", "hi-99"]
    assert (out[bounds].diff(axis=1).iloc[:, 1:] > 0).all().all()
    width = out["hi-95"] - out["lo-95"]
    assert width.iloc[-1] > width.iloc[0]  # further ahead is less certain


def test_chosen_configuration_is_the_best_combination_unless_a_single_model_is_clearly_better(
    generated: tuple,
) -> None:
    _, _, fit, _ = generated
    for uid, rows in fit.series_metrics.groupby("unique_id"):
        combined = rows[rows["model"].str.contains("(", regex=False)]
        singles = rows[~rows["model"].str.contains("(", regex=False)]
        chosen = rows[rows["chosen"]].iloc[0]
        assert chosen["model"] == fit.configs[uid].name
        best_combination = combined["mase"].min()
        if chosen["model"] in set(singles["model"]):
            assert chosen["mase"] == singles["mase"].min()
            assert chosen["mase"] <= (1 - SINGLE_MARGIN) * best_combination + 1e-9, uid
        else:
            assert chosen["mase"] == pytest.approx(best_combination)
            assert singles["mase"].min() > (1 - SINGLE_MARGIN) * best_combination - 1e-9, uid
        cv = fit.cv[fit.cv["unique_id"] == uid]
        scale = np.mean(np.abs(cv["y"] - cv["chosen"])) / chosen["mase"]
        assert np.mean(np.abs(cv["y"] - cv[fit.configs[uid].models[0]])) / scale == pytest.approx(
            rows.set_index("model").loc[fit.configs[uid].models[0], "mase"]
        )


def test_chosen_configuration_beats_seasonal_naive_on_seasonal_data(generated: tuple) -> None:
    train, test, fit, _ = generated
    board = fit.leaderboard.set_index("model")
    assert board.loc["Selected (per series)", "mase"] < board.loc["SeasonalNaive", "mase"]
    ours = forecast(train, fit, steps=HOLDOUT)
    mine, naive = [], []
    for uid, history in train.groupby("unique_id"):
        actual = test.loc[test["unique_id"] == uid, "y"].to_numpy()
        y = history["y"].to_numpy()
        mine.append(np.mean(np.abs(actual - ours.loc[ours["unique_id"] == uid, "forecast"].to_numpy())))
        naive.append(np.mean(np.abs(actual - SeasonalNaive(12).forecast(y=y, h=HOLDOUT)["mean"])))
    assert np.mean(mine) < 0.8 * np.mean(naive)


def test_each_series_continues_from_its_own_end(generated: tuple) -> None:
    train, test, fit, _ = generated
    out = forecast(train, fit, steps=HOLDOUT)
    for uid, rows in out.groupby("unique_id"):
        assert rows["ds"].tolist() == test.loc[test["unique_id"] == uid, "ds"].tolist()


def test_calibrated_intervals_cover_held_out_points(generated: tuple) -> None:
    train, test, fit, _ = generated
    out = forecast(train, fit, steps=HOLDOUT).merge(test, on=["unique_id", "ds"])
    inside = ((out["y"] >= out["lo-95"]) & (out["y"] <= out["hi-95"])).mean()
    assert inside >= 0.85


def test_fit_select_reports_progress(generated: tuple) -> None:
    _, _, _, recorder = generated
    fractions = [f for f, _ in recorder.reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(message.startswith("Cross-validating") for _, message in recorder.reports)


def test_fit_select_stops_when_cancelled() -> None:
    train, _ = _split(_generated(n_series=3))
    with pytest.raises(Cancelled):
        fit_select(train, "MS", 12, horizon=HOLDOUT, ctx=Recorder(cancel_after=1))


def test_fit_round_trips_through_json(air: tuple[pd.DataFrame, ForecastFit]) -> None:
    long, fit = air
    again = ForecastFit.from_dict(json.loads(json.dumps(fit.to_dict(), allow_nan=False)))
    assert again.chosen() == fit.chosen()
    pd.testing.assert_frame_equal(again.leaderboard, fit.leaderboard, check_dtype=False)
    pd.testing.assert_frame_equal(forecast(long, again, steps=6), forecast(long, fit, steps=6))


def test_short_series_falls_back_to_non_seasonal_models_with_a_note() -> None:
    long = _generated(n_series=2)
    long = long.drop(long[long["unique_id"] == "s0"].index[30:])  # 30 points: too short for season 12
    fit = fit_select(long, "MS", 12, horizon=6, n_windows=2)
    assert fit.configs["s0"].kind == "short" and fit.configs["s0"].season_length == 1
    assert fit.configs["s1"].kind == "regular"
    assert any("'s0'" in note and "too short for season length 12" in note for note in fit.notes)
    assert len(forecast(long, fit, steps=6, series_ids=["s0"])) == 6
    board = fit.leaderboard.set_index("model")
    chosen = fit.series_metrics[fit.series_metrics["chosen"]].set_index("unique_id")["mase"]
    assert board.loc["SeasonalNaive", "n_series"] == 1  # tried on s1 only: compared with the choice on s1 only
    assert board.loc["SeasonalNaive", "selected_mase"] == pytest.approx(chosen["s1"])
    assert board.loc["Naive", "selected_mase"] == pytest.approx(chosen.mean())


def test_series_too_short_to_cross_validate_get_naive_and_tiny_ones_are_left_out() -> None:
    ds = pd.date_range("2020-01-01", periods=6, freq="D")
    long = pd.DataFrame({"unique_id": ["a"] * 6 + ["b"] * 2, "ds": [*ds, *ds[:2]], "y": [3.0, 4, 6, 5, 7, 8, 1, 2]})
    fit = fit_select(long, "D", 7, horizon=7)
    assert fit.configs["a"].name == "Naive" and fit.configs["a"].kind == "tiny"
    assert "b" not in fit.configs and any("'b' left out" in note for note in fit.notes)
    out = forecast(long, fit, steps=3, series_ids=["a"])
    assert (out["hi-95"] > out["hi-80"]).all()
    with pytest.raises(InvalidInput) as err:
        forecast(long, fit, steps=3, series_ids=["b"])
    assert err.value.problems[0].value == "b"


def test_intermittent_series_get_intermittent_models_and_non_negative_bounds() -> None:
    rng = np.random.default_rng(3)
    demand = np.where(rng.random(120) < 0.6, 0.0, rng.poisson(4, 120) + 1.0)
    long = pd.DataFrame(
        {"unique_id": "spares", "ds": pd.date_range("2015-01-05", periods=120, freq="W-MON"), "y": demand}
    )
    fit = fit_select(long, "W-MON", 52, horizon=8)
    assert set(fit.configs["spares"].models) <= set(INTERMITTENT)
    assert any("intermittent" in note for note in fit.notes)
    out = forecast(long, fit, steps=8)
    assert (out["lo-95"] >= 0).all() and (out["hi-95"] > out["forecast"]).all()


@pytest.mark.parametrize("steps", [0, -3, 1441, 20_000, 2.5])
def test_forecast_rejects_unreasonable_steps(air: tuple[pd.DataFrame, ForecastFit], steps: int) -> None:
    long, fit = air
    with pytest.raises(InvalidInput, match="Steps must be") as err:
        forecast(long, fit, steps=steps)
    assert err.value.problems[0].field == "steps"


def test_steps_stop_where_dates_end_and_where_the_forecast_grows_too_large() -> None:
    years = pd.date_range("1950-01-01", periods=60, freq="YS")
    long = pd.DataFrame({"unique_id": "yearly", "ds": years, "y": np.linspace(10, 70, 60)})
    fit = fit_select(long, "YS", 1, horizon=4)
    with pytest.raises(InvalidInput, match=r"from 1 to 253 \(dates stop at 2262-04-11\)"):
        forecast(long, fit, steps=300)  # 10 × 60 points would allow 600, but 2009 + 600 years has no date
    assert forecast(long, fit, steps=253)["ds"].max() == pd.Timestamp("2262-01-01")
    days = pd.Series(pd.date_range("2000-01-01", periods=1000, freq="D"))
    with pytest.raises(InvalidInput, match=r"from 1 to 6,666 \(at most 2,000,000 forecast rows over 300 series\)"):
        check_steps(7000, [days] * 300, "D")  # 10 × 1,000 days would allow 10,000 steps per series
    assert check_steps(6666, [days] * 300, "D") == 6666


def test_forecast_rejects_unknown_series_ids(air: tuple[pd.DataFrame, ForecastFit]) -> None:
    long, fit = air
    with pytest.raises(InvalidInput) as err:
        forecast(long, fit, steps=3, series_ids=["AirPassengers", "Trains"])
    assert [(p.problem, p.value) for p in err.value.problems] == [("unknown series id", "Trains")]


def test_forecast_of_selected_series_only(generated: tuple) -> None:
    train, _, fit, _ = generated
    out = forecast(train, fit, steps=3, series_ids=["s3", "s1"], n_jobs=2)
    assert out["unique_id"].tolist() == ["s3"] * 3 + ["s1"] * 3


@pytest.mark.parametrize(("setting", "value"), [("horizon", 0), ("n_windows", 0), ("season_length", 1.5)])
def test_fit_select_rejects_bad_settings(air: tuple[pd.DataFrame, ForecastFit], setting: str, value: float) -> None:
    long, _ = air
    settings: dict[str, Any] = {"freq": "ME", "season_length": 12, "horizon": 12, "n_windows": 3} | {setting: value}
    with pytest.raises(InvalidInput) as err:
        fit_select(long, **settings)
    assert err.value.problems[0].field == setting


def test_one_long_series_reports_progress_per_cv_window_with_the_same_forecasts() -> None:
    """A single series is one chunk: it must still report each window, and splitting must not change the CV."""
    from statsforecast import StatsForecast
    from statsforecast.models import Naive

    from core.forecasting import models

    long = AirPassengersDF.assign(unique_id="AirPassengers")
    recorder = Recorder()
    fit = fit_select(long, "MS", 12, horizon=12, n_windows=3, ctx=recorder)
    stage = [m for _, m in recorder.reports if m.startswith("Cross-validating")]
    assert stage == [f"Cross-validating the series ({done}/3)" for done in range(4)]
    names = [c for c in fit.candidates if c in fit.cv.columns]
    whole = StatsForecast(
        models=[models.build(name, 12) for name in names], freq="MS", n_jobs=1, fallback_model=Naive()
    ).cross_validation(h=12, df=long, n_windows=3, step_size=12, level=[models.REF_LEVEL])
    np.testing.assert_allclose(fit.cv[names].to_numpy(), whole[names].to_numpy(), rtol=1e-6)


def _sigterm_is_default(_: int) -> bool:
    return signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_forecasting_pool_workers_die_on_sigterm_whatever_handler_the_job_worker_installed() -> None:
    def raising(signum: int, frame: object) -> None:  # what core.worker installs: SIGTERM -> Cancelled
        raise RuntimeError("cancelled")

    previous = signal.signal(signal.SIGTERM, raising)
    try:
        assert run_chunks(_sigterm_is_default, [1, 2, 3], 2, NullContext(), (0.0, 1.0), "checking") == [True] * 3
    finally:
        signal.signal(signal.SIGTERM, previous)
