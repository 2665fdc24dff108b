"""Files a job writes before the database row that refers to them exists.

Bytes are written atomically first; their file rows are added in the same transaction as the row that uses
them (a model, its importance). If anything fails or the job is cancelled before that commit, the bytes are
removed again, so a cancelled job leaves no file behind."""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from core.entities import Actor, FileInfo
from core.storage.files import FileStore, StoredBytes
from core.storage.repositories import files as file_repo

PARQUET = "application/vnd.apache.parquet"


@dataclass(frozen=True)
class _Pending:
    stored: StoredBytes  # key, size and digest (bytes given are hashed as they are written, not read back)
    kind: str
    name: str
    content_type: str


class PendingFiles:
    """``with PendingFiles(store, actor) as files:`` write, then ``register`` inside the committing session."""

    def __init__(self, store: FileStore, actor: Actor) -> None:
        self.store, self.actor = store, actor
        self._pending: list[_Pending] = []

    def add_bytes(self, data: bytes, *, kind: str, name: str, content_type: str = "application/octet-stream") -> None:
        self._pending.append(_Pending(self.store.put(self.actor.tenant_id, kind, data), kind, name, content_type))

    def add_parquet(self, frame: pd.DataFrame, *, name: str) -> None:
        with self.store.writer(self.actor.tenant_id, "result") as (key, tmp):
            pq.write_table(pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False), tmp)
        self._pending.append(_Pending(self.store.describe(key), "result", name, PARQUET))

    def register(self, session: Session) -> list[FileInfo]:
        """File rows for everything written, in the order written."""
        return [
            file_repo.add_file(
                session,
                tenant_id=self.actor.tenant_id,
                owner_id=self.actor.user_id,
                kind=p.kind,
                name=p.name,
                content_type=p.content_type,
                stored=p.stored,
            )
            for p in self._pending
        ]

    def __enter__(self) -> PendingFiles:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is not None:
            for pending in self._pending:
                self.store.delete(pending.stored.storage_key)
