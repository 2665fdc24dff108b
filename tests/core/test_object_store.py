"""The file store on an object store (``DATAML_FILES_URL``), here a ``file:///`` URL through the same ``pyarrow.fs``
calls an ``s3://`` URL takes: what one engine (or Ray worker) writes, another with an empty cache reads."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from core import Engine, InvalidInput, TrainRequest
from core.config import Settings
from core.storage.object_store import ObjectFileStore
from tests.conftest import ADMIN_PASSWORD

TENANT = str(uuid.uuid4())


def test_what_one_store_writes_another_cache_reads_and_deletes(tmp_path: Path) -> None:
    url = (tmp_path / "bucket").as_uri()
    writer, reader = ObjectFileStore(url, tmp_path / "cache-a"), ObjectFileStore(url, tmp_path / "cache-b")
    stored = writer.put(TENANT, "data", b"a,b\n1,2\n")
    with writer.directory_writer(TENANT, "other") as (index_key, directory):
        (directory / "consensus.json").write_text("{}")
    assert reader.read(stored.storage_key) == b"a,b\n1,2\n"
    assert reader.describe(stored.storage_key) == stored
    assert (reader.path(index_key) / "consensus.json").read_text() == "{}"
    assert reader.usage() == (2, stored.size + 2)
    reader.delete(stored.storage_key)
    assert writer.usage() == (1, 2) and not (tmp_path / "bucket" / stored.storage_key).exists()


def test_a_failed_write_leaves_nothing_in_the_store_or_the_cache(tmp_path: Path) -> None:
    store = ObjectFileStore((tmp_path / "bucket").as_uri(), tmp_path / "cache")
    with pytest.raises(RuntimeError), store.writer(TENANT, "result") as (_, partial):
        partial.write_bytes(b"half")
        raise RuntimeError("the job failed")
    assert store.usage() == (0, 0) and not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert store.writable()


def test_only_object_store_urls_are_accepted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATAML_FILES_URL", "/a/local/path")
    with pytest.raises(InvalidInput):
        Settings.from_env(home=tmp_path)


def test_jobs_write_through_the_object_store_and_another_engine_reads_their_results(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATAML_FILES_URL", (tmp_path / "bucket").as_uri())
    eng = Engine.open(home=home, runner="inline")
    admin = eng.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
    iris = next(d for d in eng.datasets.load_samples(admin) if d.name == "iris")
    request = TrainRequest(dataset_id=iris.id, name="iris", target="species", time_budget_s=1, explain=False)
    model_id = str((eng.training.submit(admin, request).result or {})["model_id"])
    rows = eng.datasets.frame(admin, iris.id).drop(columns=["species"]).head(10)
    batch = eng.inference.predict_batch(admin, model_id, data=rows.to_csv(index=False).encode(), filename="b.csv")
    assert batch.status == "succeeded", batch.error
    url = eng.settings.database_url
    eng.close()

    other = Engine.open(home=tmp_path / "other", database_url=url, runner="inline")  # an empty cache
    actor = other.users.authenticate("admin", ADMIN_PASSWORD)
    assert not [p for p in (tmp_path / "other" / "files").rglob("*") if p.is_file()]
    scored = other.inference.batch_result(actor, batch.id)
    assert len(scored) == 10 and set(scored["prediction"]) <= {"setosa", "versicolor", "virginica"}
    assert len(other.datasets.frame(actor, iris.id)) == 150
    assert other.models.get(actor, model_id).id == model_id
    assert other.health.alive() and other.health.status(actor)["file_store"]["files"] > 3
    other.close()
