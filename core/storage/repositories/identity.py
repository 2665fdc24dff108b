"""Tenants, users, custom roles and permissions, and the sign-in throttle."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.entities import Tenant, User
from core.errors import NotFound
from core.storage.orm import LoginThrottleRow, PermissionRow, RoleRow, TenantRow, UserRow, name_key


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


def tenant_name_taken(session: Session, name: str) -> bool:
    return session.scalar(select(TenantRow.id).where(TenantRow.name_key == name_key(name))) is not None


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


def count_attempt(session: Session, username: str, *, now: datetime, window_s: int) -> tuple[int, datetime | None]:
    """Count a sign-in attempt before its password is checked, in one upsert (no read-modify-write, no insert
    race), and return (attempts in the current window, locked until). Counting first means parallel guesses
    cannot all be checked before the first failure is stored: only the first ``max_failures`` get a check."""
    table = LoginThrottleRow.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stale = or_(table.c.first_failure_at.is_(None), table.c.first_failure_at < now - timedelta(seconds=window_s))
    statement = dialect.insert(table).values(username=username, failures=1, first_failure_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.username],
        set_={
            "failures": case((stale, 1), else_=table.c.failures + 1),
            "first_failure_at": case((stale, now), else_=table.c.first_failure_at),
        },
    ).returning(table.c.failures, table.c.locked_until)
    failures, locked = session.execute(statement).one()
    return int(failures), locked


def lock(session: Session, username: str, *, until: datetime) -> None:
    """Lock the name and start a fresh count for when the lock ends."""
    session.execute(
        update(LoginThrottleRow)
        .where(LoginThrottleRow.username == username)
        .values(locked_until=until, failures=0, first_failure_at=None)
    )


def purge_throttle(session: Session, *, now: datetime, window_s: int) -> None:
    """Drop rows that no longer hold anything back (unlocked, last counted failure outside the window), so
    names typed once, known or not, do not pile up."""
    cutoff = now - timedelta(seconds=window_s)
    session.execute(
        delete(LoginThrottleRow).where(
            or_(LoginThrottleRow.locked_until.is_(None), LoginThrottleRow.locked_until < now),
            or_(LoginThrottleRow.first_failure_at.is_(None), LoginThrottleRow.first_failure_at < cutoff),
        )
    )


def clear_failures(session: Session, username: str) -> None:
    session.execute(delete(LoginThrottleRow).where(LoginThrottleRow.username == username))
