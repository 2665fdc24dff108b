"""Reading the audit log (writing happens inside each service's transaction)."""

from __future__ import annotations

import builtins
from datetime import datetime

import pandas as pd

from core.entities import Actor, AuditEvent
from core.security.permissions import PLATFORM_PERMISSION
from core.services.base import Service, require
from core.storage.repositories import audit as repo


class AuditService(Service):
    def list(
        self, actor: Actor, *, since: datetime | None = None, action: str | None = None, limit: int = 1000
    ) -> list[AuditEvent]:
        require(actor, "audit:read")
        with self.db.session() as session:
            return repo.list_events(session, actor.tenant_id, since=since, action=action, limit=limit)

    def security_log(
        self, actor: Actor, *, since: datetime | None = None, action: str | None = None, limit: int = 1000
    ) -> builtins.list[AuditEvent]:  # builtins: ``list`` is a method here
        """Events that belong to no tenant, such as failed sign-ins of unknown names: no tenant administrator
        sees them, so platform administrators do."""
        require(actor, PLATFORM_PERMISSION)
        with self.db.session() as session:
            return repo.list_events(session, None, since=since, action=action, limit=limit, platform=True)

    def frame(self, actor: Actor, *, security: bool = False, **filters: object) -> pd.DataFrame:
        """The audit log (``security=True``: the platform security log) as a table for the page and CSV."""
        events = self.security_log(actor, **filters) if security else self.list(actor, **filters)  # type: ignore[arg-type]
        return pd.DataFrame(
            [
                {
                    "when (UTC)": e.created_at,
                    "user": e.username,
                    "action": e.action,
                    "target": f"{e.target_type} {e.target_id}".strip(),
                    "details": ", ".join(f"{k}={v}" for k, v in e.details.items()),
                }
                for e in events
            ],
            columns=["when (UTC)", "user", "action", "target", "details"],
        )
