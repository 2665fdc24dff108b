"""Schema migrations: head equals the ORM, older workspaces are upgraded on open, newer ones refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from core import CoreError, Engine, JobStatus
from core.storage import migrate
from core.storage.orm import Base
from tests.conftest import isolated_database
from tests.core import legacy_workspace as legacy


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
