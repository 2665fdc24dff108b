"""The predictions log of a tenant: append an entry, read it back filtered by model, user and time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.entities import PredictionRecord
from core.storage.orm import PredictionRow, UserRow


def _record(row: PredictionRow, user: str) -> PredictionRecord:
    return PredictionRecord(
        id=row.id,
        user=user,
        model_id=row.model_id,
        model_label=row.model_label,
        model_version=row.model_version,
        kind=row.kind,
        inputs=dict(row.inputs) if row.inputs is not None else None,
        input_file_id=row.input_file_id,
        outputs=dict(row.outputs) if row.outputs is not None else None,
        output_file_id=row.output_file_id,
        job_id=row.job_id,
        rows=row.rows,
        duration_s=row.duration_s,
        status=row.status,
        error=row.error,
        created_at=row.created_at,
    )


def add_prediction(session: Session, *, tenant_id: str, user_id: str, **fields: Any) -> str:
    """Append one entry (fields as in ``PredictionRow``); returns its id."""
    row = PredictionRow(tenant_id=tenant_id, user_id=user_id, **fields)
    session.add(row)
    session.flush()
    return row.id


def list_predictions(
    session: Session,
    tenant_id: str,
    *,
    model_id: str | None = None,
    username: str | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 10_000,
) -> list[PredictionRecord]:
    """Newest first; ``since`` is inclusive, ``until`` exclusive."""
    query = (
        select(PredictionRow, UserRow.username)
        .join(UserRow, UserRow.id == PredictionRow.user_id)
        .where(PredictionRow.tenant_id == tenant_id)
        .order_by(PredictionRow.created_at.desc())
        .limit(limit)
    )
    if model_id:
        query = query.where(PredictionRow.model_id == model_id)
    if username:
        query = query.where(UserRow.username == username)
    if kind:
        query = query.where(PredictionRow.kind == kind)
    if since is not None:
        query = query.where(PredictionRow.created_at >= since)
    if until is not None:
        query = query.where(PredictionRow.created_at < until)
    return [_record(row, user) for row, user in session.execute(query)]
