"""Files of a tenant, addressed by id; names are metadata and never become paths."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import BinaryIO

import pandas as pd
import pyarrow.parquet as pq

from core.datasets import read_table
from core.datasets.readers import CSV_SUFFIXES, PARQUET_SUFFIXES
from core.entities import Actor, FileInfo
from core.errors import Conflict, InvalidInput
from core.services.base import Service, record, require
from core.storage.files import FILE_KINDS
from core.storage.repositories import catalog as catalog_repo
from core.storage.repositories import files as repo

USER_KINDS = ("data", "model", "code", "environment", "other")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp")  # no SVG: it can carry script
HEAD_BYTES = 64 * 1024
MAX_IMAGE_BYTES = 10 * 1024 * 1024


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
        require(actor, "files:write")
        if kind not in USER_KINDS:
            raise InvalidInput(f"Choose a file kind among {', '.join(USER_KINDS)}.")
        info = self.store(actor, filename=filename, data=data, kind=kind)
        return info

    def store(self, actor: Actor, *, filename: str, data: bytes | BinaryIO | Path, kind: str) -> FileInfo:
        """Store bytes as a file of the actor's tenant (services use this for datasets, models, results)."""
        if kind not in FILE_KINDS:
            raise InvalidInput(f"Unknown file kind {kind!r}.")
        name = clean_name(filename)
        stored = self.engine.store.put(actor.tenant_id, kind, data, max_bytes=self.engine.settings.max_upload_bytes)
        if stored.size == 0:
            self.engine.store.delete(stored.storage_key)
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
            self.engine.store.delete(stored.storage_key)
            raise
        return info

    def list(self, actor: Actor, kinds: list[str] | None = None) -> list[FileInfo]:
        require(actor, "files:read")
        with self.db.session() as session:
            return repo.list_files(session, actor.tenant_id, kinds=kinds)

    def get(self, actor: Actor, file_id: str) -> FileInfo:
        require(actor, "files:read")
        with self.db.session() as session:
            return repo.get_file(session, actor.tenant_id, file_id)

    def download(self, actor: Actor, file_id: str) -> bytes:
        require(actor, "files:read")
        return self.engine.store.read(self._key(actor, file_id))

    def head(self, actor: Actor, file_id: str, limit: int = 64 * 1024) -> bytes:
        """The first bytes, for previews."""
        require(actor, "files:read")
        return self.engine.store.read(self._key(actor, file_id), limit=limit)

    def preview(self, actor: Actor, file_id: str, rows: int = 20) -> FilePreview:
        """The first rows of a CSV or Parquet file, the head of a text file, or an image.

        CSV heads go through the dataset readers (the same sniffing as an upload) on the first
        ``HEAD_BYTES``; Parquet reads only its first rows from the stored file.
        """
        info = self.get(actor, file_id)
        suffix = PurePath(info.name).suffix.lower()
        if suffix in PARQUET_SUFFIXES:
            with pq.ParquetFile(self.engine.store.path(self._key(actor, file_id))) as parquet:
                batch = next(parquet.iter_batches(batch_size=rows), None)
                total = parquet.metadata.num_rows
            frame = batch.to_pandas() if batch is not None else pd.DataFrame()
            return FilePreview("table", table=frame, note=f"First {len(frame)} of {total:,} rows.")
        if info.content_type in IMAGE_TYPES:
            if info.size > MAX_IMAGE_BYTES:
                return FilePreview("binary", note=f"The image is larger than {MAX_IMAGE_BYTES >> 20} MB to show.")
            return FilePreview("image", image=self.download(actor, file_id))
        head = self.head(actor, file_id, limit=HEAD_BYTES)
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
        """Refused (naming the dataset) for a file that holds a dataset, and for files a model still uses."""
        require(actor, "files:write")
        with self.db.session() as session:
            info = repo.get_file(session, actor.tenant_id, file_id)
            holders = [d.name for d in catalog_repo.list_datasets(session, actor.tenant_id) if d.file_id == file_id]
        if holders:
            raise Conflict(f"The file {info.name!r} holds the dataset {holders[0]!r}; delete the dataset on the "
                           "Datasets page instead.")
        try:
            with self.db.session() as session:
                key = repo.delete_file(session, actor.tenant_id, file_id)
                record(session, actor, "file.deleted", "file", file_id, name=info.name)
        except Conflict as exc:  # a foreign key: a model or another record still points at the file
            raise Conflict(f"The file {info.name!r} is still used (by a model or a result); delete that first.",
                           exc.details) from exc
        self.engine.store.delete(key)

    def _key(self, actor: Actor, file_id: str) -> str:
        with self.db.session() as session:
            return repo.storage_key(session, actor.tenant_id, file_id)


def _table_head(head: bytes, filename: str, whole: bool, rows: int) -> pd.DataFrame | None:
    """The first rows of a CSV head (its last, maybe cut, line dropped), or None when it is not a table."""
    if not whole and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]
    try:
        return read_table(head, filename).slice(0, rows).to_pandas()
    except InvalidInput:
        return None
