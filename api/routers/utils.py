"""Seed 004 utils: the health check."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import EngineDep, OptionalActorDep

router = APIRouter(prefix="/utils", tags=["utils"])


class HealthOut(BaseModel):
    status: str = Field(description="'ok', or 'degraded' when the database or the file store fails.")
    details: dict[str, Any] | None = Field(
        default=None, description="Versions, database, file store: administrators only."
    )


@router.get("/health-check/", response_model=HealthOut)
def health_check(eng: EngineDep, actor: OptionalActorDep) -> HealthOut:
    """Open without a token (status only, no counts or paths); details for signed-in administrators."""
    if actor is None or not (actor.role == "admin" or actor.is_platform_admin):
        return HealthOut(status="ok" if eng.health.alive() else "degraded")
    report = eng.health.status(actor)
    return HealthOut(
        status="ok" if report["database"]["ok"] and report["file_store"]["ok"] else "degraded", details=report
    )
