"""Seed 004 §11: the datalake — schemas, tables, columns, table metadata, numeric stats and distinct counts —
plus what the Datalake page also does: snapshots, previews (time travel), the read-only query box, retry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.data_schemas import records
from api.deps import ActorDep, EngineDep
from api.lake_schemas import (
    ColumnOut,
    DistinctCountOut,
    NumericStatsOut,
    QueryIn,
    RowsOut,
    SnapshotOut,
    TableMetadataOut,
)

router = APIRouter(prefix="/datalake", tags=["datalake"])

SchemaName = Annotated[str, Query(description="bronze, silver or gold.", max_length=16)]
TableName = Annotated[str, Query(description="A table of the schema.", max_length=100)]
ColumnName = Annotated[str, Query(description="A column of the table.", max_length=300)]
SnapshotId = Annotated[int | None, Query(description="Read the table as of this snapshot (time travel).")]


@router.get("/schemas", response_model=list[str])
def list_schemas(eng: EngineDep, actor: ActorDep) -> list[str]:
    return eng.datalake.schemas(actor)


@router.get("/schemas/tables", response_model=list[str])
def list_tables(eng: EngineDep, actor: ActorDep, schema_name: SchemaName) -> list[str]:
    """Names of your tables in the schema (another tenant's are never listed)."""
    return [t.table for t in eng.datalake.tables(actor, schema_name)]


@router.get("/tables/columns", response_model=list[ColumnOut])
def table_columns(
    eng: EngineDep, actor: ActorDep, schema_name: SchemaName, table_name: TableName, snapshot_id: SnapshotId = None
) -> list[ColumnOut]:
    return [ColumnOut.of(c) for c in eng.datalake.columns(actor, schema_name, table_name, snapshot_id)]


@router.get("/table_metadata", response_model=TableMetadataOut, response_model_by_alias=True)
def table_metadata(eng: EngineDep, actor: ActorDep, schema_name: SchemaName, table_name: TableName) -> TableMetadataOut:
    return TableMetadataOut.of(eng.datalake.table(actor, schema_name, table_name))


@router.get("/numeric_stats", response_model=NumericStatsOut)
def numeric_stats(
    eng: EngineDep,
    actor: ActorDep,
    schema_name: SchemaName,
    table_name: TableName,
    column_name: ColumnName,
    snapshot_id: SnapshotId = None,
) -> NumericStatsOut:
    """count (non-missing values), mean, std_dev (sample), min, max, median; 422 for a column that is not
    numeric."""
    stats = eng.datalake.numeric_stats(actor, schema_name, table_name, column_name, snapshot_id)
    return NumericStatsOut.of(stats)


@router.get("/distinct-count", response_model=DistinctCountOut, response_model_by_alias=True)
def distinct_count(
    eng: EngineDep,
    actor: ActorDep,
    schema: SchemaName,
    table: TableName,
    column: ColumnName,
    snapshot_id: SnapshotId = None,
) -> DistinctCountOut:
    count = eng.datalake.distinct_count(actor, schema, table, column, snapshot_id)
    return DistinctCountOut(schema=schema, table=table, column=column, distinct_count=count)


@router.get("/snapshots", response_model=list[SnapshotOut])
def snapshots(eng: EngineDep, actor: ActorDep, schema_name: SchemaName, table_name: TableName) -> list[SnapshotOut]:
    """The table's versions, oldest first (not in the seed)."""
    return [SnapshotOut.of(s) for s in eng.datalake.snapshots(actor, schema_name, table_name)]


@router.get("/preview", response_model=RowsOut)
def preview(
    eng: EngineDep,
    actor: ActorDep,
    schema_name: SchemaName,
    table_name: TableName,
    limit: Annotated[int, Query(ge=0, le=10_000)] = 100,
    snapshot_id: SnapshotId = None,
) -> RowsOut:
    """The first rows, now or as of a snapshot (not in the seed)."""
    frame = eng.datalake.preview(actor, schema_name, table_name, limit, snapshot_id)
    return RowsOut(columns=[str(c) for c in frame.columns], rows=records(frame))


@router.post("/query", response_model=RowsOut)
def query(eng: EngineDep, actor: ActorDep, body: QueryIn) -> RowsOut:
    """Run one read-only SELECT over your tables (not in the seed): 422 saying why for file functions,
    COPY, ATTACH, INSTALL / LOAD, SET, writes, or a table that is not yours. At most 10,000 rows, 30 s."""
    return RowsOut.of_query(eng.datalake.query(actor, body.sql, body.max_rows))


@router.post("/retry", response_model=list[TableMetadataOut], response_model_by_alias=True)
def retry(eng: EngineDep, actor: ActorDep) -> list[TableMetadataOut]:
    """Rewrite your dataset tables whose last lake write failed (not in the seed)."""
    return [TableMetadataOut.of(t) for t in eng.datalake.retry(actor)]
