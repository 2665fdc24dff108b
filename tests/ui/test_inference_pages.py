"""Inference pages in AppTest: a form prediction and a "what if" change, a batch of a dataset, the log."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core import Actor, Engine
from core.entities import TrainRequest
from tests.prediction_data import csv, customers

PREDICT = "FormSubmitter:predict_form-Predict"


@pytest.fixture
def iris(engine: Engine, analyst: Actor) -> tuple[str, str]:
    """(model id, dataset id) of a small iris classifier."""
    dataset = next(d for d in engine.datasets.load_samples(analyst) if d.name == "iris")
    job = engine.training.submit(
        analyst, TrainRequest(dataset_id=dataset.id, name="iris", target="species", time_budget_s=1, explain=False)
    )
    assert job.result is not None, job.error
    return str(job.result["model_id"]), dataset.id


def test_form_prediction_explains_and_keeps_the_inputs_for_what_if(
    app: Callable[..., AppTest], engine: Engine, analyst: Actor, iris: tuple[str, str]
) -> None:
    model_id = iris[0]
    at = app(actor=analyst, page="predict.py")
    petal_length = f"predict_{model_id}_petal_length_cm"
    assert at.number_input(key=petal_length).value == pytest.approx(4.35)  # the training median
    at.button(key=PREDICT).click().run()
    assert not at.exception
    first = at.metric[0].value
    assert at.metric[0].label == "Predicted species"
    assert len(at.get("plotly_chart")) == 2  # class probabilities and the explanation

    at.number_input(key=petal_length).set_value(1.3)
    at.number_input(key=f"predict_{model_id}_petal_width_cm").set_value(0.2)
    at.button(key=PREDICT).click().run()
    assert not at.exception
    assert at.metric[0].value == "setosa" != first
    assert at.number_input(key=petal_length).value == 1.3  # the last inputs stay for the next "what if"
    log = engine.inference.log(analyst, model_id=model_id)
    assert list(log["kind"]) == ["form", "form"] and log["inputs"].nunique() == 2


def test_batch_page_scores_a_dataset_and_shows_the_summary(
    app: Callable[..., AppTest], analyst: Actor, iris: tuple[str, str]
) -> None:
    at = app(actor=analyst, page="batch.py")
    at.selectbox(key="batch_dataset").select(iris[1]).run()
    at.button(key="batch_submit").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert [m.value for m in at.metric if m.label == "Rows scored"] == ["150"]
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 150
    assert at.get("download_button")


def test_log_page_lists_predictions_and_filters_by_user(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, analyst: Actor, iris: tuple[str, str]
) -> None:
    values = {"sepal_length_cm": 5.0, "sepal_width_cm": 3.0, "petal_length_cm": 1.5, "petal_width_cm": 0.2}
    engine.inference.predict_one(analyst, iris[0], values)
    engine.inference.predict_one(admin, iris[0], values)
    at = app(actor=admin, page="predictions.py")
    assert len(at.dataframe[0].value) == 2
    at.selectbox(key="log_user").select("ana").run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert list(shown["user"]) == ["ana"] and list(shown["model"]) == ["iris v1"]


def test_form_warns_about_a_value_outside_the_training_range_and_says_what_the_base_value_is(
    app: Callable[..., AppTest], analyst: Actor, iris: tuple[str, str]
) -> None:
    model_id = iris[0]
    at = app(actor=analyst, page="predict.py")
    at.number_input(key=f"predict_{model_id}_petal_length_cm").set_value(12.0)
    at.button(key=PREDICT).click().run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any("petal_length_cm = 12 is above the training range 1 – 6.9" in w for w in warnings), warnings
    assert any("The base value" in c.value and "training rows" in c.value for c in at.caption)


def test_a_prediction_given_its_row_id_is_checked_against_the_true_value_later(
    app: Callable[..., AppTest], engine: Engine, analyst: Actor
) -> None:
    data = engine.datasets.upload(analyst, name="customers", filename="c.csv", data=csv(customers()))
    job = engine.training.submit(
        analyst,
        TrainRequest(
            dataset_id=data.id,
            name="churn",
            target="label",
            features=("x", "c"),
            id_column="cid",
            time_budget_s=1,
            explain=False,
        ),
    )
    assert job.result is not None, job.error
    at = app(actor=analyst, page="predict.py")
    at.text_input(key=f"predict_{job.result['model_id']}__row_id").input("N7")
    at.button(key=PREDICT).click().run()
    assert not at.exception
    predicted = at.metric[0].value
    truth = pd.DataFrame({"cid": ["N7", "N8"], "label": [predicted, "yes"]})
    labels = engine.datasets.upload(analyst, name="truth", filename="t.csv", data=csv(truth))

    at.switch_page("pages/predictions.py").run()
    at.selectbox(key="log_check_model").select(job.result["model_id"]).run()
    at.selectbox(key="log_check_dataset").select(labels.id).run()
    at.button(key="log_check").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "accuracy 1" in at.success[0].value
    shown = at.dataframe[0].value
    assert list(shown["outcome"]) == [1.0] and list(shown["outcome_metric"]) == ["accuracy"]


def test_a_model_trained_on_prepared_data_takes_raw_values_and_says_so(
    app: Callable[..., AppTest], engine: Engine, analyst: Actor
) -> None:
    from tests.core.test_recipes_service import prepared, raw_orders

    raw = raw_orders()
    _, made = prepared(engine, analyst, raw)
    job = engine.training.submit(
        analyst, TrainRequest(dataset_id=made, name="big orders", target="big", time_budget_s=1, explain=False)
    )
    assert job.result is not None, job.error
    model_id = job.result["model_id"]
    at = app(actor=analyst, page="predict.py")
    shape = f"predict_{model_id}_shape"
    assert at.radio(key=shape).value == "Raw values"  # the recipe's columns come first
    price = at.selectbox(key=f"predict_{model_id}_raw_price")
    assert "," in str(price.value)  # as the raw file writes it: a decimal comma
    other = next(o for o in price.options if "," in o and o != price.value)
    price.set_value(other)
    at.button(key=PREDICT).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.metric[0].label == "Predicted big"
    assert engine.inference.log(analyst, model_id=model_id)["inputs"].str.contains(other).all()

    at.radio(key=shape).set_value("Prepared values").run()
    assert (at.number_input(key=f"predict_{model_id}_price").value or 0) > 0  # the model's own, typed inputs


def test_a_raw_value_the_recipe_cannot_read_is_shown_as_a_warning(
    app: Callable[..., AppTest], engine: Engine, analyst: Actor
) -> None:
    from tests.core.test_recipes_service import _train, prepared, raw_orders

    raw = raw_orders()
    raw.loc[::8, "price"] = "50,00"  # the most frequent price: the form's default
    raw.loc[[13, 77, 141, 205], "price"] = "lots"  # a value the recipe's cast to a number cannot read
    model_id = _train(engine, analyst, prepared(engine, analyst, raw)[1])
    at = app(actor=analyst, page="predict.py")
    price = at.selectbox(key=f"predict_{model_id}_raw_price")
    assert price.value == "50,00" and "lots" in price.options
    at.button(key=PREDICT).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert not [w.value for w in at.warning if "could not be read" in w.value]

    at.selectbox(key=f"predict_{model_id}_raw_price").set_value("lots")
    at.button(key=PREDICT).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.metric[0].label == "Predicted big"
    message = "price: 'lots' could not be read as a number by the recipe's cast; it was scored as missing."
    assert message in [w.value for w in at.warning], [w.value for w in at.warning]


def test_the_batch_page_and_the_log_say_how_many_raw_values_the_recipe_could_not_read(
    app: Callable[..., AppTest], engine: Engine, analyst: Actor
) -> None:
    from tests.core.test_recipes_service import _train, prepared, raw_orders
    from tests.core.test_recipes_service import csv as orders_csv

    model_id = _train(engine, analyst, prepared(engine, analyst, raw_orders())[1])
    rows = raw_orders(20, seed=11).drop(columns="big")
    rows.loc[5, "price"], rows.loc[7, "order_day"] = "10,00", "01/02/2024"  # the raw file's own bad values put right
    rows.loc[[3, 11], "price"] = ["12abc", "lots"]
    dataset = engine.datasets.upload(analyst, name="new orders", filename="new.csv", data=orders_csv(rows))
    at = app(actor=analyst, page="batch.py")
    at.selectbox(key="batch_model").select(model_id).run()
    at.selectbox(key="batch_dataset").select(dataset.id).run()
    at.button(key="batch_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [m.value for m in at.metric if m.label == "Rows scored"] == ["20"]
    message = (
        "price: 2 values could not be read as a number by the recipe's cast (first: '12abc'); they were scored as "
        "missing."
    )
    assert message in [w.value for w in at.warning], [w.value for w in at.warning]
    at = app(actor=analyst, page="predictions.py")
    [logged] = at.dataframe[0].value["warnings"]
    assert logged.startswith(message)  # the predictions log keeps the texts, not only how many
