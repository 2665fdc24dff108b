"""Reading the audit log (writing happens inside each service's transaction)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from core.entities import Actor, AuditEvent
from core.services.base import Service, require
from core.storage.repositories import audit as repo


class AuditService(Service):
    def list(
        self, actor: Actor, *, since: datetime | None = None, action: str | None = None, limit: int = 1000
    ) -> list[AuditEvent]:
        require(actor, "audit:read")
        with self.db.session() as session:
            return repo.list_events(session, actor.tenant_id, since=since, action=action, limit=limit)

    def frame(self, actor: Actor, **filters: object) -> pd.DataFrame:
        events = self.list(actor, **filters)  # type: ignore[arg-type]
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
