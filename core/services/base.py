"""What every service shares: the engine handle, permission checks and audit records."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from core.entities import Actor
from core.errors import Conflict, PermissionDenied
from core.security.permissions import LABELS
from core.storage.repositories import audit as audit_repo

if TYPE_CHECKING:
    from core.engine import Engine


def require(actor: Actor, permission: str) -> None:
    """Raise ``PermissionDenied`` naming what the role does not allow."""
    if not actor.can(permission):
        what = LABELS.get(permission, permission).lower()
        raise PermissionDenied(f"Your role ({actor.role}) does not allow you to {what}.")


def record(
    session: Session, actor: Actor, action: str, target_type: str = "", target_id: str = "", **details: Any
) -> None:
    """Add an audit event in the same transaction as the change it describes."""
    audit_repo.add_event(
        session,
        tenant_id=actor.tenant_id,
        user_id=actor.user_id,
        username=actor.username,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details,
    )


_NAME_CONSTRAINT = re.compile(r"\bname(_key)?\b")  # SQLite names the columns, Postgres the key, in the error


@contextmanager
def unique_name(what: str, name: str) -> Iterator[None]:
    """Give a create that lost a race on a unique name (the database refused it) the sentence the check gives."""
    try:
        yield
    except Conflict as exc:
        if _NAME_CONSTRAINT.search(exc.details or ""):
            raise Conflict(f"A {what} named {name!r} already exists.") from None
        raise


class Service:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.db = engine.db
