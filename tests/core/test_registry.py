"""The model registry: trained models registered by themselves, models registered from outside with skops files
(pickles refused unopened), metadata, tag search, versions, aliases and their history, delete."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import skops.io as sio

from core import Actor, Conflict, Engine, InvalidInput, NotFound, PermissionDenied
from tests.core.registry_support import Foreign, diabetes_csv, pickle_payload, ridge_skops, train_tiny


def test_a_trained_model_is_registered_without_any_extra_step(engine: Engine, analyst: Actor) -> None:
    model_id = train_tiny(engine, analyst, "churn")
    [registered] = engine.registry.list(analyst)
    assert (registered.name, registered.kind, registered.origin) == ("churn", "classification", "trained")
    assert (registered.versions, registered.latest_version, registered.reference) == (1, 1, "training data")
    assert registered.metadata.features == ("a", "b")
    assert {p.metric for p in registered.metadata.performance} >= {"accuracy", "f1"}
    assert engine.registry.get(analyst, registered.id) == registered  # an id before any row is stored
    [version] = engine.registry.versions(analyst, registered.id)
    assert (version.id, version.version, version.origin) == (model_id, 1, "trained")
    assert engine.registry.version(analyst, model_id).model_id == registered.id


def test_register_from_outside_with_metadata_and_artifacts(engine: Engine, analyst: Actor) -> None:
    metadata = {
        "tags": ["fast", "linear", "FAST"],
        "drift": {"enabled": True, "method": 2},  # the seed's integer
        "hyperparameters": {"alpha": 1.0},
        "performance": [{"metric": "r2", "order": 1, "threshold": 0.4}],
        "run_resources": [{"name": "CPU", "value": 1, "deploy": "edge"}],
    }
    model = engine.registry.register(analyst, "Ridge", "Regressor", metadata)
    assert (model.kind, model.origin, model.versions, model.reference) == ("regression", "external", 0, None)
    assert model.metadata.tags == ("fast", "linear") and model.metadata.drift.method == "distance"
    first = engine.registry.upload(analyst, model.id, "model", "ridge.skops", ridge_skops())
    engine.registry.upload(analyst, model.id, "data", "train.csv", diabetes_csv())
    engine.registry.upload(analyst, model.id, "code", "train.py", b"print('never run')\n")
    engine.registry.upload(analyst, model.id, "environment", "requirements.txt", b"scikit-learn==1.9.1\n")
    second = engine.registry.upload(analyst, model.id, "model", "ridge2.skops", ridge_skops(alpha=2.0))
    assert (first.version, second.version) == (1, 2)
    again = engine.registry.get(analyst, model.id)
    assert (again.versions, again.latest_version, again.reference) == (2, 2, "data artifact")
    assert sorted(a.kind for a in engine.registry.artifacts(analyst, model.id)) == [
        "code",
        "data",
        "env",
        "model",
        "model",
    ]
    [v2, _] = engine.registry.versions(analyst, model.id)
    assert (v2.version, v2.estimator, v2.features[:2]) == (2, "Ridge", ("age", "sex"))
    with pytest.raises(Conflict, match="already registered"):
        engine.registry.register(analyst, "RIDGE", "regression")


def test_a_pickle_is_refused_with_how_to_convert_it_and_never_opened(
    engine: Engine, analyst: Actor, tmp_path: Path
) -> None:
    proof, target = tmp_path / "proof", tmp_path / "pwned"
    pickle.loads(pickle_payload(proof))  # noqa: S301 - our own payload: shows it does create a file when unpickled
    assert proof.exists()
    model = engine.registry.register(analyst, "Legacy", "classification")
    for filename in ("model.pkl", "model.skops", "model.joblib"):
        with pytest.raises(InvalidInput, match=r"skops\.io.*dump") as refused:
            engine.registry.upload(analyst, model.id, "model", filename, pickle_payload(target))
        assert "never opened" in refused.value.message
    assert not target.exists()
    assert engine.registry.get(analyst, model.id).versions == 0
    assert engine.files.list(analyst, kinds=["model"]) == []


def test_a_skops_file_with_an_untrusted_type_is_refused(engine: Engine, analyst: Actor) -> None:
    model = engine.registry.register(analyst, "Odd", "regression")
    with pytest.raises(InvalidInput, match="not allowed") as refused:
        engine.registry.upload(analyst, model.id, "model", "odd.skops", sio.dumps(Foreign()))
    assert any("Foreign" in str(p.value) for p in refused.value.problems)
    engine.registry.update(analyst, model.id, {"features": ["a", "b"]})
    with pytest.raises(InvalidInput, match="fitted on 10 features"):
        engine.registry.upload(analyst, model.id, "model", "ridge.skops", ridge_skops())


def test_tag_search_needs_every_tag_and_lists_page(engine: Engine, analyst: Actor) -> None:
    engine.registry.register(analyst, "a", "classification", {"tags": ["fast", "tree-based"]})
    engine.registry.register(analyst, "b", "classification", {"tags": ["fast"]})
    engine.registry.register(analyst, "c", "regression", {"tags": ["accurate"]})
    names = lambda **kw: [m.name for m in engine.registry.list(analyst, **kw)]  # noqa: E731
    assert names(tags=["fast"]) == ["a", "b"]
    assert names(tags=["FAST", "tree-based"]) == ["a"]
    assert names(tags=["fast", "accurate"]) == []
    assert names(kind="classifier") == ["a", "b"] and names(kind="regression") == ["c"]
    assert names(skip=1, limit=1) == ["b"] and names() == ["a", "b", "c"]
    with pytest.raises(InvalidInput):
        names(kind="astrology")


def test_update_keeps_what_is_left_out_and_refuses_unknown_fields(engine: Engine, analyst: Actor) -> None:
    model = engine.registry.register(analyst, "m", "regression", {"tags": ["old"], "description": "kept"})
    changed = engine.registry.update(
        analyst, model.id, {"tags": ["updated-tag"], "drift": {"enabled": True, "method": 1}}
    )
    assert changed.metadata.tags == ("updated-tag",) and changed.metadata.description == "kept"
    assert (changed.metadata.drift.enabled, changed.metadata.drift.method) == (True, "test")
    renamed = engine.registry.update(analyst, model.id, {"name": "m2", "kind": "clustering"})
    assert (renamed.id, renamed.name, renamed.kind) == (model.id, "m2", "clustering")
    for bad in ({"colour": "red"}, {"drift": {"every": 0}}, {"drift": {"method": 7}}, {"tags": "one"}):
        with pytest.raises(InvalidInput):
            engine.registry.update(analyst, model.id, bad)
    assert engine.registry.get(analyst, model.id).metadata.tags == ("updated-tag",)


def test_aliases_move_with_history_and_one_version_each(engine: Engine, analyst: Actor, admin: Actor) -> None:
    model = engine.registry.register(analyst, "Ridge", "regression")
    for alpha in (1.0, 2.0):
        engine.registry.upload(analyst, model.id, "model", "ridge.skops", ridge_skops(alpha))
    engine.registry.set_alias(analyst, model.id, "champion", 1)
    engine.registry.set_alias(analyst, model.id, "challenger", 2)
    moved = engine.registry.set_alias(admin, model.id, "Champion", 2)
    assert set(moved.aliases) == {"champion", "challenger"}
    assert engine.registry.get(analyst, model.id).aliases == {"challenger": 2, "champion": 2}
    engine.registry.remove_alias(analyst, model.id, "challenger")
    history = [
        (m.alias, m.from_version, m.to_version, m.user) for m in engine.registry.alias_history(analyst, model.id)
    ]
    assert history == [
        ("champion", None, 1, "ana"),
        ("challenger", None, 2, "ana"),
        ("champion", 1, 2, "admin"),
        ("challenger", 2, None, "ana"),
    ]
    assert len(engine.registry.alias_history(analyst, model.id, "champion")) == 2
    for bad in ("latest", "", "has space", "x" * 65):
        with pytest.raises(InvalidInput):
            engine.registry.set_alias(analyst, model.id, bad, 1)
    with pytest.raises(NotFound):
        engine.registry.set_alias(analyst, model.id, "champion", 9)


def test_version_notes_on_a_trained_version_and_deleting_it_after(engine: Engine, analyst: Actor) -> None:
    model_id = train_tiny(engine, analyst)
    noted = engine.registry.describe_version(analyst, model_id, description="first cut", tags=["baseline"])
    assert (noted.description, noted.tags) == ("first cut", ("baseline",))
    engine.registry.set_alias(analyst, noted.model_id, "champion", model_id)
    engine.models.delete(analyst, model_id)  # its registry anchor and alias go with it; the history stays
    registered = engine.registry.get(analyst, noted.model_id)
    assert (registered.versions, registered.aliases) == (0, {})
    assert [m.to_version for m in engine.registry.alias_history(analyst, registered.id)] == [1]


def test_a_version_looked_up_alone_is_the_one_the_list_shows(engine: Engine, analyst: Actor, outsider: Actor) -> None:
    """A deployment looks up the version it serves at every call, by itself (not by building the whole list)."""
    first = train_tiny(engine, analyst, "churn", dataset="churn-1")
    second = train_tiny(engine, analyst, "churn", dataset="churn-2")
    engine.registry.describe_version(analyst, first, description="first cut", tags=["baseline"])
    trained = engine.registry.version(analyst, second).model_id
    engine.registry.set_alias(analyst, trained, "champion", second)
    external = engine.registry.register(analyst, "Ridge", "regression")
    for alpha in (1.0, 2.0):
        engine.registry.upload(analyst, external.id, "model", "ridge.skops", ridge_skops(alpha))
    engine.registry.set_alias(analyst, external.id, "champion", 1)
    engine.registry.set_alias(analyst, external.id, "challenger", 1)
    listed = [*engine.registry.versions(analyst, trained), *engine.registry.versions(analyst, external.id)]
    assert len(listed) == 4
    assert [engine.registry.version(analyst, v.id) for v in listed] == listed
    for actor, version_id in ((analyst, "no-such-version"), (outsider, first), (outsider, listed[-1].id)):
        with pytest.raises(NotFound):
            engine.registry.version(actor, version_id)


def test_delete_removes_versions_and_files(engine: Engine, analyst: Actor, viewer: Actor) -> None:
    model = engine.registry.register(analyst, "Ridge", "regression")
    engine.registry.upload(analyst, model.id, "model", "ridge.skops", ridge_skops())
    engine.registry.upload(analyst, model.id, "data", "train.csv", diabetes_csv())
    with pytest.raises(PermissionDenied):
        engine.registry.delete(viewer, model.id)
    engine.registry.delete(analyst, model.id)
    assert engine.registry.list(analyst) == [] and engine.files.list(analyst) == []
    with pytest.raises(NotFound):
        engine.registry.get(analyst, model.id)
    trained = train_tiny(engine, analyst, "gone")
    registered = engine.registry.version(analyst, trained).model_id
    engine.registry.delete(analyst, registered)
    assert engine.models.list(analyst) == [] and engine.registry.list(analyst) == []


def test_training_the_next_version_keeps_placement(engine: Engine, analyst: Actor) -> None:
    model_id = train_tiny(engine, analyst)
    registered = engine.registry.version(analyst, model_id).model_id
    job = engine.registry.train(
        analyst, registered, placement={"clusterID": "*", "node": "*", "continuum": False}, time_budget_s=1
    )
    assert job.result is not None, job.error
    again = engine.registry.get(analyst, registered)
    assert again.versions == 2 and again.metadata.training_placement["job_id"] == job.id
    assert again.metadata.training_placement["clusterID"] == "*"
    outside = engine.registry.register(analyst, "Ridge", "regression")
    with pytest.raises(Conflict, match="never run"):
        engine.registry.train(analyst, outside.id)
