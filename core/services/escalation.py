"""No escalation: ``users:manage`` never hands out, or takes over, more than the manager holds.

The rules every user and role change of ``UserService`` goes through, apart from the service's sign-in and
bookkeeping."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.entities import Actor, User
from core.errors import InvalidInput, PermissionDenied
from core.security.permissions import BUILTIN_ROLES, LABELS, PLATFORM_PERMISSION
from core.storage.repositories import identity as repo


def roles_of(session: Session, tenant_id: str) -> dict[str, frozenset[str]]:
    return {**BUILTIN_ROLES, **repo.custom_roles(session, tenant_id)}


def permissions_of(session: Session, user: User) -> frozenset[str]:
    """What ``user`` may do now: their role's permissions, plus tenant management for platform admins."""
    permissions = roles_of(session, user.tenant_id).get(user.role, frozenset())
    return permissions | {PLATFORM_PERMISSION} if user.is_platform_admin else permissions


def check_within(actor: Actor, permissions: frozenset[str], refusal: str) -> None:
    """Raise ``PermissionDenied(refusal)`` when built-in ``permissions`` go beyond the actor's, naming them."""
    beyond = sorted((permissions - actor.permissions) & LABELS.keys())  # custom names grant nothing here
    if beyond:
        raise PermissionDenied(refusal, details="Beyond your role: " + "; ".join(f"{p} ({LABELS[p]})" for p in beyond))


def check_grantable(session: Session, actor: Actor, role: str, tenant_id: str | None = None) -> None:
    """Refuse a role that allows more than the actor's own (else a user manager could make themselves admin)."""
    roles = roles_of(session, tenant_id or actor.tenant_id)
    if role not in roles:
        raise InvalidInput(f"There is no role named {role!r}.")
    refusal = f"You cannot grant the role {role!r}: it allows more than your own ({actor.role})."
    check_within(actor, roles[role], refusal)


def check_manageable(session: Session, actor: Actor, user: User, *, takeover: bool = False) -> None:
    """Refuse to change someone whose role may do more than the actor's. A password reset (``takeover``) also
    counts platform administration: it would hand the actor that account. Demoting or deactivating hands the
    actor nothing, so a second administrator may still retire the first one."""
    role = roles_of(session, user.tenant_id).get(user.role, frozenset())
    check_within(
        actor, role, f"You cannot change {user.username!r}: their role allows more than your own ({actor.role})."
    )
    if takeover and user.is_platform_admin:
        check_within(
            actor,
            role | {PLATFORM_PERMISSION},
            f"You cannot reset the password of {user.username!r}: they are a platform administrator.",
        )
