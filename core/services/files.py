"""Files of a tenant, addressed by id; names are metadata and never become paths."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import BinaryIO

from core.entities import Actor, FileInfo
from core.errors import InvalidInput
from core.services.base import Service, record, require
from core.storage.files import FILE_KINDS
from core.storage.repositories import files as repo

USER_KINDS = ("data", "model", "code", "environment", "other")


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

    def delete(self, actor: Actor, file_id: str) -> None:
        require(actor, "files:write")
        with self.db.session() as session:
            key = repo.delete_file(session, actor.tenant_id, file_id)
            record(session, actor, "file.deleted", "file", file_id)
        self.engine.store.delete(key)

    def _key(self, actor: Actor, file_id: str) -> str:
        with self.db.session() as session:
            return repo.storage_key(session, actor.tenant_id, file_id)
