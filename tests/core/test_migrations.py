"""Schema migrations: head equals the ORM, older workspaces are upgraded on open, newer ones refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from core import Actor, Conflict, CoreError, Engine, JobStatus
from core.storage import migrate
from core.storage.orm import Base
from tests.conftest import isolated_database
from tests.core import legacy_workspace as legacy
from tests.core import workspace_0003 as w3
from tests.core.registry_support import ridge_skops


@pytest.fixture
def blank_url(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty database for this test (no tables), where ``Engine.open(home)`` will look."""
    home.mkdir(parents=True)
    with isolated_database(monkeypatch, migrated=False) as url:
        yield url or f"sqlite:///{home}/dataml.db"


def test_the_revisions_build_exactly_the_orm_schema(blank_url: str) -> None:
    """Run every revision from nothing: no difference left for autogenerate, and the same CHECK constraints."""
    engine = create_engine(blank_url)
    with migrate.migration_connection(engine) as connection:
        command.upgrade(migrate.alembic_config(connection), "head")
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        checks = {t: {c["name"] for c in inspect(connection).get_check_constraints(t)} for t in Base.metadata.tables}
    engine.dispose()
    declared = {
        name: {c.name for c in table.constraints if c.__class__.__name__ == "CheckConstraint"}
        for name, table in Base.metadata.tables.items()
    }
    assert checks == declared


def test_a_workspace_from_before_migrations_is_upgraded_and_still_usable(home: Path, blank_url: str) -> None:
    files = legacy.build(home, blank_url)
    eng = Engine.open(home=home, runner="inline")
    try:
        with eng.db.engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_heads() == (migrate.head(),)
        actor = eng.users.authenticate("admin", legacy.PASSWORD)
        assert [d.id for d in eng.datasets.list(actor)] == [legacy.DATASET]
        preview = eng.datasets.preview(actor, legacy.DATASET, limit=5)
        assert list(preview.columns) == ["petal", "sepal", "kind"] and len(preview) == 5
        assert [t.id for t in eng.templates.list(actor)] == [legacy.TEMPLATE]
        model = eng.models.get(actor, legacy.MODEL)
        assert model.target == "kind" and eng.models.summary(actor, legacy.MODEL).leaderboard is not None
        prediction = eng.inference.predict_one(actor, legacy.MODEL, {"petal": 2.5, "sepal": 3.5}, explain=False)
        assert prediction.prediction in {"a", "b"} and set(prediction.probabilities) == {"a", "b"}
        for f in files:
            assert eng.files.download(actor, f.id) == f.data
        assert [(j.id, j.status) for j in eng.jobs.list(actor)] == [(legacy.JOB, JobStatus.SUCCEEDED)]
        assert eng.jobs.get(actor, legacy.JOB).result == {"model_id": legacy.MODEL}
        dataset = eng.datasets.get(actor, legacy.DATASET)  # 0005: version 1, made of one file (its Parquet file)
        [part] = eng.dataset_files.list(actor, legacy.DATASET)
        assert (dataset.version, dataset.usage, part.file_id, part.rows) == (
            1,
            "training",
            dataset.file_id,
            dataset.rows,
        )
        assert [v.version for v in eng.dataset_files.versions(actor, legacy.DATASET)] == [1]
        more = eng.datasets.frame(actor, legacy.DATASET).head(2).to_csv(index=False).encode()
        added = eng.dataset_files.add(actor, legacy.DATASET, files=[("more.csv", more)])
        assert (added.dataset.version, added.dataset.rows) == (2, dataset.rows + 2)
        removed = eng.dataset_files.remove(actor, part.file_id)  # the first version keeps its file
        assert (removed.version, removed.rows) == (3, 2)
        assert eng.files.get(actor, part.file_id).kind == "dataset"
    finally:
        eng.close()


def test_references_in_json_move_into_link_tables_and_everything_stays_usable(home: Path, blank_url: str) -> None:
    """A workspace at 0003 (ids inside JSON) upgraded: links instead of ids, and every dataset, model, file and
    job can still be used and deleted."""
    files = w3.build(home, blank_url)
    eng = Engine.open(home=home, runner="inline", reap=False)
    try:
        actor = eng.users.authenticate("admin", w3.PASSWORD)
        v1, v2, forecaster = (eng.models.get(actor, m) for m in (w3.V1, w3.V2, w3.FORECASTER))
        assert (v1.datasets, v2.datasets, forecaster.datasets) == ((w3.FIRST,), (w3.FIRST, w3.SECOND), (w3.SALES,))
        assert v1.files == {
            "model": files["v1 model"].id,
            "holdout": files["v1 holdout"].id,
            "background": files["v1 background"].id,
            "importance": files["v1 values"].id,
        }
        assert set(v2.files) == {"model", "holdout", "background"} and forecaster.files == {}
        assert v2.details.parent_label == "flower model v1" and v1.details.importance is not None
        assert forecaster.forecast is not None and forecaster.forecast.frequency == "MS"
        for model in (v1, v2):  # predict, with the explanation against the background kept with the model
            prediction = eng.inference.predict_one(actor, model.id, {"petal": 2.5, "sepal": 3.5})
            assert prediction.prediction in {"a", "b"} and prediction.baseline and "100" not in prediction.baseline
        importance = eng.models.importance(actor, w3.V1)
        assert importance is not None and list(importance.table["feature"]) == ["petal", "sepal"]
        assert eng.models.summary(actor, w3.V2).lineage["version"].tolist() == ["flower model v2", "flower model v1"]
        forecast = eng.forecasts.forecast(actor, w3.FORECASTER, steps=3)
        assert len(forecast) == 3
        for f in files.values():
            assert eng.files.download(actor, f.id) == f.data
        with pytest.raises(Conflict, match="Score flowers 2021 with flower model v1"):  # the queued job's links
            eng.models.delete(actor, w3.V1)
        assert eng.mark_interrupted_jobs(min_age_s=0) == 1
        assert {j.id: j.status for j in eng.jobs.list(actor)} == {
            w3.TRAINED_JOB: JobStatus.SUCCEEDED,
            w3.QUEUED_JOB: JobStatus.INTERRUPTED,
        }
        with pytest.raises(Conflict, match="flower model v2"):
            eng.datasets.delete(actor, w3.SECOND)
        eng.models.delete(actor, w3.V2)
        eng.datasets.delete(actor, w3.FIRST, cascade=True)  # v1 with it
        eng.datasets.delete(actor, w3.SALES, cascade=True)  # the forecaster with it
        eng.datasets.delete(actor, w3.SECOND)
        eng.files.delete(actor, files["notes"].id)
        eng.files.delete(actor, forecast.attrs["file_id"])  # the forecast's CSV, kept as a result file
        assert eng.models.list(actor) == [] and eng.datasets.list(actor) == [] and eng.files.list(actor) == []
        assert not any(p.is_file() for p in (home / "files").rglob("*"))
    finally:
        eng.close()


def test_link_tables_go_back_into_json_on_downgrade(home: Path, blank_url: str) -> None:
    files = w3.build(home, blank_url)
    engine = create_engine(blank_url)
    with migrate.migration_connection(engine) as connection:
        before: dict[str, Any] = dict(connection.execute(text("SELECT id, details FROM models")).tuples().all())
        command.upgrade(migrate.alembic_config(connection), "head")
        command.downgrade(migrate.alembic_config(connection), "0003")
        after: dict[str, Any] = dict(connection.execute(text("SELECT id, details FROM models")).tuples().all())
        model_files: dict[str, Any] = dict(connection.execute(text("SELECT id, file_id FROM models")).tuples().all())
        assert not inspect(connection).has_table("model_datasets")
    engine.dispose()
    parse = (lambda d: d) if isinstance(next(iter(after.values())), dict) else json.loads
    old, new = {k: parse(v) for k, v in before.items()}, {k: parse(v) for k, v in after.items()}
    for model_id in (w3.V1, w3.V2):
        for key in ("training_datasets", "holdout_file_id", "background_file_id", "parent", "importance"):
            assert new[model_id].get(key) == old[model_id].get(key), key
    assert new[w3.V1]["importance_info"] == old[w3.V1]["importance_info"]
    assert model_files == {w3.V1: files["v1 model"].id, w3.V2: files["v2 model"].id, w3.FORECASTER: None}


def test_names_differing_only_in_case_get_distinct_keys_when_upgraded(blank_url: str) -> None:
    """Before 0003 only exact names were unique: the later of "Acme" / "ACME" is renamed, never an error."""
    engine = create_engine(blank_url)
    with migrate.migration_connection(engine) as connection:
        command.upgrade(migrate.alembic_config(connection), "0002")
        for n, name in enumerate(["Acme", "ACME", "Straße", "STRASSE", "acme (2)", "Other"]):
            connection.execute(
                text("INSERT INTO tenants (id, name, created_at) VALUES (:id, :name, :at)"),
                {"id": f"t{n}", "name": name, "at": f"2026-01-0{n + 1} 00:00:00"},
            )
        command.upgrade(migrate.alembic_config(connection), "head")
        rows = connection.execute(text("SELECT name, name_key FROM tenants ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("Acme", "acme"),
        ("ACME (3)", "acme (3)"),  # "acme (2)" exists later, but a kept name never moves
        ("Straße", "strasse"),
        ("STRASSE (2)", "strasse (2)"),
        ("acme (2)", "acme (2)"),
        ("Other", "other"),
    ]


def test_operations_logged_before_their_warnings_were_kept_read_as_having_none(
    engine: Engine, analyst: Actor, home: Path
) -> None:
    """Down to 0021 (no ``warnings`` column) and up again on open: the operation is still listed, with none."""
    model = engine.registry.register(analyst, "Ridge", "regression")
    engine.registry.upload(analyst, model.id, "model", "ridge.skops", ridge_skops())
    deployment = engine.deployments.create(analyst, model.id)
    engine.deployments.add_operation(analyst, deployment.id, data="{...}", result="[1]")
    with migrate.migration_connection(engine.db.engine) as connection:
        command.downgrade(migrate.alembic_config(connection), "0021")
    engine.close()
    again = Engine.open(home=home, runner="inline")
    try:
        [operation] = again.deployments.operations(analyst, deployment_id=deployment.id)
        assert (operation.result, operation.warnings) == ({"result": [1]}, ())
    finally:
        again.close()


def test_a_database_newer_than_the_code_is_refused(engine: Engine, home: Path) -> None:
    with engine.db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.close()
    with pytest.raises(CoreError, match=rf"revision 9999, newer than this DataML Studio knows \({migrate.head()}\)"):
        Engine.open(home=home, runner="inline")


def test_opening_a_current_workspace_changes_nothing(engine: Engine, admin: object, home: Path) -> None:
    engine.close()
    again = Engine.open(home=home, runner="inline")
    try:
        assert again.users.needs_bootstrap() is False
    finally:
        again.close()
