"""The files a dataset is made of and its versions; moving a dataset to a new version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.datasets.report import ValidationReport
from core.entities import DatasetFile, DatasetVersion
from core.errors import Conflict, NotFound
from core.storage.orm import DatasetFileRow, DatasetRow, DatasetVersionRow, UserRow


def _part(row: DatasetFileRow) -> DatasetFile:
    return DatasetFile(
        id=row.id,
        dataset_id=row.dataset_id,
        file_id=row.file_id,
        name=row.name,
        version=row.version,
        rows=row.rows,
        status=row.status,
        report=ValidationReport.from_dict(row.report),
        created_at=row.created_at,
    )


def add_part(session: Session, *, tenant_id: str, dataset_id: str, part: DatasetFile) -> None:
    position = session.scalar(
        select(func.coalesce(func.max(DatasetFileRow.position) + 1, 0)).where(DatasetFileRow.dataset_id == dataset_id)
    )
    session.add(
        DatasetFileRow(
            id=part.id,
            tenant_id=tenant_id,
            dataset_id=dataset_id,
            file_id=part.file_id,
            name=part.name,
            position=position,
            version=part.version,
            rows=part.rows,
            status=part.status,
            report=part.report.to_dict(),
            created_at=part.created_at,
        )
    )


def list_parts(session: Session, tenant_id: str, dataset_id: str) -> list[DatasetFile]:
    query = (
        select(DatasetFileRow)
        .where(DatasetFileRow.tenant_id == tenant_id, DatasetFileRow.dataset_id == dataset_id)
        .order_by(DatasetFileRow.position)
    )
    return [_part(row) for row in session.scalars(query)]


def part_of_file(session: Session, tenant_id: str, file_id: str) -> DatasetFile | None:
    """The dataset file whose original is ``file_id``, if the file is one."""
    query = select(DatasetFileRow).where(DatasetFileRow.tenant_id == tenant_id, DatasetFileRow.file_id == file_id)
    row = session.scalar(query)
    return None if row is None else _part(row)


def delete_part(session: Session, part_id: str) -> None:
    row = session.get(DatasetFileRow, part_id)
    if row is None:
        raise NotFound("That file does not exist.")
    session.delete(row)
    session.flush()


def add_version(session: Session, *, tenant_id: str, owner_id: str, version: DatasetVersion) -> None:
    session.add(
        DatasetVersionRow(
            tenant_id=tenant_id,
            dataset_id=version.dataset_id,
            version=version.version,
            file_id=version.file_id,
            rows=version.rows,
            change=version.change[:300],
            owner_id=owner_id,
            created_at=version.created_at,
        )
    )
    session.flush()


def list_versions(session: Session, tenant_id: str, dataset_id: str) -> list[DatasetVersion]:
    query = (
        select(DatasetVersionRow, UserRow.username)
        .outerjoin(UserRow, UserRow.id == DatasetVersionRow.owner_id)
        .where(DatasetVersionRow.tenant_id == tenant_id, DatasetVersionRow.dataset_id == dataset_id)
        .order_by(DatasetVersionRow.version)
    )
    return [
        DatasetVersion(
            row.dataset_id, row.version, row.file_id, row.rows, row.change, owner or "system", row.created_at
        )
        for row, owner in session.execute(query)
    ]


def version_holding(session: Session, tenant_id: str, file_id: str) -> tuple[str, int] | None:
    """(dataset name, version) when ``file_id`` is the Parquet file of a dataset version."""
    query = (
        select(DatasetRow.name, DatasetVersionRow.version)
        .join(DatasetRow, DatasetRow.id == DatasetVersionRow.dataset_id)
        .where(DatasetVersionRow.tenant_id == tenant_id, DatasetVersionRow.file_id == file_id)
    )
    found = session.execute(query).first()
    return None if found is None else (found[0], found[1])


def facts(session: Session, tenant_id: str) -> dict[str, tuple[int, datetime]]:
    """dataset id -> (number of files, when its newest version was made), in two grouped queries."""
    counts: dict[str, int] = {
        dataset_id: n
        for dataset_id, n in session.execute(
            select(DatasetFileRow.dataset_id, func.count())
            .where(DatasetFileRow.tenant_id == tenant_id)
            .group_by(DatasetFileRow.dataset_id)
        )
    }
    modified = session.execute(
        select(DatasetVersionRow.dataset_id, func.max(DatasetVersionRow.created_at))
        .where(DatasetVersionRow.tenant_id == tenant_id)
        .group_by(DatasetVersionRow.dataset_id)
    )
    return {dataset_id: (counts.get(dataset_id, 0), at) for dataset_id, at in modified}


def move_to_version(session: Session, tenant_id: str, dataset_id: str, expected: int, **fields: Any) -> None:
    """Point the dataset at its next version (``fields``: file_id, rows, status, report, size_bytes,
    source_name), forgetting cached statistics. Conflict when another change made version ``expected + 1``
    first, so two concurrent changes never both apply."""
    query = (
        update(DatasetRow)
        .where(DatasetRow.id == dataset_id, DatasetRow.tenant_id == tenant_id, DatasetRow.version == expected)
        .values(version=expected + 1, statistics=None, **fields)
    )
    if session.execute(query).rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("The dataset changed meanwhile; try again.")


def delete_for_dataset(session: Session, tenant_id: str, dataset_id: str) -> set[str]:
    """Delete the dataset's file and version rows; returns every file id they held (originals and Parquet)."""
    parts = list(
        session.scalars(
            select(DatasetFileRow).where(DatasetFileRow.tenant_id == tenant_id, DatasetFileRow.dataset_id == dataset_id)
        )
    )
    versions = list(
        session.scalars(
            select(DatasetVersionRow).where(
                DatasetVersionRow.tenant_id == tenant_id, DatasetVersionRow.dataset_id == dataset_id
            )
        )
    )
    file_ids = {row.file_id for row in parts} | {row.file_id for row in versions}
    for row in [*parts, *versions]:
        session.delete(row)
    session.flush()
    return file_ids
