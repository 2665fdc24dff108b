"""The datalake: tables in the bronze / silver / gold schemas, their columns, snapshots and statistics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

LAKE_SCHEMAS = ("bronze", "silver", "gold")
LAKE_STATES = ("ready", "failed")  # failed: the last write did not reach the lake (see eng.datalake.retry)


@dataclass(frozen=True)
class LakeTable:
    """A lake table and what the product records about it (Iceberg keeps neither owner nor last access).

    ``location`` is relative to the workspace (``lake/<tenant>/<schema>/<table>``): server paths stay private.
    ``rows``, ``snapshots`` and ``size_bytes`` are those of the current snapshot (0 while ``failed`` and empty)."""

    schema: str
    table: str
    owner: str
    created_time: datetime
    last_access_time: datetime
    location: str
    format: str
    status: str
    error: str | None
    dataset_id: str | None
    model_id: str | None
    rows: int = 0
    snapshots: int = 0
    size_bytes: int = 0


@dataclass(frozen=True)
class LakeColumn:
    column_name: str
    data_type: str  # the type a query sees: varchar, bigint, double, timestamp ...
    note: str = ""  # how the stored type differs from the upload's (nanoseconds, unsigned, category ...)


@dataclass(frozen=True)
class LakeSnapshot:
    """One version of a table: each write (append or overwrite) is an Iceberg snapshot."""

    snapshot_id: int
    created_at: datetime
    operation: str  # append | overwrite
    rows_added: int
    total_rows: int
    user: str
    source: str  # the file, dataset version or job that wrote it


@dataclass(frozen=True)
class NumericStats:
    column: str
    count: int
    mean: float | None
    std_dev: float | None
    min: float | None
    max: float | None
    median: float | None


@dataclass(frozen=True)
class LakeQuery:
    """A query box result: at most ``max_rows`` rows (``truncated`` when more matched)."""

    frame: pd.DataFrame
    truncated: bool
    tables: tuple[str, ...]
    seconds: float
