"""Files: add with a kind, list, previews (text, table, image), download by id, delete; names stay metadata.

Model files are read like model downloads, and files a model or an unfinished job uses cannot be deleted."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.datasets import load_iris
from sqlalchemy import func, select, update

from core import Actor, Conflict, Engine, InvalidInput, JobStatus, NotFound, PermissionDenied
from core.entities import Model, TrainRequest
from core.storage.orm import JobRow, ModelFileRow, ModelRow
from core.storage.repositories import files as file_repo
from core.storage.repositories import jobs as job_repo
from tests.conftest import make_user
from tests.core.test_datasets_service import footprint
from tests.core.test_training_service import csv, model_id


def _png() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def test_add_list_download_delete(engine: Engine, analyst: Actor) -> None:
    before = footprint(engine)
    info = engine.files.add(analyst, filename="notes.txt", data=b"hello", kind="code")
    assert (info.name, info.kind, info.size, info.owner, info.content_type) == (
        "notes.txt",
        "code",
        5,
        "ana",
        "text/plain",
    )
    assert [f.id for f in engine.files.list(analyst)] == [info.id]
    assert [f.id for f in engine.files.list(analyst, kinds=["data"])] == []
    assert engine.files.download(analyst, info.id) == b"hello"
    engine.files.delete(analyst, info.id)
    assert footprint(engine) == before
    with pytest.raises(NotFound):
        engine.files.download(analyst, info.id)


def test_path_like_names_are_metadata_only(engine: Engine, admin: Actor) -> None:
    info = engine.files.add(admin, filename="../../etc/passwd", data=b"x", kind="other")
    assert info.name == "passwd"
    stored = [p for p in engine.settings.files_dir.rglob("*") if p.is_file()]
    assert len(stored) == 1 and stored[0].name != "passwd"
    assert engine.settings.files_dir in stored[0].parents


@pytest.mark.parametrize(
    ("filename", "data", "kind", "message"),
    [
        ("empty.txt", b"", "data", "empty"),
        ("a.txt", b"x", "dataset", "Choose a file kind"),
        ("", b"x", "data", "needs a name"),
    ],
)
def test_bad_additions_are_refused_and_leave_nothing(
    engine: Engine, admin: Actor, filename: str, data: bytes, kind: str, message: str
) -> None:
    before = footprint(engine)
    with pytest.raises(InvalidInput, match=message):
        engine.files.add(admin, filename=filename, data=io.BytesIO(data), kind=kind)
    assert footprint(engine) == before


def test_csv_preview_is_a_table_read_from_the_head(engine: Engine, admin: Actor) -> None:
    rows = "".join(f"{i};name {i};{i / 2}\n" for i in range(20_000))  # > 64 KB: only the head is read
    info = engine.files.add(admin, filename="big.csv", data=("id;name;half\n" + rows).encode(), kind="data")
    preview = engine.files.preview(admin, info.id, rows=10)
    assert preview.kind == "table" and preview.table is not None
    assert list(preview.table.columns) == ["id", "name", "half"]
    assert preview.table["id"].tolist() == list(range(10))


def test_parquet_preview_reads_the_first_rows(engine: Engine, admin: Actor, tmp_path: Path) -> None:
    out = io.BytesIO()
    pq.write_table(pa.table({"n": list(range(1000)), "s": [str(i) for i in range(1000)]}), out)
    info = engine.files.add(admin, filename="t.parquet", data=out.getvalue(), kind="data")
    preview = engine.files.preview(admin, info.id, rows=5)
    assert preview.kind == "table" and preview.table is not None
    assert preview.table["n"].tolist() == [0, 1, 2, 3, 4]
    assert "1,000" in preview.note


def test_text_image_and_binary_previews(engine: Engine, admin: Actor) -> None:
    text = engine.files.add(admin, filename="train.py", data=b"print('hi')\n" * 10_000, kind="code")
    preview = engine.files.preview(admin, text.id)
    assert (
        preview.kind == "text"
        and preview.text is not None
        and preview.text.startswith("print('hi')")
        and "First 64 KB" in preview.note
    )

    image = engine.files.add(admin, filename="logo.png", data=_png(), kind="other")
    assert engine.files.preview(admin, image.id).image == _png()

    blob = engine.files.add(admin, filename="model.bin", data=b"\x00\x01\x02" * 10, kind="model")
    assert engine.files.preview(admin, blob.id).kind == "binary"

    not_csv = engine.files.add(admin, filename="odd.csv", data=b"\x00\x00junk", kind="data")
    assert engine.files.preview(admin, not_csv.id).kind == "binary"


def test_file_holding_a_dataset_cannot_be_deleted_here(engine: Engine, admin: Actor) -> None:
    dataset = engine.datasets.upload(admin, name="orders", filename="o.csv", data=b"a\n1\n")
    with pytest.raises(Conflict, match="holds the dataset 'orders'"):
        engine.files.delete(admin, dataset.file_id)
    assert engine.datasets.preview(admin, dataset.id)["a"].tolist() == [1]


def test_other_tenant_cannot_see_or_delete_files(engine: Engine, admin: Actor, outsider: Actor) -> None:
    info = engine.files.add(admin, filename="a.txt", data=b"a", kind="data")
    for call in (engine.files.get, engine.files.download, engine.files.preview, engine.files.delete):
        with pytest.raises(NotFound):
            call(outsider, info.id)
    assert engine.files.list(outsider) == []


def test_only_the_write_permission_adds_files_and_never_from_a_server_path(
    engine: Engine, analyst: Actor, viewer: Actor, tmp_path: Path
) -> None:
    secret = tmp_path / "hostname"
    secret.write_bytes(b"server-only")
    before = footprint(engine)
    with pytest.raises(PermissionDenied):
        engine.files.add(viewer, filename="hostname", data=b"x", kind="model")
    for data in (secret, str(secret)):
        with pytest.raises(InvalidInput, match="not as a path"):
            engine.files.add(analyst, filename="hostname", data=data, kind="model")  # type: ignore[arg-type]
    assert footprint(engine) == before
    assert not callable(
        getattr(engine.files, "store", None)
    )  # services keep their own files; no public method stores a path


def test_damaged_parquet_preview_is_a_note_and_the_file_can_still_be_deleted(engine: Engine, admin: Actor) -> None:
    before = footprint(engine)
    info = engine.files.add(admin, filename="broken.parquet", data=b"PAR1 this is not parquet PAR1", kind="data")
    preview = engine.files.preview(admin, info.id)
    assert (preview.kind, preview.table) == ("binary", None) and "not a readable Parquet file" in preview.note
    engine.files.delete(admin, info.id)
    assert footprint(engine) == before


def test_file_an_unfinished_job_reads_cannot_be_deleted(engine: Engine, admin: Actor) -> None:
    info = engine.files.add(admin, filename="score.csv", data=b"a\n1\n", kind="data")
    with engine.db.session() as session:
        job = job_repo.create_job(
            session,
            tenant_id=admin.tenant_id,
            owner_id=admin.user_id,
            kind="batch_predict",
            title="Score score.csv",
            params={"input_file_id": info.id},
            files=[info.id],
        )
        session.execute(update(JobRow).where(JobRow.id == job.id).values(status="running"))
    with pytest.raises(Conflict, match=r"unfinished job \(Score score.csv\)"):
        engine.files.delete(admin, info.id)
    with engine.db.session() as session:
        job_repo.finish(session, job.id, JobStatus.SUCCEEDED)
    engine.files.delete(admin, info.id)
    assert engine.files.list(admin) == []


def test_model_delete_removes_its_linked_files(engine: Engine, admin: Actor) -> None:
    """A model row and the files linked to it go together; a linked file cannot go first."""
    dataset = engine.datasets.upload(admin, name="orders", filename="o.csv", data=b"a\n1\n")
    before = footprint(engine)
    holdout = engine.files.add(admin, filename="holdout.parquet", data=b"held out", kind="data")
    with engine.db.session() as session:
        row = ModelRow(
            tenant_id=admin.tenant_id,
            owner_id=admin.user_id,
            name="m",
            version=1,
            problem_type="regression",
            dataset_id=dataset.id,
            target="a",
            schema={"features": [], "target": "a", "problem_type": "regression"},
            metrics={},
            details={},
        )
        session.add(row)
        session.flush()
        session.add(ModelFileRow(model_id=row.id, role="holdout", file_id=holdout.id))
        model = row.id
    with pytest.raises(Conflict, match="belongs to the model m v1"):
        engine.files.delete(admin, holdout.id)
    engine.models.delete(admin, model)
    assert footprint(engine) == before
    with engine.db.session() as session:
        assert session.scalar(select(func.count()).select_from(ModelRow)) == 0


def _trained(engine: Engine, admin: Actor) -> Model:
    """A real iris classifier with its skops pipeline, held-out predictions and SHAP values files."""
    iris = load_iris(as_frame=True)
    flowers = iris.frame.assign(species=iris.target_names[iris.target]).drop(columns="target")
    dataset = engine.datasets.upload(admin, name="iris", filename="iris.csv", data=csv(flowers))
    job = engine.training.submit(
        admin, TrainRequest(dataset_id=dataset.id, name="iris", target="species", time_budget_s=2)
    )
    return engine.models.get(admin, model_id(job))


def test_files_a_model_refers_to_are_refused_naming_the_model(engine: Engine, admin: Actor) -> None:
    model = _trained(engine, admin)
    used = [model.files[role] for role in ("model", "holdout", "importance", "background")]
    for file_id in used:
        with pytest.raises(Conflict, match="belongs to the model iris v1"):
            engine.files.delete(admin, file_id)
    assert len(engine.files.list(admin)) == 6  # dataset and its original, pipeline, held-out, SHAP, background
    confusion = engine.models.summary(admin, model.id).confusion
    assert confusion is not None and confusion.to_numpy().sum() == 30
    assert engine.models.importance(admin, model.id) is not None


def test_model_files_need_the_model_download_permission(
    engine: Engine, admin: Actor, analyst: Actor, viewer: Actor
) -> None:
    model = _trained(engine, admin)
    for read in (engine.files.download, engine.files.head, engine.files.preview):
        with pytest.raises(PermissionDenied, match="download model files"):
            read(viewer, str(model.file_id))
    assert model.file_id not in {f.id for f in engine.files.list(viewer)}
    assert len(engine.files.list(viewer)) == 5  # the dataset, its original and the three result files stay visible
    assert engine.files.download(analyst, str(model.file_id)) == engine.models.download(analyst, model.id)


def test_submitted_samples_need_the_attribution_read_permission(engine: Engine, admin: Actor) -> None:
    engine.users.create_role(admin, "archivist", ["files:read"])
    archivist = make_user(engine, admin, "archie", "archivist")
    stored = engine.store.put(admin.tenant_id, "sample", b"a submitted binary")  # as attribution.submit keeps it
    with engine.db.session() as session:
        file_id = file_repo.add_file(
            session,
            tenant_id=admin.tenant_id,
            owner_id=admin.user_id,
            kind="sample",
            name="sample.bin",
            content_type="application/octet-stream",
            stored=stored,
        ).id
    assert file_id not in {f.id for f in engine.files.list(archivist)}
    with pytest.raises(PermissionDenied, match="attribution"):
        engine.files.download(archivist, file_id)
    assert engine.files.download(admin, file_id) == b"a submitted binary"
