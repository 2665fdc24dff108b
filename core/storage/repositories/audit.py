"""The audit log: append and read, per tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.entities import AuditEvent
from core.storage.orm import AuditRow


def add_event(
    session: Session,
    *,
    tenant_id: str | None,
    user_id: str | None,
    username: str,
    action: str,
    target_type: str = "",
    target_id: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditRow(
            tenant_id=tenant_id,
            user_id=user_id,
            username=username,
            action=action,
            target_type=target_type,
            target_id=target_id,
            details=details or {},
        )
    )


def list_events(
    session: Session,
    tenant_id: str | None,
    *,
    since: datetime | None = None,
    action: str | None = None,
    limit: int = 1000,
    platform: bool = False,
) -> list[AuditEvent]:
    """``tenant_id=None`` reads events of every tenant, ``platform=True`` only those of no tenant (the security
    log: sign-in failures of unknown names); both for platform administrators only."""
    query = select(AuditRow).order_by(AuditRow.created_at.desc()).limit(limit)
    if tenant_id is not None:
        query = query.where(AuditRow.tenant_id == tenant_id)
    if platform:
        query = query.where(AuditRow.tenant_id.is_(None))
    if since is not None:
        query = query.where(AuditRow.created_at >= since)
    if action:
        query = query.where(AuditRow.action == action)
    return [
        AuditEvent(
            id=r.id,
            tenant_id=r.tenant_id,
            username=r.username,
            action=r.action,
            target_type=r.target_type,
            target_id=r.target_id,
            details=dict(r.details or {}),
            created_at=r.created_at,
        )
        for r in session.scalars(query)
    ]
