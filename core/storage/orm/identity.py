"""Tenants, users, custom roles and permissions, the sign-in throttle and API refresh tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.orm.base import Base, NamedMixin, created_column, id_column


class TenantRow(NamedMixin, Base):
    __tablename__ = "tenants"
    __table_args__ = (
        UniqueConstraint("name"),
        UniqueConstraint("name_key", name="uq_tenants_name_key"),
    )
    id: Mapped[str] = id_column()
    created_at: Mapped[datetime] = created_column()


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(64))
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_column()
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    # Remembered sign-ins issued before this moment are void (sign-out, password change).
    sessions_valid_after: Mapped[datetime | None] = mapped_column(default=None)


class RoleRow(Base):
    """A tenant's custom role; built-in roles live in code. Names are stored lower-case (the service's rule),
    so the plain unique constraint is already case-insensitive, as for usernames."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    permissions: Mapped[list[Any]] = mapped_column()
    created_at: Mapped[datetime] = created_column()


class PermissionRow(Base):
    """A tenant's custom permission name, which its roles can hold; the engine itself requires only built-in ones."""

    __tablename__ = "permissions"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = created_column()


class LoginThrottleRow(Base):
    """Failed sign-ins per typed username (known or not, so nothing leaks)."""

    __tablename__ = "login_throttle"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    first_failure_at: Mapped[datetime | None] = mapped_column(default=None)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)


class RefreshTokenRow(Base):
    """One API refresh token, by its ``jti`` (the token itself is never stored). Tokens rotated from one sign-in
    share a ``family_id``, so presenting a rotated one again revokes the whole chain."""

    __tablename__ = "refresh_tokens"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    created_at: Mapped[datetime] = created_column()
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    replaced_by: Mapped[str | None] = mapped_column(String(36), default=None)
