"""Registry, Deployments and Drift pages in AppTest: promote a version, try a deployment, see drifted columns."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from core import Actor, Engine, InvalidInput
from tests.core.registry_support import diabetes, diabetes_csv, ridge_skops, train_tiny


def _ridge(engine: Engine, actor: Actor) -> str:
    model = engine.registry.register(actor, "Ridge", "regression", {"tags": ["linear"]})
    for alpha in (1.0, 2.0):
        engine.registry.upload(actor, model.id, "model", "ridge.skops", ridge_skops(alpha))
    engine.registry.upload(actor, model.id, "data", "train.csv", diabetes_csv())
    return model.id


def test_registry_page_promotes_a_version_and_offers_its_card(
    app: Callable[..., AppTest], engine: Engine, analyst: Actor
) -> None:
    model_id = _ridge(engine, analyst)
    at = app(actor=analyst, page="registry.py")
    assert not at.exception and len(at.dataframe) >= 2
    at.selectbox(key="registry_alias_version").select(2)
    at.button(key="FormSubmitter:registry_alias-Point the alias at this version").click().run()
    assert not at.exception, at.exception
    assert engine.registry.get(analyst, model_id).aliases == {"champion": 2}
    assert [m.to_version for m in engine.registry.alias_history(analyst, model_id)] == [2]
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Model card (Markdown)" in labels
    assert labels.count("Download CSV") >= 4  # the models, versions, alias moves and files tables
    at.multiselect(key="registry_tag_filter").select("linear").run()
    assert not at.exception and not at.info


def test_deployments_page_tries_a_prediction_and_logs_it(
    app: Callable[..., AppTest], engine: Engine, analyst: Actor
) -> None:
    deployment = engine.deployments.create(analyst, _ridge(engine, analyst), name="ridge-prod")
    at = app(actor=analyst, page="deployments.py")
    assert not at.exception
    at.button(key="deploy_predict").click().run()
    assert not at.exception, at.exception
    assert any("Prediction" in m.value for m in at.markdown)
    assert len(at.get("plotly_chart")) >= 2  # the explanation and the latency plot
    [operation] = engine.deployments.operations(analyst, deployment.id)
    assert operation.rows == 1 and operation.source == "served"
    at.button(key="deploy_stop").click().run()
    assert engine.deployments.get(analyst, deployment.id).status == "stopped"


def test_deployments_page_shows_a_calls_warnings_in_the_operations_log(
    app: Callable[..., AppTest], engine: Engine, analyst: Actor
) -> None:
    deployment = engine.deployments.create(analyst, train_tiny(engine, analyst), name="scorer-prod")
    engine.deployments.predict(analyst, deployment.id, {"a": 3, "b": "x", "note": "unused"})
    with pytest.raises(InvalidInput):
        engine.deployments.predict(analyst, deployment.id, {"b": "x"})  # no a: refused, and logged as refused
    at = app(actor=analyst, page="deployments.py")
    assert not at.exception, at.exception
    operations = next(d.value for d in at.dataframe if "latency (ms)" in d.value.columns)
    assert sorted(operations["status"]) == ["answered", "refused"]
    answered = operations[operations["status"] == "answered"]
    assert list(answered["warnings"]) == ["Ignored columns not used by the model: note."]
    listed = next(d.value for d in at.dataframe if "calls answered" in d.value.columns)
    assert list(listed["calls answered"]) == [1]


def test_drift_page_highlights_the_drifted_column(app: Callable[..., AppTest], engine: Engine, analyst: Actor) -> None:
    model_id = _ridge(engine, analyst)
    X, _ = diabetes()
    shifted = X.head(200).assign(bmi=X["bmi"].head(200) + X["bmi"].std()).to_csv(index=False).encode()
    engine.drift.check(analyst, model_id=model_id, filename="shifted.csv", data=shifted)
    at = app(actor=analyst, page="drift.py")
    assert not at.exception, at.exception
    assert any("Drifted: bmi" in e.value for e in at.error)
    assert at.selectbox(key="drift_column").value == "bmi"
    assert len(at.get("plotly_chart")) == 2  # drift over time, the overlay


def test_a_refused_drift_file_shows_its_own_message_not_the_last_checks(
    app: Callable[..., AppTest], engine: Engine, analyst: Actor
) -> None:
    _ridge(engine, analyst)
    X, _ = diabetes()
    at = app(actor=analyst, page="drift.py")
    missing = X.head(50).drop(columns=["bmi"]).to_csv(index=False).encode()
    at.file_uploader(key="drift_file").set_value(("partial.csv", missing, "text/csv"))
    at.button(key="FormSubmitter:drift_run-Run a drift check").click().run()
    assert any("bmi" in e.value for e in at.error), [e.value for e in at.error]  # the failed check says why
    at.file_uploader(key="drift_file").set_value(("notcsv.csv", b"\x00\x01\x02binary", "text/csv"))
    at.button(key="FormSubmitter:drift_run-Run a drift check").click().run()
    errors = [e.value for e in at.error]
    assert any("binary data" in e for e in errors) and not any("bmi" in e for e in errors), errors


def test_the_deploy_form_empties_once_it_deployed(app: Callable[..., AppTest], engine: Engine, analyst: Actor) -> None:
    _ridge(engine, analyst)
    at = app(actor=analyst, page="deployments.py")
    at.text_input(key="deploy_alias").input("latest")
    at.text_input(key="deploy_name").input("ridge-prod")
    at.button(key="FormSubmitter:deploy_form-Deploy").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [d.name for d in engine.deployments.list(analyst)] == ["ridge-prod"]
    assert at.text_input(key="deploy_name").value == "" and at.text_input(key="deploy_alias").value == ""
