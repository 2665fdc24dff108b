"""Exogenous columns: numeric columns beside the target used by AutoARIMA (and MSTL's trend); forecasting needs
their future values from a dataset given at forecast time and refuses clearly without them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core import Actor, Engine, InvalidInput, TrainRequest
from core.forecasting import fit_select, forecast, to_long

HISTORY, STEPS = 96, 6


def promotions(periods: int = HISTORY + STEPS) -> pd.DataFrame:
    """Monthly sales driven by a known promotion budget plus noise: the budget explains most of the variance."""
    rng = np.random.default_rng(3)
    promo = rng.uniform(0, 10, periods).round(1)
    sales = 50 + 6 * promo + rng.normal(0, 2, periods)
    return pd.DataFrame(
        {"month": pd.date_range("2010-01-01", periods=periods, freq="MS"), "promo": promo, "sales": sales}
    )


def test_exogenous_columns_improve_the_forecast_and_are_required_at_forecast_time() -> None:
    table = promotions()
    long = to_long(table.iloc[:HISTORY], "month", "sales", exogenous=["promo"])
    assert list(long.columns) == ["unique_id", "ds", "y", "promo"]
    fit = fit_select(long, "MS", 1, STEPS, exogenous=["promo"])
    assert fit.exogenous == ("promo",)
    with pytest.raises(InvalidInput, match="exogenous columns 'promo'"):
        forecast(long, fit, STEPS)
    future = table.iloc[HISTORY:].assign(unique_id="sales").rename(columns={"month": "ds"})
    with pytest.raises(InvalidInput, match="do not cover every forecast period") as err:
        forecast(long, fit, STEPS, future=future.iloc[:-2])
    assert err.value.problems[0].value == "2018-05-01 00:00:00"
    out = forecast(long, fit, STEPS, future=future)
    actual = table["sales"].iloc[HISTORY:].to_numpy()
    blind = forecast(long[["unique_id", "ds", "y"]], fit_select(long[["unique_id", "ds", "y"]], "MS", 1, STEPS), STEPS)
    assert np.mean(np.abs(out["forecast"] - actual)) < 0.5 * np.mean(np.abs(blind["forecast"] - actual))


def test_a_forecast_without_future_values_is_refused_before_it_starts(engine: Engine, admin: Actor) -> None:
    table = promotions()
    history = engine.datasets.upload(
        admin, name="sales", filename="sales.csv", data=table.iloc[:HISTORY].to_csv(index=False).encode()
    )
    request = TrainRequest(
        dataset_id=history.id,
        name="sales",
        target="sales",
        problem_type="forecast",
        time_column="month",
        season_length=1,
        horizon=STEPS,
        exogenous=("promo",),
    )
    with pytest.raises(InvalidInput, match="Unknown column"):
        engine.training.submit(admin, replace(request, exogenous=("budget",)))
    job = engine.training.submit(admin, request)
    assert job.status == "succeeded" and job.result, job.error
    model_id = job.result["model_id"]
    assert engine.models.get(admin, model_id).forecast.exogenous == ("promo",)  # type: ignore[union-attr]
    for call in (engine.forecasts.forecast, engine.forecasts.submit):
        with pytest.raises(InvalidInput, match="uses the exogenous columns 'promo': give a dataset"):
            call(admin, model_id, steps=STEPS)
    short = engine.datasets.upload(
        admin,
        name="short plan",
        filename="plan.csv",
        data=table.iloc[HISTORY:-1][["month", "promo"]].to_csv(index=False).encode(),
    )
    with pytest.raises(InvalidInput, match="do not cover every forecast period"):
        engine.forecasts.submit(admin, model_id, steps=STEPS, future_dataset_id=short.id)
    dates = engine.datasets.upload(
        admin, name="dates", filename="dates.csv", data=table.iloc[HISTORY:][["month"]].to_csv(index=False).encode()
    )
    with pytest.raises(InvalidInput, match="lack the columns 'promo'"):
        engine.forecasts.submit(admin, model_id, steps=STEPS, future_dataset_id=dates.id)
    plan = engine.datasets.upload(
        admin,
        name="plan",
        filename="plan.csv",
        data=table.iloc[HISTORY:][["month", "promo"]].to_csv(index=False).encode(),
    )
    frame = engine.forecasts.forecast(admin, model_id, steps=STEPS, future_dataset_id=plan.id)
    assert np.mean(np.abs(frame["forecast"].to_numpy() - table["sales"].iloc[HISTORY:].to_numpy())) < 6
