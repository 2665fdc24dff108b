"""What the product records about lake tables: owner, times, the dataset or model that writes each, status."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.entities import Actor, LakeTable
from core.errors import NotFound
from core.storage.orm import LakeTableRow, utcnow


def _table(row: LakeTableRow) -> LakeTable:
    return LakeTable(
        schema=row.schema_name,
        table=row.table_name,
        owner=row.owner_name,
        created_time=row.created_at,
        last_access_time=row.last_access_at,
        location=f"lake/{row.tenant_id}/{row.schema_name}/{row.table_name}",
        format="iceberg",
        status=row.status,
        error=row.error,
        dataset_id=row.dataset_id,
        model_id=row.model_id,
    )


def _row(session: Session, tenant_id: str, schema: str, table: str) -> LakeTableRow | None:
    return session.scalar(
        select(LakeTableRow).where(
            LakeTableRow.tenant_id == tenant_id, LakeTableRow.schema_name == schema, LakeTableRow.table_name == table
        )
    )


def get(session: Session, tenant_id: str, schema: str, table: str) -> LakeTable:
    row = _row(session, tenant_id, schema, table)
    if row is None:
        raise NotFound(f"There is no table {schema}.{table}.")
    return _table(row)


def find(session: Session, tenant_id: str, schema: str, table: str) -> LakeTable | None:
    row = _row(session, tenant_id, schema, table)
    return None if row is None else _table(row)


def list_tables(session: Session, tenant_id: str, schema: str | None = None) -> list[LakeTable]:
    query = select(LakeTableRow).where(LakeTableRow.tenant_id == tenant_id)
    if schema is not None:
        query = query.where(LakeTableRow.schema_name == schema)
    return [_table(r) for r in session.scalars(query.order_by(LakeTableRow.schema_name, LakeTableRow.table_name))]


def of_dataset(session: Session, tenant_id: str, dataset_id: str) -> list[LakeTable]:
    query = select(LakeTableRow).where(LakeTableRow.tenant_id == tenant_id, LakeTableRow.dataset_id == dataset_id)
    return [_table(r) for r in session.scalars(query.order_by(LakeTableRow.schema_name))]


def add(
    session: Session,
    actor: Actor,
    schema: str,
    table: str,
    *,
    dataset_id: str | None = None,
    model_id: str | None = None,
) -> LakeTable:
    """The table's record (made on its first write, status ``ready`` until a write fails)."""
    row = LakeTableRow(
        tenant_id=actor.tenant_id,
        schema_name=schema,
        table_name=table,
        owner_id=actor.user_id,
        owner_name=actor.username,
        dataset_id=dataset_id,
        model_id=model_id,
        status="ready",
    )
    session.add(row)
    session.flush()
    return _table(row)


def set_status(session: Session, tenant_id: str, schema: str, table: str, error: str | None) -> None:
    """``ready`` (error None) or ``failed`` with the reason."""
    session.execute(
        update(LakeTableRow)
        .where(
            LakeTableRow.tenant_id == tenant_id, LakeTableRow.schema_name == schema, LakeTableRow.table_name == table
        )
        .values(status="ready" if error is None else "failed", error=None if error is None else error[:2000])
    )


def touch(session: Session, tenant_id: str, schema: str, table: str) -> None:
    """Record a read (Iceberg keeps no access time)."""
    session.execute(
        update(LakeTableRow)
        .where(
            LakeTableRow.tenant_id == tenant_id, LakeTableRow.schema_name == schema, LakeTableRow.table_name == table
        )
        .values(last_access_at=utcnow())
    )
