"""Frozen dataclasses that leave the engine; ORM rows never do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

ColumnType = Literal["integer", "float", "string", "boolean", "category", "date", "datetime"]
COLUMN_TYPES: tuple[str, ...] = ("integer", "float", "string", "boolean", "category", "date", "datetime")


@dataclass(frozen=True)
class ColumnSpec:
    """One column a template expects: its name, type, default value and whether it must be present."""

    name: str
    dtype: str = "string"
    default: Any = None
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "default": self.default, "required": self.required}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnSpec:
        return cls(
            name=str(data["name"]),
            dtype=str(data.get("dtype", "string")),
            default=data.get("default"),
            required=bool(data.get("required", True)),
        )


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


JOB_STATES = ("queued", "running", "succeeded", "failed", "canceled", "interrupted")
FINISHED_STATES = frozenset({"succeeded", "failed", "canceled", "interrupted"})


@dataclass(frozen=True)
class Job:
    id: str
    tenant_id: str
    owner_id: str
    owner: str
    kind: str
    title: str
    status: str
    progress: float
    message: str
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    error_details: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATES


@dataclass(frozen=True)
class AuditEvent:
    id: str
    tenant_id: str | None
    username: str
    action: str
    target_type: str
    target_id: str
    details: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class FileInfo:
    id: str
    tenant_id: str
    kind: str
    name: str
    content_type: str
    size: int
    sha256: str
    owner: str
    created_at: datetime
