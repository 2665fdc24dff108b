"""Deployments of registry versions and the log of their operations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.entities.registry import Deployment, Operation
from core.errors import NotFound
from core.storage.orm import (
    DeploymentRow,
    OperationRow,
    RegisteredModelRow,
    RegistryAliasRow,
    RegistryVersionRow,
    UserRow,
)


def _query():  # type: ignore[no-untyped-def]
    """A deployment with its model's name, creator, and the version it serves now (its alias's, when it follows
    one; None when that alias points nowhere)."""
    alias_version = (
        select(RegistryAliasRow.version_id)
        .where(
            RegistryAliasRow.registered_model_id == DeploymentRow.registered_model_id,
            RegistryAliasRow.alias == DeploymentRow.alias,
        )
        .scalar_subquery()
    )
    return (
        select(DeploymentRow, RegisteredModelRow.name, UserRow.username, alias_version)
        .join(RegisteredModelRow, RegisteredModelRow.id == DeploymentRow.registered_model_id)
        .join(UserRow, UserRow.id == DeploymentRow.created_by)
    )


def _deployment(
    session: Session, row: DeploymentRow, model_name: str, creator: str, alias_version: str | None
) -> Deployment:
    version_id = alias_version if row.alias and row.alias != "latest" else row.version_id
    number = session.scalar(select(RegistryVersionRow.version).where(RegistryVersionRow.id == version_id))
    return Deployment(
        id=row.id,
        name=row.name,
        model_id=row.registered_model_id,
        model_name=model_name,
        alias=row.alias,
        version_id=version_id,
        version=number,
        owner=row.owner,
        placement=dict(row.placement),
        inference_data=row.inference_data,
        status=row.status,
        reason=row.reason,
        operations=row.operations,
        created_by=creator,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def add_deployment(session: Session, *, tenant_id: str, created_by: str, **values: Any) -> Deployment:
    row = DeploymentRow(tenant_id=tenant_id, created_by=created_by, **values)
    session.add(row)
    session.flush()
    return get_deployment(session, tenant_id, row.id)


def get_deployment(session: Session, tenant_id: str, deployment_id: str) -> Deployment:
    found = session.execute(
        _query().where(DeploymentRow.id == deployment_id, DeploymentRow.tenant_id == tenant_id)
    ).first()
    if found is None:
        raise NotFound("That deployment does not exist.")
    return _deployment(session, *found)


def list_deployments(
    session: Session, tenant_id: str, *, skip: int = 0, limit: int = 100, model_id: str | None = None
) -> list[Deployment]:
    query = _query().where(DeploymentRow.tenant_id == tenant_id)
    if model_id is not None:
        query = query.where(DeploymentRow.registered_model_id == model_id)
    query = query.order_by(DeploymentRow.created_at.desc(), DeploymentRow.id).offset(skip).limit(limit)
    return [_deployment(session, *found) for found in session.execute(query).all()]


def _row(session: Session, tenant_id: str, deployment_id: str) -> DeploymentRow:
    row = session.get(DeploymentRow, deployment_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("That deployment does not exist.")
    return row


def set_status(session: Session, tenant_id: str, deployment_id: str, status: str, reason: str = "") -> None:
    row = _row(session, tenant_id, deployment_id)
    row.status, row.reason = status, reason
    session.flush()


def count_operation(session: Session, tenant_id: str, deployment_id: str, due_every: int | None) -> bool:
    """Count one operation (one atomic update, so concurrent calls all count); True when a drift check is due:
    ``due_every`` operations since the last one (the count then starts again)."""
    session.execute(
        update(DeploymentRow)
        .where(DeploymentRow.id == deployment_id, DeploymentRow.tenant_id == tenant_id)
        .values(operations=DeploymentRow.operations + 1, since_check=DeploymentRow.since_check + 1)
    )
    if due_every is None:
        return False
    due = session.execute(
        update(DeploymentRow)
        .where(DeploymentRow.id == deployment_id, DeploymentRow.since_check >= due_every)
        .values(since_check=0)
    )
    return bool(due.rowcount)  # type: ignore[attr-defined]


def delete_deployment(session: Session, tenant_id: str, deployment_id: str) -> None:
    session.delete(_row(session, tenant_id, deployment_id))
    session.flush()


def add_operation(session: Session, *, tenant_id: str, user_id: str, **values: Any) -> Operation:
    row = OperationRow(tenant_id=tenant_id, user_id=user_id, **values)
    session.add(row)
    session.flush()
    username = session.scalar(select(UserRow.username).where(UserRow.id == user_id)) or "unknown"
    return _operation(row, username)


def _operation(row: OperationRow, user: str) -> Operation:
    return Operation(
        id=row.id,
        deployment_id=row.deployment_id,
        owner=row.owner,
        version_id=row.version_id,
        model_label=row.model_label,
        inputs=row.inputs,
        result=row.result,
        rows=row.rows,
        latency_ms=row.latency_ms,
        source=row.source,
        user=user,
        created_at=row.created_at,
        warnings=tuple(row.warnings or ()),
    )


def list_operations(
    session: Session,
    tenant_id: str,
    *,
    deployment_id: str | None = None,
    owner: str | None = None,
    skip: int = 0,
    limit: int = 100,
) -> list[Operation]:
    """Newest first."""
    query = (
        select(OperationRow, UserRow.username)
        .join(UserRow, UserRow.id == OperationRow.user_id)
        .where(OperationRow.tenant_id == tenant_id)
    )
    if deployment_id is not None:
        query = query.where(OperationRow.deployment_id == deployment_id)
    if owner is not None:
        query = query.where(OperationRow.owner == owner)
    query = query.order_by(OperationRow.created_at.desc(), OperationRow.id.desc()).offset(skip).limit(limit)
    return [_operation(row, user) for row, user in session.execute(query)]


def recent_inputs(session: Session, tenant_id: str, deployment_id: str, rows: int) -> list[dict[str, Any]]:
    """The input rows of the deployment's latest operations, newest first, about ``rows`` of them (whole
    operations); rows that are not objects (raw text recorded from outside) are left out."""
    query = (
        select(OperationRow.inputs)
        .where(OperationRow.tenant_id == tenant_id, OperationRow.deployment_id == deployment_id)
        .order_by(OperationRow.created_at.desc(), OperationRow.id.desc())
    )
    found: list[dict[str, Any]] = []
    for inputs in session.scalars(query.execution_options(yield_per=500)):
        found += [row for row in inputs or () if isinstance(row, dict)]
        if len(found) >= rows:
            break
    return found[:rows]
