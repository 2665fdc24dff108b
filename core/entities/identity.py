"""Tenants, users, roles and the acting user (``Actor``) services receive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Tenant:
    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class User:
    id: str
    tenant_id: str
    username: str
    display_name: str
    email: str
    role: str
    is_platform_admin: bool
    active: bool
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True)
class Actor:
    """The signed-in user as services see it: who, which tenant, what they may do."""

    user_id: str
    username: str
    display_name: str
    tenant_id: str
    tenant_name: str
    role: str
    permissions: frozenset[str]
    is_platform_admin: bool = False

    def can(self, permission: str) -> bool:
        return permission in self.permissions


@dataclass(frozen=True)
class Role:
    name: str
    permissions: frozenset[str]
    builtin: bool
