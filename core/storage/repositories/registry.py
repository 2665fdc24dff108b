"""Registered models and their versions, derived from the trained models of a name plus what the registry stores.

A name with trained versions is a registered model whether or not it has a ``registered_models`` row; its id is
derived from the tenant and the name (``registry_id``), so it is stable before anything is stored and the row,
once made, keeps it. Metadata nobody declared for a trained model is read from its latest version."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.entities.registry import ModelMetadata, RegisteredModel
from core.errors import NotFound
from core.storage.orm import (
    DeploymentRow,
    ModelRow,
    RegisteredModelRow,
    RegistryAliasRow,
    RegistryArtifactRow,
    RegistryVersionRow,
    UserRow,
    name_key,
)

_NAMESPACE = uuid.UUID("5b0d1f5e-7d4b-4c55-9a37-2f0f4b6c1e10")


def registry_id(tenant_id: str, name: str) -> str:
    """The registered model id of ``name`` in the tenant (the same before and after its row exists)."""
    return str(uuid.uuid5(_NAMESPACE, f"{tenant_id}/{name_key(name)}"))


@dataclass(frozen=True)
class _Trained:
    """One version of a trained predictor, as the registry lists it (no schema or leaderboard)."""

    id: str
    name: str
    key: str
    version: int
    problem_type: str
    owner: str
    created_at: datetime


def _trained(session: Session, tenant_id: str, key: str | None = None) -> dict[str, list[_Trained]]:
    """name key → its trained versions, newest first."""
    query = (
        select(ModelRow.id, ModelRow.name, ModelRow.name_key, ModelRow.version, ModelRow.problem_type)
        .add_columns(UserRow.username, ModelRow.created_at)
        .join(UserRow, UserRow.id == ModelRow.owner_id)
        .where(ModelRow.tenant_id == tenant_id)
        .order_by(ModelRow.name_key, ModelRow.version.desc())
    )
    if key is not None:
        query = query.where(ModelRow.name_key == key)
    found: dict[str, list[_Trained]] = defaultdict(list)
    for row in session.execute(query):
        found[row.name_key].append(_Trained(*row))
    return found


def _derived(session: Session, latest: _Trained) -> dict[str, Any]:
    """Metadata of a trained predictor nobody declared: from its latest version."""
    row = session.get(ModelRow, latest.id)
    assert row is not None
    board = (row.details or {}).get("leaderboard") or [{}]
    features = [f["name"] for f in row.schema.get("features", [])] or [row.schema.get("time_column", "")]
    return {
        "hyperparameters": {
            "algorithm": (row.details or {}).get("chosen_family", ""),
            "params": board[0].get("params"),
        },
        "performance": [
            {"metric": metric, "order": n, "threshold": value}
            for n, (metric, value) in enumerate(row.metrics.items(), start=1)
            if value is not None
        ],
        "features": [f for f in features if f],
    }


def owner_name(session: Session, user_id: str) -> str:
    return session.scalar(select(UserRow.username).where(UserRow.id == user_id)) or "unknown"


def _entities(
    session: Session, tenant_id: str, rows: Iterable[RegisteredModelRow], trained: dict[str, list[_Trained]]
) -> list[RegisteredModel]:
    """Entities of the stored rows and of the trained names without one, by name."""
    stored = {row.name_key: row for row in rows}
    keys = sorted(set(stored) | set(trained))
    ids = {k: stored[k].id if k in stored else registry_id(tenant_id, trained[k][0].name) for k in keys}
    uploaded = _external_versions(session, [stored[k].id for k in keys if k in stored])
    aliases: dict[str, dict[str, int]] = defaultdict(dict)
    query = (
        select(RegistryAliasRow.registered_model_id, RegistryAliasRow.alias, RegistryVersionRow.version)
        .join(RegistryVersionRow, RegistryVersionRow.id == RegistryAliasRow.version_id)
        .where(RegistryAliasRow.registered_model_id.in_(list(ids.values())))
        .order_by(RegistryAliasRow.alias)
    )
    for model_id, alias, number in session.execute(query):
        aliases[model_id][alias] = number
    deployed = dict(
        session.execute(
            select(DeploymentRow.registered_model_id, func.count())
            .where(DeploymentRow.tenant_id == tenant_id)
            .group_by(DeploymentRow.registered_model_id)
        ).all()
    )
    with_data = set(
        session.scalars(
            select(RegistryArtifactRow.registered_model_id).where(
                RegistryArtifactRow.kind == "data", RegistryArtifactRow.registered_model_id.in_(list(ids.values()))
            )
        )
    )
    out = []
    for key in keys:
        row, versions, model_id = stored.get(key), trained.get(key, []), ids[key]
        numbers = [v.version for v in versions] + uploaded.get(model_id, [])
        details = {**(_derived(session, versions[0]) if versions else {}), **(row.details if row else {})}
        reference = "data artifact" if model_id in with_data else "training data" if versions else None
        out.append(
            RegisteredModel(
                id=model_id,
                name=row.name if row else versions[0].name,
                kind=row.kind if row else versions[0].problem_type,
                origin=row.origin if row else "trained",
                metadata=ModelMetadata.from_dict(details),
                versions=len(numbers),
                latest_version=max(numbers) if numbers else None,
                aliases=dict(aliases[model_id]),
                deployments=int(deployed.get(model_id, 0)),
                reference=reference,
                owner=owner_name(session, row.owner_id) if row else versions[-1].owner,
                created_at=row.created_at if row else versions[-1].created_at,
                updated_at=max(([row.updated_at] if row else []) + [v.created_at for v in versions[:1]]),
            )
        )
    return out


def _external_versions(session: Session, model_ids: list[str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = defaultdict(list)
    query = select(RegistryVersionRow.registered_model_id, RegistryVersionRow.version).where(
        RegistryVersionRow.registered_model_id.in_(model_ids), RegistryVersionRow.file_id.is_not(None)
    )
    for model_id, number in session.execute(query):
        found[model_id].append(number)
    return found


def list_registered(session: Session, tenant_id: str) -> list[RegisteredModel]:
    rows = session.scalars(select(RegisteredModelRow).where(RegisteredModelRow.tenant_id == tenant_id))
    return _entities(session, tenant_id, rows, _trained(session, tenant_id))


def find_by_name(session: Session, tenant_id: str, name: str) -> RegisteredModel | None:
    key = name_key(name)
    rows = session.scalars(
        select(RegisteredModelRow).where(RegisteredModelRow.tenant_id == tenant_id, RegisteredModelRow.name_key == key)
    )
    found = _entities(session, tenant_id, rows, _trained(session, tenant_id, key))
    return found[0] if found else None


def get_registered(session: Session, tenant_id: str, model_id: str) -> RegisteredModel:
    """By id: a stored row, else a trained name whose derived id it is."""
    row = session.get(RegisteredModelRow, model_id)
    if row is not None and row.tenant_id == tenant_id:
        return _entities(session, tenant_id, [row], _trained(session, tenant_id, row.name_key))[0]
    names = session.scalars(select(ModelRow.name).where(ModelRow.tenant_id == tenant_id).distinct())
    for name in names:
        if registry_id(tenant_id, name) == model_id:
            found = find_by_name(session, tenant_id, name)
            if found is not None:
                return found
    raise NotFound("That registered model does not exist.")


def add_registered(
    session: Session, *, tenant_id: str, owner_id: str, name: str, kind: str, origin: str, details: dict[str, Any]
) -> RegisteredModel:
    row = RegisteredModelRow(
        id=registry_id(tenant_id, name),
        tenant_id=tenant_id,
        name=name,
        kind=kind,
        origin=origin,
        details=details,
        owner_id=owner_id,
    )
    session.add(row)
    session.flush()
    return get_registered(session, tenant_id, row.id)


def ensure_row(session: Session, tenant_id: str, model: RegisteredModel, owner_id: str) -> None:
    """Store the row of a trained predictor that has none yet (its first declaration, alias or deployment)."""
    if session.get(RegisteredModelRow, model.id) is None:
        session.add(
            RegisteredModelRow(
                id=model.id,
                tenant_id=tenant_id,
                name=model.name,
                kind=model.kind,
                origin=model.origin,
                details={},
                owner_id=owner_id,
            )
        )
        session.flush()


def update_details(session: Session, model_id: str, *, details: dict[str, Any], name: str | None = None) -> None:
    row = session.get(RegisteredModelRow, model_id)
    assert row is not None  # ensure_row first
    row.details = details
    if name is not None:
        row.name = name
    session.flush()


def set_kind(session: Session, model_id: str, kind: str) -> None:
    row = session.get(RegisteredModelRow, model_id)
    assert row is not None
    row.kind = kind
    session.flush()


def stored_details(session: Session, model_id: str) -> dict[str, Any]:
    row = session.get(RegisteredModelRow, model_id)
    return dict(row.details) if row is not None else {}


def delete_registered(session: Session, model_id: str) -> list[str]:
    """Delete the row with its versions, artefacts, aliases and their history; returns the ids of the files of
    its uploaded versions and artefacts (the caller deletes them in the same transaction)."""
    files = list(
        session.scalars(
            select(RegistryVersionRow.file_id).where(
                RegistryVersionRow.registered_model_id == model_id, RegistryVersionRow.file_id.is_not(None)
            )
        )
    )
    files += list(
        session.scalars(select(RegistryArtifactRow.file_id).where(RegistryArtifactRow.registered_model_id == model_id))
    )
    session.execute(delete(RegistryAliasRow).where(RegistryAliasRow.registered_model_id == model_id))
    session.execute(delete(RegistryArtifactRow).where(RegistryArtifactRow.registered_model_id == model_id))
    session.execute(delete(RegistryVersionRow).where(RegistryVersionRow.registered_model_id == model_id))
    row = session.get(RegisteredModelRow, model_id)
    if row is not None:
        session.delete(row)
    session.flush()
    return [f for f in files if f]
