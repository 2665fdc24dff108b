"""Trained model versions of a tenant."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.entities import Model
from core.errors import Conflict, NotFound
from core.storage.orm import DatasetRow, ModelRow, UserRow, name_key

_VERSION_ATTEMPTS = 20


def _model(row: ModelRow, owner: str, dataset_name: str) -> Model:
    return Model(
        id=row.id,
        name=row.name,
        version=row.version,
        problem_type=row.problem_type,
        status=row.status,
        dataset_id=row.dataset_id,
        dataset_name=dataset_name,
        parent_id=row.parent_id,
        job_id=row.job_id,
        file_id=row.file_id,
        target=row.target,
        schema=dict(row.schema),
        metrics=dict(row.metrics),
        details=dict(row.details),
        owner=owner,
        created_at=row.created_at,
    )


def _query():  # type: ignore[no-untyped-def]
    return (
        select(ModelRow, UserRow.username, DatasetRow.name)
        .join(UserRow, UserRow.id == ModelRow.owner_id)
        .join(DatasetRow, DatasetRow.id == ModelRow.dataset_id)
    )


def _next_version(session: Session, tenant_id: str, name: str) -> tuple[str, int]:
    """The predictor's spelling (its latest version's: "CHURN" trained after "Churn" is version 2 of "Churn") and
    the next version number, read in one statement so both come from the same moment."""
    latest = session.execute(
        select(ModelRow.name, ModelRow.version)
        .where(ModelRow.tenant_id == tenant_id, ModelRow.name_key == name_key(name))
        .order_by(ModelRow.version.desc())
        .limit(1)
    ).first()
    return (name, 1) if latest is None else (latest.name, latest.version + 1)


def add_model_version(session: Session, *, tenant_id: str, owner_id: str, name: str, **fields: Any) -> Model:
    """Add the next version of predictor ``name`` (ignoring case). Two trainings finishing at once may pick the
    same number; the unique constraint refuses the second, which then takes the next one (in a savepoint, so
    the caller's other rows stay)."""
    for _ in range(_VERSION_ATTEMPTS):
        spelling, version = _next_version(session, tenant_id, name)
        row = ModelRow(tenant_id=tenant_id, owner_id=owner_id, name=spelling, version=version, **fields)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            continue
        return get_model(session, tenant_id, row.id)
    raise Conflict(f"No new version of {name!r} could be numbered (too many trainings at once); train again.")


def get_model(session: Session, tenant_id: str, model_id: str) -> Model:
    found = session.execute(_query().where(ModelRow.id == model_id, ModelRow.tenant_id == tenant_id)).first()
    if found is None:
        raise NotFound("That model does not exist.")
    return _model(*found)


def list_models(session: Session, tenant_id: str, *, problem_types: list[str] | None = None) -> list[Model]:
    query = _query().where(ModelRow.tenant_id == tenant_id).order_by(ModelRow.name, ModelRow.version.desc())
    if problem_types:
        query = query.where(ModelRow.problem_type.in_(problem_types))
    return [_model(*found) for found in session.execute(query)]


def update_model(session: Session, tenant_id: str, model_id: str, **fields: Any) -> Model:
    row = session.get(ModelRow, model_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("That model does not exist.")
    for key, value in fields.items():
        setattr(row, key, value)
    session.flush()
    return get_model(session, tenant_id, model_id)


def delete_model(session: Session, tenant_id: str, model_id: str) -> str | None:
    """Delete the row (children keep their lineage text in ``details``); returns the model's file id."""
    row = session.get(ModelRow, model_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("That model does not exist.")
    for child in session.scalars(select(ModelRow).where(ModelRow.parent_id == model_id)):
        child.parent_id = None
    file_id = row.file_id
    session.delete(row)
    session.flush()
    return file_id


def ancestry(session: Session, tenant_id: str, model_id: str) -> list[Model]:
    """The model and its ancestors (parent, grandparent, …), newest first."""
    chain = [get_model(session, tenant_id, model_id)]
    while chain[-1].parent_id and len(chain) < 1000:
        chain.append(get_model(session, tenant_id, chain[-1].parent_id))
    return chain


def dataset_names(session: Session, tenant_id: str, dataset_ids: list[str]) -> dict[str, str]:
    """id → name of those datasets that still exist."""
    query = select(DatasetRow.id, DatasetRow.name).where(
        DatasetRow.tenant_id == tenant_id, DatasetRow.id.in_(dataset_ids)
    )
    return {dataset_id: name for dataset_id, name in session.execute(query)}
