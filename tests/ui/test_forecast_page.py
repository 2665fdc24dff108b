"""The Forecast page in AppTest: forecast AirPassengers with its chart, table and CSV; choose some of several
series; the model view's leaderboard, per-series table and cross-validation plot. The Train page's forecast
section: the data checked before training (irregular timestamps, then resampling) and the way to the forecast."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from streamlit.testing.v1 import AppTest

from core import Actor, Engine
from core.entities import TrainRequest
from tests.core.test_forecast_service import BAD_TABLES, model_id, seasonal_series
from tests.prediction_data import csv, monthly


def _train(engine: Engine, actor: Actor, dataset_id: str, name: str, target: str, series: str | None = None) -> str:
    return model_id(
        engine.training.submit(
            actor,
            TrainRequest(
                dataset_id=dataset_id,
                name=name,
                target=target,
                problem_type="forecast",
                time_column="month",
                series_column=series,
            ),
        )
    )


def _table(at: AppTest, column: str) -> pd.DataFrame:
    """The shown table having ``column`` (AppTest gives st.dataframe no key)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _charts(at: AppTest) -> list[str]:
    return [c.proto.id.split("-", 2)[-1] for c in at.get("plotly_chart")]


def _downloads(at: AppTest) -> list[str]:
    return [d.proto.label for d in at.get("download_button")]


def test_forecast_air_passengers_shows_chart_table_csv_and_logs_it(
    app: Callable[..., AppTest], engine: Engine, analyst: Actor
) -> None:
    air = next(d for d in engine.datasets.load_samples(analyst) if d.name == "air_passengers")
    model_id = _train(engine, analyst, air.id, "air", "passengers")
    at = app(actor=analyst, page="forecast.py")
    assert at.selectbox(key="forecast_model").value == model_id
    assert at.number_input(key="forecast_steps").value == 12  # the evaluation horizon
    assert "Selected (per series)" in list(_table(at, "n_series")["model"])
    at.button(key="forecast_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = _table(at, "forecast")
    assert list(table.columns) == ["unique_id", "ds", "model", "forecast", "lo-80", "hi-80", "lo-95", "hi-95"]
    assert len(table) == 12 and table["ds"].min() == pd.Timestamp("1961-01-01")
    assert _charts(at) == ["forecast_chart_passengers", "forecast_board_chart", "forecast_cv_chart_passengers"]
    assert "Download the forecast (CSV)" in _downloads(at)
    assert list(engine.inference.log(analyst, model_id=model_id)["kind"]) == ["forecast"]


def test_several_series_choose_some_and_read_the_model_view(
    app: Callable[..., AppTest], engine: Engine, analyst: Actor
) -> None:
    frame = pd.concat([seasonal_series(f"shop {i}", "2018-01-01", 48, i) for i in range(3)])
    data = frame.to_csv(index=False, date_format="%Y-%m-%d").encode()
    dataset = engine.datasets.upload(analyst, name="shops", filename="shops.csv", data=data)
    _train(engine, analyst, dataset.id, "shops", "sales", series="store")
    at = app(actor=analyst, page="forecast.py")
    per_series = _table(at, "kind")
    assert list(per_series["unique_id"]) == ["shop 0", "shop 1", "shop 2"]
    assert {"model", "kind", "mase", "smape", "rmse"} <= set(per_series.columns)
    assert {"Download the chosen models (CSV)", "Download every candidate's errors (CSV)"} <= set(_downloads(at))
    at.toggle(key="forecast_all").set_value(False).run()
    at.multiselect(key="forecast_series").set_value(["shop 1", "shop 2"]).run()
    at.number_input(key="forecast_steps").set_value(4).run()
    at.multiselect(key="forecast_levels").set_value([50, 80, 99]).run()
    at.button(key="forecast_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = _table(at, "forecast")
    assert list(table["unique_id"]) == ["shop 1"] * 4 + ["shop 2"] * 4
    assert [c for c in _charts(at) if c.startswith("forecast_chart_")] == [
        "forecast_chart_shop 1",
        "forecast_chart_shop 2",
    ]
    assert [c for c in table.columns if c.startswith(("lo-", "hi-"))] == [
        "lo-50",
        "hi-50",
        "lo-80",
        "hi-80",
        "lo-99",
        "hi-99",
    ]


def test_without_a_forecast_model_the_page_says_how_to_get_one(app: Callable[..., AppTest], analyst: Actor) -> None:
    at = app(actor=analyst, page="forecast.py")
    assert "No forecast model yet" in at.info[0].value


def test_train_page_reports_irregular_timestamps_until_resampling_is_ticked_then_opens_the_forecast(
    app: Callable[..., AppTest], engine: Engine, analyst: Actor
) -> None:
    dataset = engine.datasets.upload(analyst, name="gaps", filename="gaps.csv", data=BAD_TABLES["irregular"][0])
    at = app(actor=analyst, page="train.py")
    at.selectbox(key="train_dataset").select(dataset.id).run()
    at.button_group(key="train_problem").set_value("forecast").run()
    assert "1 series have irregular timestamps for frequency 'MS'" in at.error[0].value
    assert at.button(key="train_submit").disabled
    at.checkbox(key="fc_resample").check().run()
    assert not at.error
    assert at.info[0].value.startswith("1 series of 26 points; frequency MS (inferred), season length 12")
    assert at.warning[0].value == "Too short for season length 12, so non-seasonal models are used: 1 of 1 series."
    at.button(key="train_submit").click().run()
    assert not at.exception and at.button(key="train_open").proto.label == "Open the forecast"


def test_models_page_shows_a_forecast_model_by_its_cv_errors_and_opens_it_on_the_forecast_page(
    app: Callable[..., AppTest], engine: Engine, analyst: Actor
) -> None:
    air = next(d for d in engine.datasets.load_samples(analyst) if d.name == "air_passengers")
    model_id = _train(engine, analyst, air.id, "air", "passengers")
    at = app(actor=analyst, page="models.py")
    assert [t.label for t in at.tabs] == ["Summary", "Schema, files & delete"]  # no importance, no held-out rows
    assert [m.label for m in at.metric][:1] == ["MASE"]
    assert not any("held-out rows" in c.value for c in at.caption)
    assert at.dataframe[0].value["score"].iloc[0].startswith("CV MASE ")
    at.button(key="models_open_forecast").click().run()
    assert not at.exception
    assert at.selectbox(key="forecast_model").value == model_id


def test_a_forecast_can_start_from_newer_history(app: Callable[..., AppTest], engine: Engine, analyst: Actor) -> None:
    sales = engine.datasets.upload(analyst, name="sales", filename="s.csv", data=csv(monthly(36)))
    newer = engine.datasets.upload(analyst, name="sales since", filename="n.csv", data=csv(monthly(12, offset=30)))
    _train(engine, analyst, sales.id, "sales", "sales")
    at = app(actor=analyst, page="forecast.py")
    at.number_input(key="forecast_steps").set_value(2).run()
    at.selectbox(key="forecast_newer").select(newer.id).run()
    at.button(key="forecast_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert list(_table(at, "forecast")["ds"].dt.strftime("%Y-%m")) == ["2018-07", "2018-08"]
    assert any("newer history" in c.value for c in at.caption)
