"""Files of a tenant, addressed by id; names are metadata and never become paths."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from core.datasets import read_table
from core.datasets.readers import CSV_SUFFIXES, PARQUET_SUFFIXES
from core.entities import Actor, FileInfo
from core.errors import Conflict, InvalidInput
from core.services.base import Service, record, require
from core.services.hidden import refuse_hidden_file
from core.storage.repositories import catalog as catalog_repo
from core.storage.repositories import dataset_files as dataset_repo
from core.storage.repositories import files as repo

USER_KINDS = ("data", "model", "code", "environment", "other")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp")  # no SVG: it can carry script
HEAD_BYTES = 64 * 1024
MAX_IMAGE_BYTES = 10 * 1024 * 1024
# Kinds whose bytes need more than files:read: a model file is a model download (as on the Models page), a
# submitted sample is attribution data (as on the Samples page).
KIND_PERMISSIONS = {"model": "models:download", "sample": "attribution:read"}


@dataclass(frozen=True)
class FilePreview:
    """What a page can show of a file without loading all of it.

    ``kind`` is "table" (``table`` holds the first rows), "text" (``text`` holds the head), "image"
    (``image`` holds the bytes) or "binary" (nothing to show); ``note`` says what was left out.
    """

    kind: str
    text: str | None = None
    table: pd.DataFrame | None = None
    image: bytes | None = None
    note: str = ""


def clean_name(filename: str) -> str:
    """Keep only the last path component and printable characters: a display name, nothing more."""
    name = Path(filename.replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable())[:255]
    if not name or name in (".", ".."):
        raise InvalidInput("The file needs a name.")
    return name


class FileService(Service):
    def add(self, actor: Actor, *, filename: str, data: bytes | BinaryIO, kind: str = "other") -> FileInfo:
        """Store an uploaded file (its bytes or an open stream) for the actor's tenant.

        A path is refused: it would let a caller copy any file of the server into the store. Services that
        keep their own files (datasets, models, results) write them through the file store and repositories.
        """
        require(actor, "files:write")
        if kind not in USER_KINDS:
            raise InvalidInput(f"Choose a file kind among {', '.join(USER_KINDS)}.")
        if not isinstance(data, bytes | bytearray | memoryview) and not hasattr(data, "read"):
            raise InvalidInput("Add a file as its bytes or an open stream, not as a path on the server.")
        name = clean_name(filename)
        stored = self.store.put(actor.tenant_id, kind, data, max_bytes=self.settings.max_upload_bytes)
        if stored.size == 0:
            self.store.delete(stored.storage_key)
            raise InvalidInput("The file is empty.")
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        try:
            with self.db.session() as session:
                info = repo.add_file(
                    session,
                    tenant_id=actor.tenant_id,
                    owner_id=actor.user_id,
                    kind=kind,
                    name=name,
                    content_type=content_type,
                    stored=stored,
                )
                record(session, actor, "file.added", "file", info.id, name=name, kind=kind, size=stored.size)
        except BaseException:
            self.store.delete(stored.storage_key)
            raise
        return info

    def list(self, actor: Actor, kinds: list[str] | None = None) -> list[FileInfo]:
        """The tenant's files, newest first; model files only for roles that may download models."""
        require(actor, "files:read")
        with self.db.session() as session:
            files = repo.list_files(session, actor.tenant_id, kinds=kinds)
        return [f for f in files if _may_read(actor, f)]

    def get(self, actor: Actor, file_id: str) -> FileInfo:
        require(actor, "files:read")
        with self.db.session() as session:
            return repo.get_file(session, actor.tenant_id, file_id)

    def download(self, actor: Actor, file_id: str) -> bytes:
        return self.store.read(self._readable(actor, file_id)[1])

    def head(self, actor: Actor, file_id: str, limit: int = 64 * 1024) -> bytes:
        """The first bytes, for previews."""
        return self.store.read(self._readable(actor, file_id)[1], limit=limit)

    def preview(self, actor: Actor, file_id: str, rows: int = 20) -> FilePreview:
        """The first rows of a CSV or Parquet file, the head of a text file, or an image.

        CSV heads go through the dataset readers (the same sniffing as an upload) on the first
        ``HEAD_BYTES``; Parquet reads only its first rows from the stored file. A file the readers cannot
        open is shown as "binary" with a note, so a damaged file can still be downloaded and deleted.
        """
        info, key = self._readable(actor, file_id)
        suffix = PurePath(info.name).suffix.lower()
        if suffix in PARQUET_SUFFIXES:
            return _parquet_head(self.store.path(key), rows)
        if info.content_type in IMAGE_TYPES:
            if info.size > MAX_IMAGE_BYTES:
                return FilePreview("binary", note=f"The image is larger than {MAX_IMAGE_BYTES >> 20} MB to show.")
            return FilePreview("image", image=self.store.read(key))
        head = self.store.read(key, limit=HEAD_BYTES)
        whole = info.size <= len(head)
        if suffix in CSV_SUFFIXES:
            table = _table_head(head, info.name, whole, rows)
            if table is not None:
                return FilePreview("table", table=table, note=f"First {len(table)} rows.")
        if b"\x00" in head:
            return FilePreview("binary", note="This is a binary file; download it to open it.")
        text = head.decode("utf-8", errors="replace")
        return FilePreview("text", text=text, note="" if whole else f"First {len(head) >> 10} KB.")

    def delete(self, actor: Actor, file_id: str) -> None:
        """Refused, naming the user, for a file that holds a dataset (any version) or is one of its files (see
        ``eng.dataset_files.delete_file``), that a model refers to (its pipeline,
        held-out predictions or SHAP values: the model would break) or that an unfinished job reads."""
        require(actor, "files:write")
        try:
            with self.db.session() as session:
                info = repo.get_file(session, actor.tenant_id, file_id)
                held = dataset_repo.version_holding(session, actor.tenant_id, file_id)
                if held:
                    raise Conflict(
                        f"The file {info.name!r} holds the dataset {held[0]!r} (version {held[1]}); delete the "
                        "dataset on the Datasets page instead."
                    )
                if dataset_repo.part_of_file(session, actor.tenant_id, file_id):
                    raise Conflict(
                        f"The file {info.name!r} is a file of a dataset: eng.dataset_files.remove takes it out (a "
                        "new version)."
                    )
                models = catalog_repo.models_using_file(session, actor.tenant_id, file_id)
                if models:
                    raise Conflict(
                        f"The file {info.name!r} belongs to the model {models[0]}; delete the model on the Models "
                        "page instead."
                    )
                jobs = catalog_repo.jobs_using(session, actor.tenant_id, files=[file_id])
                if jobs:
                    raise Conflict(
                        f"The file {info.name!r} is used by an unfinished job ({jobs[0]}); try again when it finishes."
                    )
                key = repo.delete_file(session, actor.tenant_id, file_id)
                record(session, actor, "file.deleted", "file", file_id, name=info.name)
        except Conflict as exc:
            if exc.details is None:  # one of the refusals above
                raise
            # a foreign key: another record (an attribution sample, a link made meanwhile) still points at the file
            raise Conflict(
                f"The file {info.name!r} is still used (by a sample or a result); delete that first.", exc.details
            ) from exc
        self.store.delete(key)

    def _readable(self, actor: Actor, file_id: str) -> tuple[FileInfo, str]:
        """The file and its storage key, once the actor may read its bytes."""
        require(actor, "files:read")
        with self.db.session() as session:
            return self._readable_in(session, actor, file_id)

    def _readable_in(self, session: Session, actor: Actor, file_id: str) -> tuple[FileInfo, str]:
        info = repo.get_file(session, actor.tenant_id, file_id)
        if not _may_read(actor, info):
            require(actor, KIND_PERMISSIONS[info.kind])
        refuse_hidden_file(session, actor, info.id)
        return info, repo.storage_key(session, actor.tenant_id, file_id)


def _may_read(actor: Actor, info: FileInfo) -> bool:
    needed = KIND_PERMISSIONS.get(info.kind)
    return needed is None or actor.can(needed)


def _parquet_head(path: Path, rows: int) -> FilePreview:
    """The first ``rows`` of a stored Parquet file, or a note when it cannot be read."""
    try:
        with pq.ParquetFile(path) as parquet:
            batch = next(parquet.iter_batches(batch_size=rows), None)
            total = parquet.metadata.num_rows
            frame = batch.to_pandas() if batch is not None else pd.DataFrame()
    except (pa.ArrowException, OSError):
        return FilePreview(
            "binary", note="This is not a readable Parquet file (it may be damaged); download it to inspect it."
        )
    return FilePreview("table", table=frame, note=f"First {len(frame)} of {total:,} rows.")


def _table_head(head: bytes, filename: str, whole: bool, rows: int) -> pd.DataFrame | None:
    """The first rows of a CSV head (its last, maybe cut, line dropped), or None when it is not a table."""
    if not whole and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]
    try:
        return read_table(head, filename).slice(0, rows).to_pandas()
    except InvalidInput:
        return None
