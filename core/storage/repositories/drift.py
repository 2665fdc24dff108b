"""Stored drift checks of registered models and deployments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.entities.registry import DriftCheck
from core.errors import NotFound
from core.storage.orm import DriftCheckRow, UserRow


def _check(row: DriftCheckRow, user: str) -> DriftCheck:
    return DriftCheck(
        id=row.id,
        model_id=row.registered_model_id,
        deployment_id=row.deployment_id,
        version_id=row.version_id,
        model_label=row.model_label,
        job_id=row.job_id,
        source=row.source,
        reference=row.reference,
        reference_rows=row.reference_rows,
        current_rows=row.current_rows,
        drifted=row.drifted,
        drifted_share=row.drifted_share,
        columns=tuple(dict(c) for c in row.columns),
        multivariate=row.multivariate,
        prediction=row.prediction,
        rule=dict(row.rule),
        user=user,
        created_at=row.created_at,
    )


def add_check(session: Session, *, tenant_id: str, user_id: str, **values: Any) -> DriftCheck:
    row = DriftCheckRow(tenant_id=tenant_id, user_id=user_id, **values)
    session.add(row)
    session.flush()
    return get_check(session, tenant_id, row.id)


def get_check(session: Session, tenant_id: str, check_id: str) -> DriftCheck:
    found = session.execute(
        select(DriftCheckRow, UserRow.username)
        .join(UserRow, UserRow.id == DriftCheckRow.user_id)
        .where(DriftCheckRow.id == check_id, DriftCheckRow.tenant_id == tenant_id)
    ).first()
    if found is None:
        raise NotFound("That drift check does not exist.")
    return _check(*found)


def list_checks(
    session: Session, tenant_id: str, *, model_id: str | None = None, deployment_id: str | None = None, limit: int = 100
) -> list[DriftCheck]:
    """Newest first."""
    query = (
        select(DriftCheckRow, UserRow.username)
        .join(UserRow, UserRow.id == DriftCheckRow.user_id)
        .where(DriftCheckRow.tenant_id == tenant_id)
    )
    if model_id is not None:
        query = query.where(DriftCheckRow.registered_model_id == model_id)
    if deployment_id is not None:
        query = query.where(DriftCheckRow.deployment_id == deployment_id)
    query = query.order_by(DriftCheckRow.created_at.desc(), DriftCheckRow.id).limit(limit)
    return [_check(row, user) for row, user in session.execute(query)]
