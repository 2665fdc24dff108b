"""Tenants, users, custom roles and permissions, and the sign-in throttle."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.entities import Tenant, User
from core.errors import NotFound
from core.storage.orm import LoginThrottleRow, PermissionRow, RoleRow, TenantRow, UserRow


def _tenant(row: TenantRow) -> Tenant:
    return Tenant(id=row.id, name=row.name, created_at=row.created_at)


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        tenant_id=row.tenant_id,
        username=row.username,
        display_name=row.display_name,
        email=row.email,
        role=row.role,
        is_platform_admin=row.is_platform_admin,
        active=row.active,
        created_at=row.created_at,
        last_login_at=row.last_login_at,
    )


def count_users(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(UserRow)) or 0)


def create_tenant(session: Session, *, name: str) -> Tenant:
    row = TenantRow(name=name)
    session.add(row)
    session.flush()
    return _tenant(row)


def get_tenant(session: Session, tenant_id: str) -> Tenant:
    row = session.get(TenantRow, tenant_id)
    if row is None:
        raise NotFound("That tenant does not exist.")
    return _tenant(row)


def list_tenants(session: Session) -> list[Tenant]:
    return [_tenant(r) for r in session.scalars(select(TenantRow).order_by(TenantRow.name))]


def create_user(
    session: Session,
    *,
    tenant_id: str,
    username: str,
    display_name: str,
    email: str,
    password_hash: str,
    role: str,
    is_platform_admin: bool = False,
) -> User:
    row = UserRow(
        tenant_id=tenant_id,
        username=username,
        display_name=display_name,
        email=email,
        password_hash=password_hash,
        role=role,
        is_platform_admin=is_platform_admin,
    )
    session.add(row)
    session.flush()
    return _user(row)


def _user_row(session: Session, tenant_id: str | None, user_id: str) -> UserRow:
    row = session.get(UserRow, user_id)
    if row is None or (tenant_id is not None and row.tenant_id != tenant_id):
        raise NotFound("That user does not exist.")
    return row


def get_user(session: Session, tenant_id: str | None, user_id: str) -> User:
    """``tenant_id=None`` only for the engine itself (sign-in, workers)."""
    return _user(_user_row(session, tenant_id, user_id))


def username_exists(session: Session, username: str) -> bool:
    return session.scalar(select(UserRow.id).where(UserRow.username == username)) is not None


def sessions_valid_after(session: Session, user_id: str) -> datetime | None:
    return session.scalar(select(UserRow.sessions_valid_after).where(UserRow.id == user_id))


def credentials_for(session: Session, username: str) -> tuple[User, str] | None:
    row = session.scalar(select(UserRow).where(UserRow.username == username))
    return None if row is None else (_user(row), row.password_hash)


def list_users(session: Session, tenant_id: str) -> list[User]:
    rows = session.scalars(select(UserRow).where(UserRow.tenant_id == tenant_id).order_by(UserRow.username))
    return [_user(r) for r in rows]


def usernames(session: Session, tenant_id: str) -> dict[str, str]:
    """user id -> username, for showing owners next to rows."""
    rows = session.execute(select(UserRow.id, UserRow.username).where(UserRow.tenant_id == tenant_id))
    return {uid: name for uid, name in rows}


def update_user(
    session: Session,
    tenant_id: str,
    user_id: str,
    *,
    role: str | None = None,
    active: bool | None = None,
    password_hash: str | None = None,
    last_login_at: datetime | None = None,
    sessions_valid_after: datetime | None = None,
) -> User:
    row = _user_row(session, tenant_id, user_id)
    if sessions_valid_after is not None:
        row.sessions_valid_after = sessions_valid_after
    if role is not None:
        row.role = role
    if active is not None:
        row.active = active
    if password_hash is not None:
        row.password_hash = password_hash
    if last_login_at is not None:
        row.last_login_at = last_login_at
    session.flush()
    return _user(row)


def count_active_admins(session: Session, tenant_id: str) -> int:
    query = select(func.count()).where(
        UserRow.tenant_id == tenant_id, UserRow.role == "admin", UserRow.active.is_(True)
    )
    return int(session.scalar(query) or 0)


def custom_roles(session: Session, tenant_id: str) -> dict[str, frozenset[str]]:
    rows = session.scalars(select(RoleRow).where(RoleRow.tenant_id == tenant_id).order_by(RoleRow.name))
    return {r.name: frozenset(r.permissions) for r in rows}


def create_role(session: Session, *, tenant_id: str, name: str, permissions: list[str]) -> None:
    session.add(RoleRow(tenant_id=tenant_id, name=name, permissions=sorted(permissions)))
    session.flush()


def custom_permissions(session: Session, tenant_id: str) -> dict[str, str]:
    """name -> description of the tenant's own permission names."""
    rows = session.scalars(
        select(PermissionRow).where(PermissionRow.tenant_id == tenant_id).order_by(PermissionRow.name)
    )
    return {r.name: r.description for r in rows}


def create_permission(session: Session, *, tenant_id: str, name: str, description: str) -> None:
    session.add(PermissionRow(tenant_id=tenant_id, name=name, description=description))
    session.flush()


def delete_role(session: Session, tenant_id: str, name: str) -> None:
    row = session.scalar(select(RoleRow).where(RoleRow.tenant_id == tenant_id, RoleRow.name == name))
    if row is None:
        raise NotFound(f"There is no custom role named {name!r}.")
    session.delete(row)


def count_users_with_role(session: Session, tenant_id: str, role: str) -> int:
    query = select(func.count()).where(UserRow.tenant_id == tenant_id, UserRow.role == role)
    return int(session.scalar(query) or 0)


def locked_until(session: Session, username: str) -> datetime | None:
    row = session.get(LoginThrottleRow, username)
    return None if row is None else row.locked_until


def record_failure(session: Session, username: str, *, now: datetime, max_failures: int, lockout_s: int) -> None:
    """Count a failed sign-in; ``max_failures`` within ``lockout_s`` locks the name for ``lockout_s``."""
    row = session.get(LoginThrottleRow, username)
    if row is None:
        row = LoginThrottleRow(username=username, failures=0)
        session.add(row)
    window = timedelta(seconds=lockout_s)
    if row.first_failure_at is None or now - row.first_failure_at > window:
        row.failures, row.first_failure_at = 0, now
    row.failures += 1
    if row.failures >= max_failures:
        row.locked_until, row.failures, row.first_failure_at = now + window, 0, None
    session.flush()


def clear_failures(session: Session, username: str) -> None:
    row = session.get(LoginThrottleRow, username)
    if row is not None:
        session.delete(row)
