"""Response models shared by several routers (the seed's user shape)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel

from core import User

# The engine stores naive UTC; the API says so (RFC 3339 with an offset, as OpenAPI's date-time requires).
UtcDatetime = Annotated[datetime, AfterValidator(lambda d: d if d.tzinfo else d.replace(tzinfo=UTC))]


class UserOut(BaseModel):
    """Seed 004's user. Ids are UUIDs, not integers; first/last name are split from the display name."""

    id: str
    tenant_id: str
    username: str
    first_name: str
    last_name: str
    email: str
    role: str
    is_active: bool
    is_platform_admin: bool
    created_at: UtcDatetime
    last_login_at: UtcDatetime | None

    @classmethod
    def of(cls, user: User) -> UserOut:
        first, _, last = user.display_name.partition(" ")
        return cls(
            id=user.id,
            tenant_id=user.tenant_id,
            username=user.username,
            first_name=first,
            last_name=last,
            email=user.email,
            role=user.role,
            is_active=user.active,
            is_platform_admin=user.is_platform_admin,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
        )


class Message(BaseModel):
    message: str


MAX_SKIP = 1_000_000_000  # paging offsets beyond any table here; SQLite refuses an OFFSET past 2**63 (a 500)
