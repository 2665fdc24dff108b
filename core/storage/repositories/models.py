"""Trained model versions of a tenant, with their links: training datasets (in order) and files (by role).

The mapper builds the typed ``ModelSchema`` / ``ForecastSpec`` and ``ModelDetails`` from the stored JSON."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.entities import ForecastSpec, Model, ModelDetails, ModelSchema
from core.errors import Conflict, NotFound
from core.storage.orm import DatasetRow, FileRow, ModelDatasetRow, ModelFileRow, ModelRow, UserRow, name_key

_VERSION_ATTEMPTS = 20


def _model(row: ModelRow, owner: str, dataset_name: str, datasets: Sequence[str], files: Mapping[str, str]) -> Model:
    forecast = row.problem_type == "forecast"
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
        target=row.target,
        schema=None if forecast else ModelSchema.from_dict(row.schema),
        forecast=ForecastSpec.from_dict(row.schema) if forecast else None,
        metrics=dict(row.metrics),
        details=ModelDetails.from_dict(row.details),
        datasets=tuple(datasets),
        files=dict(files),
        owner=owner,
        created_at=row.created_at,
        domain=row.domain,
        description=row.description,
    )


def _query():  # type: ignore[no-untyped-def]
    return (
        select(ModelRow, UserRow.username, DatasetRow.name)
        .join(UserRow, UserRow.id == ModelRow.owner_id)
        .join(DatasetRow, DatasetRow.id == ModelRow.dataset_id)
    )


def _models(session: Session, found: Sequence[Any]) -> list[Model]:
    """Entities of ``(row, owner, dataset name)`` results, their links read in two queries for all of them."""
    ids = [row.id for row, _, _ in found]
    datasets: dict[str, list[str]] = defaultdict(list)
    files: dict[str, dict[str, str]] = defaultdict(dict)
    if ids:
        links = select(ModelDatasetRow).where(ModelDatasetRow.model_id.in_(ids)).order_by(ModelDatasetRow.position)
        for link in session.scalars(links):
            datasets[link.model_id].append(link.dataset_id)
        for file_link in session.scalars(select(ModelFileRow).where(ModelFileRow.model_id.in_(ids))):
            files[file_link.model_id][file_link.role] = file_link.file_id
    return [_model(row, owner, name, datasets[row.id], files[row.id]) for row, owner, name in found]


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


def add_model_version(
    session: Session,
    *,
    tenant_id: str,
    owner_id: str,
    name: str,
    problem_type: str,
    dataset_id: str,
    parent_id: str | None = None,
    job_id: str | None,
    target: str,
    schema: ModelSchema | ForecastSpec,
    metrics: Mapping[str, float | None],
    details: ModelDetails,
    datasets: Sequence[str],
    files: Mapping[str, str],
    domain: str = "",
) -> Model:
    """Add the next version of predictor ``name`` (ignoring case) with its links. Two trainings finishing at once
    may pick the same number; the unique constraint refuses the second, which then takes the next one (in a
    savepoint, so the caller's other rows stay). A dataset or file deleted meanwhile fails the links' foreign
    keys, so no model is ever stored without its data."""
    for _ in range(_VERSION_ATTEMPTS):
        spelling, version = _next_version(session, tenant_id, name)
        row = ModelRow(
            tenant_id=tenant_id,
            owner_id=owner_id,
            name=spelling,
            version=version,
            problem_type=problem_type,
            dataset_id=dataset_id,
            parent_id=parent_id,
            job_id=job_id,
            target=target,
            schema=schema.to_dict(),
            metrics=dict(metrics),
            details=details.to_dict(),
            domain=domain,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            continue
        session.add_all(
            ModelDatasetRow(model_id=row.id, position=n, dataset_id=d) for n, d in enumerate(dict.fromkeys(datasets))
        )
        session.add_all(ModelFileRow(model_id=row.id, role=role, file_id=f) for role, f in files.items())
        session.flush()
        return get_model(session, tenant_id, row.id)
    raise Conflict(f"No new version of {name!r} could be numbered (too many trainings at once); train again.")


def get_model(session: Session, tenant_id: str, model_id: str) -> Model:
    found = session.execute(_query().where(ModelRow.id == model_id, ModelRow.tenant_id == tenant_id)).first()
    if found is None:
        raise NotFound("That model does not exist.")
    return _models(session, [found])[0]


def model_exists(session: Session, tenant_id: str, model_id: str) -> bool:
    query = select(ModelRow.id).where(ModelRow.id == model_id, ModelRow.tenant_id == tenant_id)
    return session.execute(query).first() is not None


def list_models(session: Session, tenant_id: str, *, problem_types: Sequence[str] | None = None) -> list[Model]:
    query = _query().where(ModelRow.tenant_id == tenant_id).order_by(ModelRow.name, ModelRow.version.desc())
    if problem_types:
        query = query.where(ModelRow.problem_type.in_(problem_types))
    return _models(session, session.execute(query).all())


def latest_version(session: Session, tenant_id: str, name: str) -> Model | None:
    """The newest version of predictor ``name`` (ignoring case), if any."""
    query = (
        _query()
        .where(ModelRow.tenant_id == tenant_id, ModelRow.name_key == name_key(name))
        .order_by(ModelRow.version.desc())
        .limit(1)
    )
    found = session.execute(query).first()
    return _models(session, [found])[0] if found else None


def rename_predictor(session: Session, tenant_id: str, model_id: str, name: str) -> list[str]:
    """Give every version of the predictor ``model_id`` belongs to the name ``name``; returns their ids. Refused
    when another predictor has that name (ignoring case); the unique constraint settles a race."""
    row = _row(session, tenant_id, model_id)
    versions = list(
        session.scalars(select(ModelRow).where(ModelRow.tenant_id == tenant_id, ModelRow.name_key == row.name_key))
    )
    if name_key(name) != row.name_key and session.scalar(
        select(ModelRow.id).where(ModelRow.tenant_id == tenant_id, ModelRow.name_key == name_key(name)).limit(1)
    ):
        raise Conflict(f"Another predictor is named {name!r}.")
    try:
        with session.begin_nested():
            for version in versions:
                version.name = name
    except IntegrityError as exc:
        raise Conflict(f"Another predictor is named {name!r}.") from exc
    return [v.id for v in versions]


def set_labels(session: Session, tenant_id: str, model_id: str, *, domain: str | None, description: str | None) -> None:
    """Set the version's domain and / or description (None: unchanged)."""
    row = _row(session, tenant_id, model_id)
    if domain is not None:
        row.domain = domain
    if description is not None:
        row.description = description
    session.flush()


def _row(session: Session, tenant_id: str, model_id: str) -> ModelRow:
    row = session.get(ModelRow, model_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("That model does not exist.")
    return row


def set_details(session: Session, tenant_id: str, model_id: str, *, details: ModelDetails) -> None:
    _row(session, tenant_id, model_id).details = details.to_dict()
    session.flush()


def set_file(session: Session, tenant_id: str, model_id: str, *, role: str, file_id: str | None) -> str | None:
    """Link ``file_id`` to the model in ``role`` (None: unlink); returns the file that held the role before."""
    _row(session, tenant_id, model_id)
    link = session.get(ModelFileRow, (model_id, role))
    before = link.file_id if link else None
    if link is not None:
        session.delete(link)
        session.flush()
    if file_id is not None:
        session.add(ModelFileRow(model_id=model_id, role=role, file_id=file_id))
    session.flush()
    return before


def delete_model(session: Session, tenant_id: str, model_id: str) -> list[str]:
    """Delete the row and its links (children keep their lineage text); returns the ids of its files, which
    the caller deletes in the same transaction."""
    row = _row(session, tenant_id, model_id)
    files = list(session.scalars(select(ModelFileRow.file_id).where(ModelFileRow.model_id == model_id)))
    for child in session.scalars(select(ModelRow).where(ModelRow.parent_id == model_id)):
        child.parent_id = None
    session.execute(delete(ModelFileRow).where(ModelFileRow.model_id == model_id))
    session.execute(delete(ModelDatasetRow).where(ModelDatasetRow.model_id == model_id))
    session.delete(row)
    session.flush()
    return files


def ancestry(session: Session, tenant_id: str, model_id: str) -> list[Model]:
    """The model and its ancestors (parent, grandparent, …), newest first."""
    chain = [get_model(session, tenant_id, model_id)]
    while chain[-1].parent_id and len(chain) < 1000:
        chain.append(get_model(session, tenant_id, chain[-1].parent_id))
    return chain


def dataset_names(session: Session, tenant_id: str, dataset_ids: Sequence[str]) -> dict[str, str]:
    """id → name of those datasets that still exist."""
    query = select(DatasetRow.id, DatasetRow.name).where(
        DatasetRow.tenant_id == tenant_id, DatasetRow.id.in_(dataset_ids)
    )
    return {dataset_id: name for dataset_id, name in session.execute(query)}


def stored_file(session: Session, tenant_id: str, model_id: str, role: str) -> tuple[str, str] | None:
    """(storage key, sha256) of the model's file in ``role``, or None when it has none."""
    query = (
        select(FileRow.storage_key, FileRow.sha256)
        .join(ModelFileRow, ModelFileRow.file_id == FileRow.id)
        .where(ModelFileRow.model_id == model_id, ModelFileRow.role == role, FileRow.tenant_id == tenant_id)
    )
    found = session.execute(query).first()
    return (found[0], found[1]) if found else None
