"""Files: add with a kind, list, previews (text, table, image), download by id, delete; names stay metadata."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core import Actor, Conflict, Engine, InvalidInput, NotFound
from core.storage.orm import ModelRow
from tests.core.test_datasets_service import footprint


def _png() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + \
        chunk(b"IEND", b"")


def test_add_list_download_delete(engine: Engine, analyst: Actor) -> None:
    before = footprint(engine)
    info = engine.files.add(analyst, filename="notes.txt", data=b"hello", kind="code")
    assert (info.name, info.kind, info.size, info.owner, info.content_type) == (
        "notes.txt", "code", 5, "ana", "text/plain")
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


@pytest.mark.parametrize(("filename", "data", "kind", "message"), [
    ("empty.txt", b"", "data", "empty"),
    ("a.txt", b"x", "dataset", "Choose a file kind"),
    ("", b"x", "data", "needs a name"),
])
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
    assert preview.kind == "table"
    assert list(preview.table.columns) == ["id", "name", "half"]
    assert preview.table["id"].tolist() == list(range(10))


def test_parquet_preview_reads_the_first_rows(engine: Engine, admin: Actor, tmp_path: Path) -> None:
    out = io.BytesIO()
    pq.write_table(pa.table({"n": list(range(1000)), "s": [str(i) for i in range(1000)]}), out)
    info = engine.files.add(admin, filename="t.parquet", data=out.getvalue(), kind="data")
    preview = engine.files.preview(admin, info.id, rows=5)
    assert (preview.kind, preview.table["n"].tolist()) == ("table", [0, 1, 2, 3, 4])
    assert "1,000" in preview.note


def test_text_image_and_binary_previews(engine: Engine, admin: Actor) -> None:
    text = engine.files.add(admin, filename="train.py", data=b"print('hi')\n" * 10_000, kind="code")
    preview = engine.files.preview(admin, text.id)
    assert preview.kind == "text" and preview.text.startswith("print('hi')") and "First 64 KB" in preview.note

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


def test_file_a_model_points_at_cannot_be_deleted(engine: Engine, admin: Actor) -> None:
    dataset = engine.datasets.upload(admin, name="orders", filename="o.csv", data=b"a\n1\n")
    info = engine.files.add(admin, filename="model.skops", data=b"model bytes", kind="model")
    with engine.db.session() as session:
        session.add(ModelRow(tenant_id=admin.tenant_id, owner_id=admin.user_id, name="m", version=1,
                             problem_type="regression", dataset_id=dataset.id, file_id=info.id, target="a",
                             schema={}, metrics={}, details={}))
    with pytest.raises(Conflict, match="still used"):
        engine.files.delete(admin, info.id)
    assert engine.files.download(admin, info.id) == b"model bytes"
