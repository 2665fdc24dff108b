"""The predictions log of a tenant: append an entry, read it back filtered by model, user, kind and time, record
how its predictions compared with true values learnt later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from core.entities import Outcome, PredictionRecord
from core.errors import NotFound
from core.storage.orm import ModelRow, PredictionRow, UserRow

Q = TypeVar("Q", bound=Select)  # type: ignore[type-arg]


def _record(row: PredictionRow, user: str, problem_type: str | None, domain: str | None) -> PredictionRecord:
    outcome = None
    if row.outcome_metric is not None and row.outcome_value is not None and row.outcome_at is not None:
        outcome = Outcome(
            metric=row.outcome_metric,
            value=row.outcome_value,
            rows=row.outcome_rows or 0,
            dataset_id=row.outcome_dataset_id or "",
            evaluated_at=row.outcome_at,
        )
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
        problem_type=problem_type or ("forecast" if row.kind == "forecast" else None),
        domain=domain or None,
        outcome=outcome,
    )


def add_prediction(session: Session, *, tenant_id: str, user_id: str, **fields: Any) -> str:
    """Append one entry (fields as in ``PredictionRow``); returns its id."""
    row = PredictionRow(tenant_id=tenant_id, user_id=user_id, **fields)
    session.add(row)
    session.flush()
    return row.id


def _entries(tenant_id: str) -> Select[PredictionRow, str, str, str]:
    """Entries with their user's name, their model's problem type and domain (None once the model is deleted)."""
    return (
        select(PredictionRow, UserRow.username, ModelRow.problem_type, ModelRow.domain)
        .join(UserRow, UserRow.id == PredictionRow.user_id)
        .outerjoin(ModelRow, (ModelRow.id == PredictionRow.model_id) & (ModelRow.tenant_id == tenant_id))
        .where(PredictionRow.tenant_id == tenant_id)
    )


@dataclass(frozen=True)
class LogFilter:
    """Which entries: by model, username, kind; ``since`` inclusive, ``until`` exclusive (None: any)."""

    model_id: str | None = None
    username: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, query: Q) -> Q:
        conditions = [
            (self.model_id, lambda: PredictionRow.model_id == self.model_id),
            (self.username, lambda: UserRow.username == self.username),
            (self.kind, lambda: PredictionRow.kind == self.kind),
            (self.since, lambda: PredictionRow.created_at >= self.since),
            (self.until, lambda: PredictionRow.created_at < self.until),
        ]
        for value, condition in conditions:
            if value:
                query = query.where(condition())
        return query


def list_predictions(
    session: Session, tenant_id: str, where: LogFilter = LogFilter(), *, limit: int = 10_000, offset: int = 0
) -> list[PredictionRecord]:
    """Newest first (then by id, so pages neither repeat nor skip)."""
    query = where.apply(_entries(tenant_id))
    query = query.order_by(PredictionRow.created_at.desc(), PredictionRow.id).offset(offset).limit(limit)
    return [_record(*found) for found in session.execute(query)]


def count_predictions(session: Session, tenant_id: str, where: LogFilter = LogFilter()) -> int:
    query = (
        select(func.count())
        .select_from(PredictionRow)
        .join(UserRow, UserRow.id == PredictionRow.user_id)
        .where(PredictionRow.tenant_id == tenant_id)
    )
    return int(session.scalar(where.apply(query)) or 0)


def get_prediction(session: Session, tenant_id: str, prediction_id: str) -> PredictionRecord:
    found = session.execute(_entries(tenant_id).where(PredictionRow.id == prediction_id)).first()
    if found is None:
        raise NotFound("That prediction does not exist.")
    return _record(*found)


def prediction_of_job(session: Session, tenant_id: str, job_id: str) -> PredictionRecord | None:
    """The entry a batch or forecast job wrote (also when it failed or was cancelled), if any."""
    found = session.execute(_entries(tenant_id).where(PredictionRow.job_id == job_id)).first()
    return None if found is None else _record(*found)


def set_outcome(session: Session, tenant_id: str, prediction_id: str, outcome: Outcome) -> None:
    session.execute(
        update(PredictionRow)
        .where(PredictionRow.tenant_id == tenant_id, PredictionRow.id == prediction_id)
        .values(
            outcome_metric=outcome.metric,
            outcome_value=outcome.value,
            outcome_rows=outcome.rows,
            outcome_dataset_id=outcome.dataset_id,
            outcome_at=outcome.evaluated_at,
        )
    )
