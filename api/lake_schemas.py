"""Response models of the datalake routes (seed 004 §11)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.data_schemas import records
from api.schemas import UtcDatetime
from core import LakeColumn, LakeQuery, LakeSnapshot, LakeTable, NumericStats


class ColumnOut(BaseModel):
    column_name: str
    data_type: str = Field(description="The type a query sees: varchar, bigint, double, timestamp, date ...")
    note: str = Field(description="How the stored type differs from the upload's (nanoseconds, unsigned ...).")

    @classmethod
    def of(cls, column: LakeColumn) -> ColumnOut:
        return cls(**column.__dict__)


class TableMetadataOut(BaseModel):
    schema_: str = Field(alias="schema", serialization_alias="schema")
    table: str
    owner: str
    created_time: UtcDatetime
    last_access_time: UtcDatetime
    location: str = Field(description="Relative to the workspace: lake/<tenant>/<schema>/<table>.")
    format: str
    status: str = Field(description="'ready', or 'failed' when the last write did not reach the lake.")
    error: str | None = None
    rows: int
    snapshots: int
    size_bytes: int
    dataset_id: str | None = None
    model_id: str | None = None

    @classmethod
    def of(cls, table: LakeTable) -> TableMetadataOut:
        return cls.model_validate(table.__dict__)


class NumericStatsOut(BaseModel):
    column: str
    count: int
    mean: float | None
    std_dev: float | None
    min: float | None
    max: float | None
    median: float | None

    @classmethod
    def of(cls, stats: NumericStats) -> NumericStatsOut:
        return cls(**stats.__dict__)


class DistinctCountOut(BaseModel):
    schema_: str = Field(alias="schema", serialization_alias="schema")
    table: str
    column: str
    distinct_count: int


class SnapshotOut(BaseModel):
    snapshot_id: int
    created_at: UtcDatetime
    operation: str
    rows_added: int
    total_rows: int
    user: str
    source: str

    @classmethod
    def of(cls, snapshot: LakeSnapshot) -> SnapshotOut:
        return cls(**snapshot.__dict__)


class RowsOut(BaseModel):
    columns: list[str]
    rows: list[dict[str, Any]] = Field(description="Rows as objects: ISO dates, missing values null.")
    truncated: bool = False
    tables: list[str] = Field(default_factory=list, description="The tables a query read.")
    seconds: float | None = None

    @classmethod
    def of_query(cls, result: LakeQuery) -> RowsOut:
        frame = result.frame
        return cls(
            columns=[str(c) for c in frame.columns],
            rows=records(frame),
            truncated=result.truncated,
            tables=list(result.tables),
            seconds=round(result.seconds, 3),
        )


class QueryIn(BaseModel):
    sql: str = Field(description="One SELECT over your tables, named schema.table (bronze, silver, gold).")
    max_rows: int = Field(default=10_000, ge=1, le=10_000)
