"""Versions of registered models: the trained models of its name (with the registry's anchor row once it has one)
and its uploaded skops files, each with notes and aliases."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.entities.registry import ModelVersion, RegisteredModel
from core.errors import NotFound
from core.storage.orm import FileRow, ModelFileRow, ModelRow, RegistryAliasRow, RegistryVersionRow, UserRow, name_key
from core.storage.repositories.registry import find_by_name, get_registered, owner_name


def _trained_version(
    row: ModelRow, owner: str, anchor: RegistryVersionRow | None, model: RegisteredModel, aliases: list[str]
) -> ModelVersion:
    details = row.details or {}
    return ModelVersion(
        id=row.id,
        model_id=model.id,
        name=model.name,
        version=row.version,
        origin="trained",
        kind=row.problem_type,
        description=anchor.description if anchor else "",
        tags=tuple(anchor.tags) if anchor else (),
        aliases=tuple(aliases),
        metrics=dict(row.metrics),
        estimator=str(details.get("chosen_family") or ""),
        features=tuple(f["name"] for f in row.schema.get("features", [])),
        file_id=None,
        owner=owner,
        created_at=row.created_at,
    )


def _uploaded_version(row: RegistryVersionRow, owner: str, model: RegisteredModel, aliases: list[str]) -> ModelVersion:
    return ModelVersion(
        id=row.id,
        model_id=model.id,
        name=model.name,
        version=row.version,
        origin="external",
        kind=model.kind,
        description=row.description,
        tags=tuple(row.tags),
        aliases=tuple(aliases),
        metrics={},
        estimator=str(row.details.get("estimator", "")),
        features=tuple(row.details.get("features") or model.metadata.features),
        file_id=row.file_id,
        owner=owner,
        created_at=row.created_at,
    )


def list_versions(session: Session, tenant_id: str, model: RegisteredModel) -> list[ModelVersion]:
    """Every version of the model, newest first: its trained models and its uploaded files."""
    aliases: dict[str, list[str]] = defaultdict(list)
    for alias, version_id in session.execute(
        select(RegistryAliasRow.alias, RegistryAliasRow.version_id)
        .where(RegistryAliasRow.registered_model_id == model.id)
        .order_by(RegistryAliasRow.alias)
    ):
        aliases[version_id].append(alias)
    registry = session.execute(
        select(RegistryVersionRow, UserRow.username)
        .join(UserRow, UserRow.id == RegistryVersionRow.owner_id)
        .where(RegistryVersionRow.registered_model_id == model.id, RegistryVersionRow.tenant_id == tenant_id)
    ).all()
    anchors = {row.model_id: row for row, _ in registry if row.model_id}
    trained = session.execute(
        select(ModelRow, UserRow.username)
        .join(UserRow, UserRow.id == ModelRow.owner_id)
        .where(ModelRow.tenant_id == tenant_id, ModelRow.name_key == name_key(model.name))
    ).all()
    versions = [_trained_version(row, owner, anchors.get(row.id), model, aliases[row.id]) for row, owner in trained]
    versions += [_uploaded_version(row, owner, model, aliases[row.id]) for row, owner in registry if row.file_id]
    return sorted(versions, key=lambda v: (v.version, v.created_at), reverse=True)


def trained_version(session: Session, tenant_id: str, model: RegisteredModel, model_id: str) -> ModelVersion | None:
    """The version of ``model`` a trained model is, as ``list_versions`` shows it, without building every other
    version (a problem crowns its champion after each of its tasks; None: not one of the model's versions)."""
    found = session.execute(
        select(ModelRow, UserRow.username)
        .join(UserRow, UserRow.id == ModelRow.owner_id)
        .where(ModelRow.id == model_id, ModelRow.tenant_id == tenant_id, ModelRow.name_key == name_key(model.name))
    ).first()
    if found is None:
        return None
    anchor = session.execute(
        select(RegistryVersionRow).where(
            RegistryVersionRow.model_id == model_id,
            RegistryVersionRow.registered_model_id == model.id,
            RegistryVersionRow.tenant_id == tenant_id,
        )
    ).scalar_one_or_none()
    row, owner = found
    return _trained_version(row, owner, anchor, model, _aliases_of(session, model, model_id))


def _uploaded_version_of(
    session: Session, tenant_id: str, model: RegisteredModel, version_id: str
) -> ModelVersion | None:
    """An uploaded version of ``model`` by id, as ``list_versions`` shows it (None: not one of its uploads)."""
    found = session.execute(
        select(RegistryVersionRow, UserRow.username)
        .join(UserRow, UserRow.id == RegistryVersionRow.owner_id)
        .where(
            RegistryVersionRow.id == version_id,
            RegistryVersionRow.registered_model_id == model.id,
            RegistryVersionRow.tenant_id == tenant_id,
            RegistryVersionRow.file_id.is_not(None),
        )
    ).first()
    if found is None:
        return None
    row, owner = found
    return _uploaded_version(row, owner, model, _aliases_of(session, model, version_id))


def _aliases_of(session: Session, model: RegisteredModel, version_id: str) -> list[str]:
    return list(
        session.scalars(
            select(RegistryAliasRow.alias)
            .where(RegistryAliasRow.registered_model_id == model.id, RegistryAliasRow.version_id == version_id)
            .order_by(RegistryAliasRow.alias)
        )
    )


def get_version(session: Session, tenant_id: str, version_id: str) -> tuple[RegisteredModel, ModelVersion]:
    """A version by id (a trained model's id, or an uploaded version's) with its registered model; only that version
    is built (a deployment looks up the version it serves at every call, and a model may have hundreds)."""
    row = session.get(RegistryVersionRow, version_id)
    if row is not None and row.tenant_id == tenant_id:
        model = get_registered(session, tenant_id, row.registered_model_id)
    else:
        trained = session.get(ModelRow, version_id)
        if trained is None or trained.tenant_id != tenant_id:
            raise NotFound("That model version does not exist.")
        found = find_by_name(session, tenant_id, trained.name)
        assert found is not None
        model = found
    version = trained_version(session, tenant_id, model, version_id) or _uploaded_version_of(
        session, tenant_id, model, version_id
    )
    if version is None:  # an id that names a registry row but no version of it
        raise NotFound("That model version does not exist.")
    return model, version


def ensure_version(
    session: Session, tenant_id: str, model: RegisteredModel, version: ModelVersion, owner_id: str
) -> None:
    """Store the anchor of a trained version that has none yet (after ``ensure_row``)."""
    if version.origin == "trained" and session.get(RegistryVersionRow, version.id) is None:
        session.add(
            RegistryVersionRow(
                id=version.id,
                tenant_id=tenant_id,
                registered_model_id=model.id,
                model_id=version.id,
                version=version.version,
                owner_id=owner_id,
            )
        )
        session.flush()


def add_uploaded_version(
    session: Session, *, tenant_id: str, model: RegisteredModel, file_id: str, owner_id: str, details: dict[str, Any]
) -> ModelVersion:
    """The next version of the model, held by an uploaded skops file; numbered after every version so far (a
    concurrent upload taking the same number fails the unique key: that upload is refused, nothing is kept)."""
    row = RegistryVersionRow(
        tenant_id=tenant_id,
        registered_model_id=model.id,
        file_id=file_id,
        version=(model.latest_version or 0) + 1,
        details=details,
        owner_id=owner_id,
    )
    session.add(row)
    session.flush()
    return _uploaded_version(row, owner_name(session, owner_id), model, [])


def set_notes(session: Session, version_id: str, *, description: str | None, tags: list[str] | None) -> None:
    row = session.get(RegistryVersionRow, version_id)
    assert row is not None  # ensure_version first
    if description is not None:
        row.description = description
    if tags is not None:
        row.tags = tags
    session.flush()


def version_file(session: Session, tenant_id: str, version_id: str) -> tuple[str, str] | None:
    """(storage key, sha256) of a version's model file: the uploaded skops file, or a trained model's pipeline."""
    uploaded = (
        select(FileRow.storage_key, FileRow.sha256)
        .join(RegistryVersionRow, RegistryVersionRow.file_id == FileRow.id)
        .where(RegistryVersionRow.id == version_id, FileRow.tenant_id == tenant_id)
    )
    trained = (
        select(FileRow.storage_key, FileRow.sha256)
        .join(ModelFileRow, ModelFileRow.file_id == FileRow.id)
        .where(ModelFileRow.model_id == version_id, ModelFileRow.role == "model", FileRow.tenant_id == tenant_id)
    )
    found = session.execute(uploaded).first() or session.execute(trained).first()
    return (found[0], found[1]) if found else None
