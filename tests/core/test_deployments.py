"""Deployments: a registered version served in-process in the seed's shape, following an alias as it moves,
stopped and started, every call an operation in the log."""

from __future__ import annotations

import json

import numpy as np
import pytest
import skops.io as sio
from sklearn.cluster import KMeans

from core import Actor, Conflict, Engine, InvalidInput, NotFound, PermissionDenied
from core.services.scoring import LOGGED_NOTE_CHARS, MAX_LOGGED_NOTES, logged_notes
from tests.core.registry_support import diabetes, diabetes_csv, ridge_skops, train_tiny


def _ridge(engine: Engine, actor: Actor, versions: int = 1) -> str:
    model = engine.registry.register(actor, "Ridge", "regression", {"tags": ["linear"]})
    for n in range(versions):
        engine.registry.upload(actor, model.id, "model", f"ridge{n}.skops", ridge_skops(alpha=1.0 + n))
    engine.registry.upload(actor, model.id, "data", "train.csv", diabetes_csv())
    return model.id


def test_an_external_skops_model_serves_predictions_with_shap_in_the_seed_shape(engine: Engine, analyst: Actor) -> None:
    model_id = _ridge(engine, analyst)
    deployment = engine.deployments.create(
        analyst, model_id, owner="agent-1", placement={"clusterID": "*", "node": "*", "continuum": True}
    )
    assert (deployment.status, deployment.version, deployment.placement["continuum"]) == ("running", 1, True)
    X, _ = diabetes()
    row = X.iloc[0].tolist()  # the seed sends the values in feature order
    served = engine.deployments.predict(analyst, deployment.id, row, explain=True)
    assert served.explanation is not None and served.explanation["method"] == "shap"
    contributions = served.explanation["feature_importance"]
    assert len(contributions) == 10 and served.explanation["features"][0] == "age"
    assert served.explanation["base_value"] + sum(contributions) == pytest.approx(served.prediction[0])
    by_name = engine.deployments.predict(analyst, deployment.id, X.iloc[:3].to_dict("records"))
    assert by_name.prediction[0] == pytest.approx(served.prediction[0]) and by_name.explanation is None
    [second, first] = engine.deployments.operations(analyst, deployment_id=deployment.id)
    assert (first.owner, first.rows, first.source, first.model_label) == ("agent-1", 1, "served", "Ridge v1")
    assert first.latency_ms > 0 and first.result["prediction"] == served.prediction
    assert second.rows == 3 and second.inputs[0]["age"] == pytest.approx(X.iloc[0]["age"])


def test_a_deployment_following_an_alias_serves_the_new_version_when_it_moves(engine: Engine, analyst: Actor) -> None:
    model_id = _ridge(engine, analyst, versions=2)
    engine.registry.set_alias(analyst, model_id, "champion", 1)
    deployment = engine.deployments.create(analyst, model_id, alias="Champion")
    newest = engine.deployments.create(analyst, model_id, alias="latest")
    X, _ = diabetes()
    row = X.iloc[5].to_dict()
    before = engine.deployments.predict(analyst, deployment.id, row)
    engine.registry.set_alias(analyst, model_id, "champion", 2)
    after = engine.deployments.predict(analyst, deployment.id, row)
    assert (before.model_label, after.model_label) == ("Ridge v1", "Ridge v2")
    assert after.prediction != before.prediction
    assert engine.deployments.predict(analyst, newest.id, row).prediction == after.prediction
    assert engine.deployments.get(analyst, deployment.id).version == 2
    moves = engine.registry.alias_history(analyst, model_id, "champion")
    assert [(m.from_version, m.to_version) for m in moves] == [(None, 1), (1, 2)]
    with pytest.raises(Conflict, match="follows"):
        engine.registry.remove_alias(analyst, model_id, "champion")
    with pytest.raises(Conflict, match="deployment"):
        engine.registry.delete(analyst, model_id)


def test_a_trained_model_is_deployed_and_refused_while_stopped(engine: Engine, analyst: Actor) -> None:
    model_id = train_tiny(engine, analyst)
    deployment = engine.deployments.create(analyst, model_id)  # a version id: that version, pinned
    served = engine.deployments.predict(analyst, deployment.id, [{"a": 3, "b": "x"}, [4, "y"]], explain=True)
    assert len(served.prediction) == 2 and set(served.prediction) <= {"p", "q"}
    assert served.probabilities is not None and served.explanation is not None
    assert len(served.explanation["feature_importance"]) == 2
    assert engine.deployments.stop(analyst, deployment.id).status == "stopped"
    with pytest.raises(Conflict, match="stopped"):
        engine.deployments.predict(analyst, deployment.id, {"a": 1, "b": "x"})
    assert engine.deployments.start(analyst, deployment.id).status == "running"
    with pytest.raises(Conflict):  # a deployed version cannot be deleted under its deployment
        engine.models.delete(analyst, model_id)
    engine.registry.set_alias(analyst, deployment.model_id, "champion", model_id)
    follower = engine.deployments.create(analyst, deployment.model_id, alias="champion")
    engine.deployments.delete(analyst, deployment.id)
    engine.models.delete(analyst, model_id)  # the alias goes with its version: the follower has nothing to serve
    gone = engine.deployments.get(analyst, follower.id)
    assert gone.status == "failed" and "no longer points" in gone.reason
    with pytest.raises(NotFound):
        engine.deployments.get(analyst, deployment.id)


def test_a_version_trained_on_prepared_data_replays_its_recipe_on_raw_rows(engine: Engine, analyst: Actor) -> None:
    from tests.core.test_recipes_service import _train, prepared, raw_orders

    raw = raw_orders()
    _, made = prepared(engine, analyst, raw)
    deployment = engine.deployments.create(analyst, _train(engine, analyst, made))
    rows = raw.drop(columns="big").drop(index=[5, 7]).head(20)  # as the raw file writes them
    typed = engine.datasets.frame(analyst, made).drop(columns="big").head(20)  # the same rows, prepared
    by_raw = engine.deployments.predict(analyst, deployment.id, rows.to_dict("records"), explain=True)
    by_prepared = engine.deployments.predict(analyst, deployment.id, typed.to_dict("records"), explain=True)
    assert by_raw.prediction == by_prepared.prediction
    assert by_raw.probabilities == pytest.approx(by_prepared.probabilities)
    logged = engine.deployments.operations(analyst, deployment_id=deployment.id)
    assert all(isinstance(row["price"], float) for row in logged[-1].inputs)  # drift reads the prepared rows
    with pytest.raises(InvalidInput, match=r"The request is neither in the model's prepared shape .*'price'"):
        engine.deployments.predict(analyst, deployment.id, {"order_day": "01/02/2024", "region": "north"})
    for bad in ({**rows.iloc[0].to_dict(), "price": 10**30}, {**rows.iloc[0].to_dict(), "region": ["north"]}):
        with pytest.raises(InvalidInput, match="The request holds values"):
            engine.deployments.predict(analyst, deployment.id, bad)
    refused = engine.deployments.operations(analyst, deployment_id=deployment.id)
    assert sum("error" in o.result for o in refused) == 3  # every refusal is an operation too
    extra = engine.deployments.predict(analyst, deployment.id, {**rows.iloc[0].to_dict(), "note": ["ignored"]})
    assert extra.prediction in (["yes"], ["no"], "yes", "no")  # a column the model never reads is left out


def test_bad_rows_are_refused_and_still_logged(engine: Engine, analyst: Actor) -> None:
    deployment = engine.deployments.create(analyst, _ridge(engine, analyst))
    for bad in ([1, 2], {"age": "old"}, [], "text"):
        with pytest.raises(InvalidInput):
            engine.deployments.predict(analyst, deployment.id, bad)
    logged = engine.deployments.operations(analyst, deployment_id=deployment.id)
    assert len(logged) == 4 and all("error" in o.result for o in logged)


def test_a_calls_warnings_are_logged_with_its_operation_cut_short(engine: Engine, analyst: Actor) -> None:
    deployment = engine.deployments.create(analyst, train_tiny(engine, analyst), inference_data=False)
    column = "extra_" + "x" * 10_000  # a column the model ignores, named at length: its warning is as long
    noted = engine.deployments.predict(analyst, deployment.id, {"a": 3, "b": "x", column: 1})
    clean = engine.deployments.predict(analyst, deployment.id, {"a": 3, "b": "x"})
    [warning] = noted.warnings
    assert column in warning and clean.warnings == ()  # the caller gets it whole
    logged = {o.id: o for o in engine.deployments.operations(analyst, deployment_id=deployment.id)}
    [kept] = logged[noted.operation_id].warnings
    assert len(kept) == LOGGED_NOTE_CHARS and kept == warning[: LOGGED_NOTE_CHARS - 1] + "…"
    assert logged[clean.operation_id].warnings == ()


def test_a_log_keeps_the_first_warnings_each_cut_short_and_says_how_many_more() -> None:
    many = [f"note {n}: " + "x" * 10_000 for n in range(1_000)]
    kept = logged_notes(many)
    assert len(kept) == MAX_LOGGED_NOTES + 1 and kept[-1] == "… and 980 more warnings."
    assert [k.split(":")[0] for k in kept[:-1]] == [f"note {n}" for n in range(MAX_LOGGED_NOTES)]
    assert all(len(k) <= LOGGED_NOTE_CHARS for k in kept)
    assert logged_notes(["short", "x" * LOGGED_NOTE_CHARS]) == ["short", "x" * LOGGED_NOTE_CHARS]
    assert logged_notes([]) == []


def test_external_operations_are_recorded_and_listed_by_owner(engine: Engine, analyst: Actor, admin: Actor) -> None:
    deployment = engine.deployments.create(analyst, _ridge(engine, analyst), owner="agent-1")
    X, _ = diabetes()
    data = json.dumps(X.iloc[:2].to_dict("records"))
    recorded = engine.deployments.add_operation(admin, deployment.id, data=data, result='{"prediction": [1, 2]}')
    assert (recorded.source, recorded.rows, recorded.owner) == ("external", 2, "agent-1")
    assert recorded.result == {"result": {"prediction": [1, 2]}}
    engine.deployments.add_operation(admin, deployment.id, data="{...}", owner="agent-2", latency_ms=12)
    assert [o.owner for o in engine.deployments.operations(analyst, owner="agent-2")] == ["agent-2"]
    assert len(engine.deployments.operations(analyst, owner="agent-1", limit=1)) == 1
    assert engine.deployments.get(analyst, deployment.id).operations == 2


def test_only_models_that_score_rows_are_deployed(engine: Engine, analyst: Actor, viewer: Actor) -> None:
    model = engine.registry.register(analyst, "groups", "clustering")
    fitted = KMeans(n_clusters=2, n_init=1, random_state=0).fit(np.arange(20.0).reshape(10, 2))
    engine.registry.upload(analyst, model.id, "model", "k.skops", sio.dumps(fitted))
    with pytest.raises(Conflict, match="clustering"):
        engine.deployments.create(analyst, model.id)
    with pytest.raises(PermissionDenied):
        engine.deployments.create(viewer, _ridge(engine, analyst))
    with pytest.raises(InvalidInput, match="placement"):
        engine.deployments.create(analyst, "Ridge", placement={"rack": 1})


def test_a_model_card_says_purpose_data_metrics_lineage_and_deployments(engine: Engine, analyst: Actor) -> None:
    model_id = train_tiny(engine, analyst)
    registered = engine.registry.version(analyst, model_id).model_id
    engine.registry.update(analyst, registered, {"description": "Which customers will churn."})
    engine.registry.set_alias(analyst, registered, "champion", 1)
    engine.deployments.create(analyst, registered, alias="champion", name="churn-prod")
    card = engine.registry.card(analyst, model_id)
    assert card.startswith("# Model card: scorer v1")
    for part in ("Which customers will churn.", "scorer-data", "| accuracy |", "| champion | - | 1 | ana |"):
        assert part in card
    assert "| churn-prod | running | champion | ana | 0 |" in card
    outside = engine.deployments.create(analyst, _ridge(engine, analyst)).version_id
    assert outside is not None and "Features (10): age, sex" in engine.registry.card(analyst, outside)
