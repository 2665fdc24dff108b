"""Seed 004 utils: the health check."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import EngineDep, OptionalActorDep

router = APIRouter(prefix="/utils", tags=["utils"])


class HealthOut(BaseModel):
    status: str = Field(description="'ok', or 'degraded' when the database or the file store fails.")
    details: dict[str, Any] | None = Field(None, description="Versions, database, file store: administrators only.")


@router.get("/health-check/", response_model=HealthOut)
def health_check(eng: EngineDep, actor: OptionalActorDep) -> HealthOut:
    """Open without a token (status only, no counts or paths); details for signed-in administrators."""
    report = eng.health.status()
    status = "ok" if report["database"]["ok"] and report["file_store"]["ok"] else "degraded"
    admin = actor is not None and (actor.role == "admin" or actor.is_platform_admin)
    return HealthOut(status=status, details=report if admin else None)
