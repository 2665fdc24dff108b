"""Templates and datasets of a tenant, and what still uses them (models, unfinished jobs): queries of the link
tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, defer

from core.datasets.report import ValidationReport
from core.entities import UNFINISHED_JOB_STATES, ColumnSpec, Dataset, Template
from core.errors import NotFound
from core.storage.orm import (
    DatasetRow,
    JobLinkRow,
    JobRow,
    ModelDatasetRow,
    ModelFileRow,
    ModelRow,
    TemplateRow,
    UserRow,
    name_key,
)


def _template(row: TemplateRow, owner: str) -> Template:
    return Template(
        id=row.id,
        name=row.name,
        description=row.description,
        columns=tuple(ColumnSpec.from_dict(c) for c in row.columns),
        owner=owner,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _template_row(session: Session, tenant_id: str, template_id: str) -> TemplateRow:
    row = session.get(TemplateRow, template_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("That template does not exist.")
    return row


def _owner(session: Session, user_id: str) -> str:
    return session.scalar(select(UserRow.username).where(UserRow.id == user_id)) or "unknown"


def add_template(
    session: Session, *, tenant_id: str, owner_id: str, name: str, description: str, columns: list[ColumnSpec]
) -> Template:
    row = TemplateRow(
        tenant_id=tenant_id,
        owner_id=owner_id,
        name=name,
        description=description,
        columns=[c.to_dict() for c in columns],
    )
    session.add(row)
    session.flush()
    return _template(row, _owner(session, owner_id))


def get_template(session: Session, tenant_id: str, template_id: str) -> Template:
    row = _template_row(session, tenant_id, template_id)
    return _template(row, _owner(session, row.owner_id))


def list_templates(session: Session, tenant_id: str) -> list[Template]:
    query = (
        select(TemplateRow, UserRow.username)
        .join(UserRow, UserRow.id == TemplateRow.owner_id)
        .where(TemplateRow.tenant_id == tenant_id)
        .order_by(TemplateRow.name)
    )
    return [_template(row, owner) for row, owner in session.execute(query)]


def update_template(
    session: Session, tenant_id: str, template_id: str, *, name: str, description: str, columns: list[ColumnSpec]
) -> Template:
    row = _template_row(session, tenant_id, template_id)
    row.name, row.description, row.columns = name, description, [c.to_dict() for c in columns]
    session.flush()
    return _template(row, _owner(session, row.owner_id))


def delete_template(session: Session, tenant_id: str, template_id: str) -> None:
    session.delete(_template_row(session, tenant_id, template_id))
    session.flush()


def template_name_taken(session: Session, tenant_id: str, name: str, except_id: str | None = None) -> bool:
    query = select(TemplateRow.id).where(TemplateRow.tenant_id == tenant_id, TemplateRow.name_key == name_key(name))
    found = session.scalar(query)
    return found is not None and found != except_id


def datasets_using_template(session: Session, tenant_id: str, template_id: str) -> list[str]:
    query = select(DatasetRow.name).where(DatasetRow.tenant_id == tenant_id, DatasetRow.template_id == template_id)
    return list(session.scalars(query))


def _dataset(row: DatasetRow, owner: str, template_name: str | None) -> Dataset:
    return Dataset(
        id=row.id,
        name=row.name,
        source_name=row.source_name,
        status=row.status,
        rows=row.rows,
        column_types=dict(row.column_types),
        size_bytes=row.size_bytes,
        template_id=row.template_id,
        template_name=template_name,
        owner=owner,
        file_id=row.file_id,
        created_at=row.created_at,
        validation=ValidationReport.from_dict(row.report),
        usage=row.usage,
        version=row.version,
    )


def _dataset_query():  # type: ignore[no-untyped-def]
    """Datasets with owner and template names; the cached statistics (large JSON) are not read with them."""
    return (
        select(DatasetRow, UserRow.username, TemplateRow.name)
        .join(UserRow, UserRow.id == DatasetRow.owner_id)
        .outerjoin(TemplateRow, TemplateRow.id == DatasetRow.template_id)
        .options(defer(DatasetRow.statistics))
    )


def add_dataset(
    session: Session,
    *,
    tenant_id: str,
    owner_id: str,
    name: str,
    source_name: str,
    template_id: str | None,
    file_id: str,
    status: str,
    rows: int,
    column_types: dict[str, str],
    size_bytes: int,
    report: dict[str, Any],
    usage: str = "training",
) -> Dataset:
    row = DatasetRow(
        tenant_id=tenant_id,
        owner_id=owner_id,
        name=name,
        source_name=source_name,
        template_id=template_id,
        file_id=file_id,
        status=status,
        rows=rows,
        column_types=column_types,
        size_bytes=size_bytes,
        report=report,
        usage=usage,
    )
    session.add(row)
    session.flush()
    return get_dataset(session, tenant_id, row.id)


def get_dataset(session: Session, tenant_id: str, dataset_id: str) -> Dataset:
    found = session.execute(
        _dataset_query().where(DatasetRow.id == dataset_id, DatasetRow.tenant_id == tenant_id)
    ).first()
    if found is None:
        raise NotFound("That dataset does not exist.")
    return _dataset(*found)


def list_datasets(
    session: Session, tenant_id: str, *, status: str | None = None, usage: str | None = None
) -> list[Dataset]:
    query = _dataset_query().where(DatasetRow.tenant_id == tenant_id).order_by(DatasetRow.created_at.desc())
    if status:
        query = query.where(DatasetRow.status == status)
    if usage:
        query = query.where(DatasetRow.usage == usage)
    return [_dataset(*found) for found in session.execute(query)]


def dataset_name_taken(session: Session, tenant_id: str, name: str) -> bool:
    query = select(DatasetRow.id).where(DatasetRow.tenant_id == tenant_id, DatasetRow.name_key == name_key(name))
    return session.scalar(query) is not None


def dataset_statistics(session: Session, tenant_id: str, dataset_id: str) -> list[Any] | None:
    row = session.get(DatasetRow, dataset_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("That dataset does not exist.")
    return row.statistics


def set_dataset_statistics(session: Session, tenant_id: str, dataset_id: str, stats: list[Any] | None) -> None:
    row = session.get(DatasetRow, dataset_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("That dataset does not exist.")
    row.statistics = stats


def delete_dataset(session: Session, tenant_id: str, dataset_id: str) -> str:
    """Delete the row; returns its file id so the caller removes the file too."""
    row = session.get(DatasetRow, dataset_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("That dataset does not exist.")
    file_id = row.file_id
    session.delete(row)
    session.flush()
    return file_id


def models_using_dataset(session: Session, tenant_id: str, dataset_id: str) -> list[tuple[str, str]]:
    """(model id, "name vN") of models trained on the dataset (continued versions included), newest first."""
    query = (
        select(ModelRow.id, ModelRow.name, ModelRow.version)
        .join(ModelDatasetRow, ModelDatasetRow.model_id == ModelRow.id)
        .where(ModelRow.tenant_id == tenant_id, ModelDatasetRow.dataset_id == dataset_id)
        .order_by(ModelRow.created_at.desc())
    )
    return [(model_id, f"{name} v{version}") for model_id, name, version in session.execute(query)]


def models_using_file(session: Session, tenant_id: str, file_id: str) -> list[str]:
    """ "name vN" of the model whose pipeline, held-out predictions, background or SHAP values the file is."""
    query = (
        select(ModelRow.name, ModelRow.version)
        .join(ModelFileRow, ModelFileRow.model_id == ModelRow.id)
        .where(ModelRow.tenant_id == tenant_id, ModelFileRow.file_id == file_id)
    )
    return [f"{name} v{version}" for name, version in session.execute(query)]


def jobs_using(
    session: Session,
    tenant_id: str,
    *,
    datasets: Sequence[str] = (),
    models: Sequence[str] = (),
    files: Sequence[str] = (),
) -> list[str]:
    """Titles of the tenant's unfinished jobs that name any of these rows: deleting one would make the job fail
    halfway (and the job's links refuse it)."""
    named = or_(JobLinkRow.dataset_id.in_(datasets), JobLinkRow.model_id.in_(models), JobLinkRow.file_id.in_(files))
    query = (
        select(JobRow.title)
        .join(JobLinkRow, JobLinkRow.job_id == JobRow.id)
        .where(JobRow.tenant_id == tenant_id, JobRow.status.in_(UNFINISHED_JOB_STATES), named)
        .distinct()
    )
    return sorted(session.scalars(query))
