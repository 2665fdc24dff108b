"""``eng.datalake``: the tenant's bronze / silver / gold Iceberg tables — browse, statistics, time travel and a
read-only query box — and ``retry`` of failed writes. The writes themselves, made by the upload and
batch-prediction flows, are ``writes`` (``core.services.lake_writes``).

Reads need ``datasets:read``; ``retry`` needs ``datasets:write``. Every call names the actor's tenant to the
catalog and to ``lake_tables``, so another tenant's schema or table is simply not there (NotFound)."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from core import lake
from core.entities import (
    LAKE_SCHEMAS,
    Actor,
    LakeColumn,
    LakeQuery,
    LakeSnapshot,
    LakeTable,
    NumericStats,
)
from core.errors import InvalidInput, NotFound, Problem
from core.services.base import Service, require
from core.services.hidden import refuse_hidden
from core.services.lake_writes import SOURCE, USER, LakeWriter
from core.storage.orm import utcnow
from core.storage.repositories import catalog as catalog_repo
from core.storage.repositories import lake as repo
from core.storage.workspace import Workspace

if TYPE_CHECKING:
    from pyiceberg.schema import Schema
    from pyiceberg.table import Table
    from pyiceberg.table.snapshots import Snapshot


class DatalakeService(Service):
    def __init__(self, workspace: Workspace) -> None:
        super().__init__(workspace)
        self.lake = lake.Lake(self.settings.database_url, self.settings.home / "lake")
        self.writes = LakeWriter(workspace, self.lake)  # what uploads and batch predictions land

    # --- browsing -----------------------------------------------------------------------------------
    def schemas(self, actor: Actor) -> list[str]:
        require(actor, "datasets:read")
        return list(LAKE_SCHEMAS)

    def tables(self, actor: Actor, schema: str) -> list[LakeTable]:
        require(actor, "datasets:read")
        _schema(schema)
        with self.db.session() as session:
            return repo.list_tables(session, actor.tenant_id, schema)

    def table(self, actor: Actor, schema: str, table: str) -> LakeTable:
        """The table's metadata (the seed's fields, plus rows, snapshots and size of its current snapshot)."""
        record = self._record(actor, schema, table)
        if not self._exists(actor, schema, table):  # its first write failed, or is under way
            return record
        current = self.lake.load(actor.tenant_id, schema, table)
        snapshot = current.current_snapshot()
        totals = snapshot.summary.additional_properties if snapshot and snapshot.summary else {}
        return replace(
            record,
            rows=int(totals.get("total-records", 0)),
            snapshots=len(current.snapshots()),
            size_bytes=int(totals.get("total-files-size", 0)),
        )

    def of_dataset(self, actor: Actor, dataset_id: str) -> list[LakeTable]:
        """The dataset's bronze and silver tables (the silver one's name is its ``iceberg_table_name``)."""
        require(actor, "datasets:read")
        with self.db.session() as session:
            catalog_repo.get_dataset(session, actor.tenant_id, dataset_id)
            return repo.of_dataset(session, actor.tenant_id, dataset_id)

    def columns(self, actor: Actor, schema: str, table: str, snapshot_id: int | None = None) -> list[LakeColumn]:
        """Name and SQL type of each column, with a note where the lake stores another type than the upload's."""
        found = self._load(actor, schema, table)
        fields = _schema_at(found, snapshot_id).fields
        return [LakeColumn(f.name, lake.sql_type(f.field_type), f.doc or "") for f in fields]

    def snapshots(self, actor: Actor, schema: str, table: str) -> list[LakeSnapshot]:
        """Every version of the table, oldest first: each write is an Iceberg snapshot."""
        found = self._load(actor, schema, table)
        result = []
        for s in found.snapshots():
            extra = s.summary.additional_properties if s.summary else {}
            result.append(
                LakeSnapshot(
                    snapshot_id=s.snapshot_id,
                    created_at=datetime.fromtimestamp(s.timestamp_ms / 1000, UTC).replace(tzinfo=None),
                    operation=s.summary.operation.value if s.summary else "",
                    rows_added=int(extra.get("added-records", 0)),
                    total_rows=int(extra.get("total-records", 0)),
                    user=extra.get(USER, ""),
                    source=extra.get(SOURCE, ""),
                )
            )
        return result

    def preview(
        self, actor: Actor, schema: str, table: str, limit: int = 100, snapshot_id: int | None = None
    ) -> pd.DataFrame:
        """The first ``limit`` rows (≤ 10,000), of the current snapshot or of ``snapshot_id`` (time travel)."""
        found = self._load(actor, schema, table)
        limit = max(0, min(int(limit), lake.MAX_ROWS))
        _snapshot(found, snapshot_id)
        if found.current_snapshot() is None:
            return _schema_at(found, None).as_arrow().empty_table().to_pandas()
        return found.scan(snapshot_id=snapshot_id, limit=limit).to_pandas()

    # --- statistics ---------------------------------------------------------------------------------
    def numeric_stats(
        self, actor: Actor, schema: str, table: str, column: str, snapshot_id: int | None = None
    ) -> NumericStats:
        """The seed's numeric stats of a numeric column: count (non-missing), mean, std_dev (sample), min, max,
        median."""
        files = self._files(actor, schema, table, column, snapshot_id, numeric=True)
        return NumericStats(column=column, **lake.numeric_stats(files, column))  # type: ignore[arg-type]

    def distinct_count(self, actor: Actor, schema: str, table: str, column: str, snapshot_id: int | None = None) -> int:
        """Distinct non-missing values of any column."""
        return lake.distinct_count(self._files(actor, schema, table, column, snapshot_id), column)

    def histogram(
        self, actor: Actor, schema: str, table: str, column: str, bins: int = 30, snapshot_id: int | None = None
    ) -> pd.DataFrame:
        """``low, high, count`` per equal-width bin of a numeric column's finite values (2–200 bins)."""
        files = self._files(actor, schema, table, column, snapshot_id, numeric=True)
        rows = lake.histogram(files, column, max(2, min(int(bins), 200)))
        return pd.DataFrame(rows, columns=["low", "high", "count"])

    # --- the query box ------------------------------------------------------------------------------
    def query(self, actor: Actor, sql: str, max_rows: int = lake.MAX_ROWS) -> LakeQuery:
        """Run one read-only SELECT over the tenant's tables, named ``schema.table``; at most ``max_rows``
        rows (≤ 10,000) within 30 s. InvalidInput, saying why, for anything else: file functions, ATTACH,
        COPY, INSTALL / LOAD, SET, writes, or a table that is not the tenant's."""
        require(actor, "datasets:read")
        started = time.perf_counter()
        with self.db.session() as session:
            mine = {(t.schema, t.table) for t in repo.list_tables(session, actor.tenant_id)}
        wanted = lake.referenced_tables(sql, lambda schema, table: (schema, table) in mine)
        data = {}
        for schema, table in wanted:
            found = self._load(actor, schema, table)
            data[(schema, table)] = (
                found.scan().to_arrow() if found.current_snapshot() else found.schema().as_arrow().empty_table()
            )
        rows, truncated = lake.run(sql, data, max(1, min(int(max_rows), lake.MAX_ROWS)))
        names = tuple(sorted(f"{s}.{t}" for s, t in wanted))
        return LakeQuery(rows.to_pandas(), truncated, names, time.perf_counter() - started)

    # --- writes -------------------------------------------------------------------------------------
    def retry(self, actor: Actor) -> list[LakeTable]:
        """Rewrite the tenant's ``failed`` dataset tables from what the dataset keeps (silver: its current rows;
        bronze: its files' originals, read again); returns the tables afterwards. Gold tables of failed batch
        writes stay failed: their batch's result file is downloadable from the job."""
        require(actor, "datasets:write")
        return self.writes.rewrite_failed(actor)

    def close(self) -> None:
        self.lake.close()

    # --- internals ----------------------------------------------------------------------------------
    def _record(self, actor: Actor, schema: str, table: str) -> LakeTable:
        """The tenant's table record (NotFound for another tenant's or an unknown one); records the access."""
        require(actor, "datasets:read")
        _schema(schema)
        with self.db.session() as session:
            record = repo.get(session, actor.tenant_id, schema, table)
            repo.touch(session, actor.tenant_id, schema, table)
        return replace(record, last_access_time=utcnow())

    def _exists(self, actor: Actor, schema: str, table: str) -> bool:
        return table in self.lake.tables(actor.tenant_id, schema)

    def _load(self, actor: Actor, schema: str, table: str) -> Table:
        """The table to read: its rows are refused, like the dataset's, when it holds a problem's hidden test data."""
        record = self._record(actor, schema, table)
        with self.db.session() as session:
            refuse_hidden(session, actor, [record.dataset_id or ""])
        return self.lake.load(actor.tenant_id, schema, table)

    def _files(
        self,
        actor: Actor,
        schema: str,
        table: str,
        column: str,
        snapshot_id: int | None,
        numeric: bool = False,
    ) -> list[Path]:
        found = self._load(actor, schema, table)
        fields = {f.name: f for f in _schema_at(found, snapshot_id).fields}
        if column not in fields:
            raise NotFound(f"The table {schema}.{table} has no column {column!r}.")
        if numeric and not isinstance(fields[column].field_type, lake.NUMERIC):
            kind = lake.sql_type(fields[column].field_type)
            raise InvalidInput(
                f"{column!r} is not a numeric column ({kind}).", [Problem("not numeric", field="column_name")]
            )
        return lake.data_files(found, snapshot_id)


def _schema(schema: str) -> None:
    if schema not in LAKE_SCHEMAS:
        raise NotFound(f"There is no schema {schema!r}; the schemas are {', '.join(LAKE_SCHEMAS)}.")


def _snapshot(table: Table, snapshot_id: int | None) -> Snapshot | None:
    """The snapshot ``snapshot_id`` names (None without one); NotFound for one the table does not have."""
    if snapshot_id is None:
        return None
    found = table.snapshot_by_id(snapshot_id)
    if found is None:
        raise NotFound(f"The table has no snapshot {snapshot_id}.")
    return found


def _schema_at(table: Table, snapshot_id: int | None) -> Schema:
    """The table's schema as of ``snapshot_id`` (its current schema without one)."""
    snapshot = _snapshot(table, snapshot_id)
    if snapshot is None or snapshot.schema_id is None:
        return table.schema()
    return table.schemas().get(snapshot.schema_id, table.schema())
