"""Tenant-scoped file store: bytes live under ``files/<tenant>/<kind>/<uuid>``; names are metadata only."""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from core.errors import InvalidInput, TooLarge

FILE_KINDS = ("data", "dataset", "model", "result", "sample", "code", "environment", "other")
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredBytes:
    storage_key: str
    size: int
    sha256: str


class FileStore:
    """Writes are atomic (temporary file + rename); keys are generated here, never taken from users."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _new_key(self, tenant_id: str, kind: str) -> str:
        if kind not in FILE_KINDS:
            raise InvalidInput(f"Unknown file kind {kind!r}; use one of {', '.join(FILE_KINDS)}.")
        uuid.UUID(tenant_id)  # tenant ids are UUIDs; anything else must not become a path
        return f"{tenant_id}/{kind}/{uuid.uuid4()}"

    def path(self, storage_key: str) -> Path:
        """The absolute path of a stored key (for readers that want a path, e.g. Parquet)."""
        path = (self.root / storage_key).resolve()
        if self.root.resolve() not in path.parents:
            raise InvalidInput("That storage key is not valid.")
        return path

    @contextmanager
    def writer(self, tenant_id: str, kind: str) -> Iterator[tuple[str, Path]]:
        """Yield ``(key, temporary path)``; on success the file appears at the key, on error nothing does."""
        key = self._new_key(tenant_id, kind)
        final = self.path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(final.name + ".partial")
        try:
            yield key, tmp
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)

    @contextmanager
    def directory_writer(self, tenant_id: str, kind: str) -> Iterator[tuple[str, Path]]:
        """Yield ``(key, temporary directory)`` for an artefact made of several files (an index); on success
        the directory appears at the key in one rename, on error nothing does."""
        key = self._new_key(tenant_id, kind)
        final = self.path(key)
        tmp = final.with_name(final.name + ".partial")
        tmp.mkdir(parents=True)
        try:
            yield key, tmp
            os.replace(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def put(
        self, tenant_id: str, kind: str, data: bytes | BinaryIO | Path, max_bytes: int | None = None
    ) -> StoredBytes:
        """Store bytes, a readable binary stream or a server-side path the engine made itself."""
        digest, size = hashlib.sha256(), 0
        with self.writer(tenant_id, kind) as (key, tmp), open(tmp, "wb") as out:
            for chunk in _chunks(data):
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise TooLarge(f"The file is larger than the limit of {max_bytes // (1024 * 1024)} MB.")
                digest.update(chunk)
                out.write(chunk)
        return StoredBytes(storage_key=key, size=size, sha256=digest.hexdigest())

    def describe(self, storage_key: str) -> StoredBytes:
        path, digest = self.path(storage_key), hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                digest.update(chunk)
        return StoredBytes(storage_key=storage_key, size=path.stat().st_size, sha256=digest.hexdigest())

    def read(self, storage_key: str, limit: int | None = None) -> bytes:
        with open(self.path(storage_key), "rb") as handle:
            return handle.read() if limit is None else handle.read(limit)

    def delete(self, storage_key: str) -> None:
        path = self.path(storage_key)
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)

    def writable(self) -> bool:
        """The store accepts a write (the health page's check)."""
        probe = self.root / ".health"
        try:
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError:
            return False
        return True

    def usage(self) -> tuple[int, int]:
        """(number of files, total bytes) — for the health page."""
        count = total = 0
        for path in self.root.rglob("*"):
            if path.is_file():
                count, total = count + 1, total + path.stat().st_size
        return count, total


def _chunks(data: bytes | BinaryIO | Path) -> Iterator[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        view = memoryview(data)
        for start in range(0, len(view), _CHUNK):
            yield bytes(view[start : start + _CHUNK])
        return
    if isinstance(data, Path):
        with open(data, "rb") as handle:
            yield from iter(lambda: handle.read(_CHUNK), b"")
        return
    yield from iter(lambda: data.read(_CHUNK), b"")
