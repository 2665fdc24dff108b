"""Stored-file metadata rows (the bytes are in ``FileStore``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.entities import FileInfo
from core.errors import NotFound
from core.storage.files import StoredBytes
from core.storage.orm import FileRow, UserRow
from core.storage.orm.activity import FILE_NAME_LENGTH


def _info(row: FileRow, owner: str) -> FileInfo:
    return FileInfo(
        id=row.id,
        tenant_id=row.tenant_id,
        kind=row.kind,
        name=row.name,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        owner=owner,
        created_at=row.created_at,
    )


def add_file(
    session: Session,
    *,
    tenant_id: str,
    owner_id: str | None,
    kind: str,
    name: str,
    content_type: str,
    stored: StoredBytes,
) -> FileInfo:
    row = FileRow(
        tenant_id=tenant_id,
        owner_id=owner_id,
        kind=kind,
        name=_fitted(name),
        content_type=content_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.storage_key,
    )
    session.add(row)
    session.flush()
    return get_file(session, tenant_id, row.id)


def _fitted(name: str) -> str:
    """The name cut to its column's width, keeping the suffix: names made from names ('<input>-scored-<model>-v2.csv',
    '<upload stem>.parquet') can outgrow the 255 characters an upload's name is held to (Postgres refuses them)."""
    if len(name) <= FILE_NAME_LENGTH:
        return name
    stem, dot, suffix = name.rpartition(".")
    suffix = f"{dot}{suffix}" if stem and len(suffix) < 16 else ""
    return name[: FILE_NAME_LENGTH - len(suffix)] + suffix


def _query():  # type: ignore[no-untyped-def]
    return select(FileRow, UserRow.username).outerjoin(UserRow, UserRow.id == FileRow.owner_id)


def get_file(session: Session, tenant_id: str, file_id: str) -> FileInfo:
    found = session.execute(_query().where(FileRow.id == file_id, FileRow.tenant_id == tenant_id)).first()
    if found is None:
        raise NotFound("That file does not exist.")
    return _info(found[0], found[1] or "system")


def storage_key(session: Session, tenant_id: str, file_id: str) -> str:
    key = session.scalar(select(FileRow.storage_key).where(FileRow.id == file_id, FileRow.tenant_id == tenant_id))
    if key is None:
        raise NotFound("That file does not exist.")
    return key


def list_files(session: Session, tenant_id: str, *, kinds: list[str] | None = None) -> list[FileInfo]:
    query = _query().where(FileRow.tenant_id == tenant_id).order_by(FileRow.created_at.desc())
    if kinds:
        query = query.where(FileRow.kind.in_(kinds))
    return [_info(row, owner or "system") for row, owner in session.execute(query)]


def delete_file(session: Session, tenant_id: str, file_id: str) -> str:
    """Delete the row and return its storage key so the caller removes the bytes after commit."""
    row = session.scalar(select(FileRow).where(FileRow.id == file_id, FileRow.tenant_id == tenant_id))
    if row is None:
        raise NotFound("That file does not exist.")
    key = row.storage_key
    session.delete(row)
    session.flush()
    return key
