"""API refresh tokens: issue, rotate atomically, revoke a chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from core.storage.orm import RefreshTokenRow


@dataclass(frozen=True)
class RefreshToken:
    id: str
    family_id: str
    user_id: str
    tenant_id: str
    expires_at: datetime
    revoked_at: datetime | None
    replaced_by: str | None

    @property
    def spent(self) -> bool:
        """Used once already (rotated) or revoked: presenting it again is reuse."""
        return self.revoked_at is not None or self.replaced_by is not None


def add(session: Session, *, token_id: str, family_id: str, user_id: str, tenant_id: str, expires_at: datetime) -> None:
    session.add(
        RefreshTokenRow(id=token_id, family_id=family_id, user_id=user_id, tenant_id=tenant_id, expires_at=expires_at)
    )
    session.flush()


def get(session: Session, token_id: str) -> RefreshToken | None:
    row = session.get(RefreshTokenRow, token_id)
    if row is None:
        return None
    return RefreshToken(
        id=row.id,
        family_id=row.family_id,
        user_id=row.user_id,
        tenant_id=row.tenant_id,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        replaced_by=row.replaced_by,
    )


def replace(session: Session, token_id: str, new_id: str) -> bool:
    """Mark ``token_id`` as rotated into ``new_id``; False when it was already spent (a concurrent refresh)."""
    query = (
        update(RefreshTokenRow)
        .where(RefreshTokenRow.id == token_id, RefreshTokenRow.replaced_by.is_(None))
        .where(RefreshTokenRow.revoked_at.is_(None))
        .values(replaced_by=new_id)
    )
    result = cast(CursorResult[Any], session.execute(query))
    return result.rowcount == 1


def revoke_family(session: Session, family_id: str, now: datetime) -> None:
    query = (
        update(RefreshTokenRow)
        .where(RefreshTokenRow.family_id == family_id, RefreshTokenRow.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.execute(query)
