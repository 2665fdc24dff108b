"""``ObjectFileStore``: the file store on an object store (``DATAML_FILES_URL``: ``s3://bucket/prefix`` for any
S3-compatible service, through ``pyarrow.fs``; ``file:///...`` for a directory), so Ray workers on other machines
share files without a shared mount.

It is a ``FileStore`` whose root is a local cache: writes happen there as before (temporary file, rename), then
the finished file or directory is uploaded; ``path`` downloads a key not cached yet. Keys are written once and never
change, so a cached copy is never stale. S3 credentials come from the usual ``AWS_*`` variables (never logged);
``?endpoint_override=host:port&scheme=http`` in the URL points at a MinIO or other S3-compatible server.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pyarrow import fs

from core.storage.files import FileStore


class ObjectFileStore(FileStore):
    def __init__(self, url: str, cache: Path) -> None:
        super().__init__(cache)
        self.remote, base = fs.FileSystem.from_uri(url)
        self.base = base.rstrip("/")
        self._local = fs.LocalFileSystem()

    def _remote_path(self, storage_key: str) -> str:
        return f"{self.base}/{storage_key}"

    def _upload(self, storage_key: str) -> None:
        local, remote = FileStore.path(self, storage_key), self._remote_path(storage_key)
        try:
            _copy(self._local, str(local), self.remote, remote)
        except BaseException:
            FileStore.delete(self, storage_key)  # not stored: no cached copy either
            raise

    @contextmanager
    def writer(self, tenant_id: str, kind: str) -> Iterator[tuple[str, Path]]:
        with super().writer(tenant_id, kind) as (key, tmp):
            yield key, tmp
        self._upload(key)

    @contextmanager
    def directory_writer(self, tenant_id: str, kind: str) -> Iterator[tuple[str, Path]]:
        with super().directory_writer(tenant_id, kind) as (key, tmp):
            yield key, tmp
        self._upload(key)

    def path(self, storage_key: str) -> Path:
        """The cached copy of a key, downloaded first if needed (a directory key: the whole directory)."""
        local = super().path(storage_key)
        if not local.exists():
            info = self.remote.get_file_info(self._remote_path(storage_key))
            if info.type == fs.FileType.NotFound:
                return local  # readers fail as they would on a missing local file
            partial = local.with_name(local.name + f".download-{os.getpid()}")
            partial.parent.mkdir(parents=True, exist_ok=True)
            try:
                _copy(self.remote, self._remote_path(storage_key), self._local, str(partial))
                os.replace(partial, local)
            finally:
                if partial.is_dir():
                    shutil.rmtree(partial, ignore_errors=True)
                else:
                    partial.unlink(missing_ok=True)
        return local

    def delete(self, storage_key: str) -> None:
        remote = self._remote_path(storage_key)
        info = self.remote.get_file_info(remote)
        if info.type == fs.FileType.Directory:
            self.remote.delete_dir(remote)
        elif info.type == fs.FileType.File:
            self.remote.delete_file(remote)
        super().delete(storage_key)

    def usage(self) -> tuple[int, int]:
        found = self.remote.get_file_info(fs.FileSelector(self.base, recursive=True, allow_not_found=True))
        files = [info for info in found if info.type == fs.FileType.File]
        return len(files), sum(info.size or 0 for info in files)

    def writable(self) -> bool:
        probe = self._remote_path(".health")
        try:
            self.remote.create_dir(self.base, recursive=True)
            with self.remote.open_output_stream(probe) as out:
                out.write(b"ok")
            self.remote.delete_file(probe)
        except OSError:
            return False
        return True


def _copy(source: fs.FileSystem, path: str, destination: fs.FileSystem, target: str) -> None:
    """Copy a file, or a directory file by file, creating the folders a local destination needs."""
    info = source.get_file_info(path)
    files = [info] if info.type == fs.FileType.File else source.get_file_info(fs.FileSelector(path, recursive=True))
    for item in files:
        if item.type != fs.FileType.File:
            continue
        into = target + item.path[len(path) :]
        destination.create_dir(into.rsplit("/", 1)[0], recursive=True)
        fs.copy_files(item.path, into, source_filesystem=source, destination_filesystem=destination)
