"""What every service shares: the workspace it is built with, permission checks and audit records.

Services get their collaborators when they are built (the workspace; the job service and other services whose
session-level helpers they use), never the whole engine. Each public method is one unit of work: it opens one
session and passes it to private ``_helpers(session, ...)`` (other services call those helpers inside their own
session); what is computed for long between reading and writing (training, forecasts) reads in one session and
writes in another."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from core.entities import Actor
from core.errors import Conflict, PermissionDenied
from core.security.permissions import LABELS
from core.storage.repositories import audit as audit_repo
from core.storage.workspace import Workspace


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
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.settings, self.db, self.store = workspace.settings, workspace.db, workspace.store
