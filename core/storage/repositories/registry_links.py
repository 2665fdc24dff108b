"""Aliases of registered models with the history of every move, and their data, code and environment files."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.entities.registry import AliasMove, Artifact
from core.storage.orm import (
    AliasMoveRow,
    DeploymentRow,
    FileRow,
    RegistryAliasRow,
    RegistryArtifactRow,
    RegistryVersionRow,
    UserRow,
)


def alias_target(session: Session, model_id: str, alias: str) -> str | None:
    """The version id the alias points at, or None."""
    row = session.get(RegistryAliasRow, (model_id, alias))
    return row.version_id if row else None


def _number(session: Session, version_id: str | None) -> int | None:
    return session.scalar(select(RegistryVersionRow.version).where(RegistryVersionRow.id == version_id))


def move_alias(session: Session, *, model_id: str, alias: str, version_id: str | None, user_id: str) -> bool:
    """Point ``alias`` at ``version_id`` (None: remove it) and record the move; False when nothing changed."""
    row = session.get(RegistryAliasRow, (model_id, alias))
    before = row.version_id if row else None
    if before == version_id:
        return False
    from_version, to_version = _number(session, before), _number(session, version_id)
    if row is not None and version_id is None:
        session.delete(row)
    elif row is not None:
        row.version_id = version_id  # type: ignore[assignment]
    else:
        session.add(RegistryAliasRow(registered_model_id=model_id, alias=alias, version_id=version_id))
    session.add(
        AliasMoveRow(
            registered_model_id=model_id,
            alias=alias,
            from_version=from_version,
            to_version=to_version,
            user_id=user_id,
        )
    )
    session.flush()
    return True


def alias_followers(session: Session, model_id: str, alias: str) -> list[str]:
    """Ids of the deployments following the alias."""
    query = select(DeploymentRow.id).where(DeploymentRow.registered_model_id == model_id, DeploymentRow.alias == alias)
    return list(session.scalars(query))


def alias_moves(session: Session, model_id: str, alias: str | None = None) -> list[AliasMove]:
    """Every move of the model's aliases (or of one), oldest first."""
    query = (
        select(AliasMoveRow, UserRow.username)
        .join(UserRow, UserRow.id == AliasMoveRow.user_id)
        .where(AliasMoveRow.registered_model_id == model_id)
        .order_by(AliasMoveRow.created_at, AliasMoveRow.id)
    )
    if alias is not None:
        query = query.where(AliasMoveRow.alias == alias)
    return [
        AliasMove(model_id, row.alias, row.from_version, row.to_version, user, row.created_at)
        for row, user in session.execute(query)
    ]


def add_artifact(session: Session, *, model_id: str, kind: str, file_id: str, owner_id: str) -> None:
    session.add(RegistryArtifactRow(registered_model_id=model_id, kind=kind, file_id=file_id, owner_id=owner_id))
    session.flush()


def list_artifacts(session: Session, model_id: str) -> list[Artifact]:
    """The model's files: each uploaded version's model file, and its data, code and environment files, newest
    first."""
    versions = session.execute(
        select(RegistryVersionRow, FileRow, UserRow.username)
        .join(FileRow, FileRow.id == RegistryVersionRow.file_id)
        .join(UserRow, UserRow.id == RegistryVersionRow.owner_id)
        .where(RegistryVersionRow.registered_model_id == model_id)
    )
    others = session.execute(
        select(RegistryArtifactRow, FileRow, UserRow.username)
        .join(FileRow, FileRow.id == RegistryArtifactRow.file_id)
        .join(UserRow, UserRow.id == RegistryArtifactRow.owner_id)
        .where(RegistryArtifactRow.registered_model_id == model_id)
    )
    found = [
        Artifact(row.id, model_id, "model", file.id, file.name, file.size, row.version, user, row.created_at)
        for row, file, user in versions
    ]
    found += [
        Artifact(row.id, model_id, row.kind, file.id, file.name, file.size, None, user, row.created_at)
        for row, file, user in others
    ]
    return sorted(found, key=lambda a: a.created_at, reverse=True)


def reference_file(session: Session, model_id: str) -> tuple[str, str, str] | None:
    """(file id, storage key, sha256) of the model's latest data artefact: its drift reference."""
    query = (
        select(FileRow.id, FileRow.storage_key, FileRow.sha256)
        .join(RegistryArtifactRow, RegistryArtifactRow.file_id == FileRow.id)
        .where(RegistryArtifactRow.registered_model_id == model_id, RegistryArtifactRow.kind == "data")
        .order_by(RegistryArtifactRow.created_at.desc(), RegistryArtifactRow.id)
        .limit(1)
    )
    found = session.execute(query).first()
    return (found[0], found[1], found[2]) if found else None
