"""``eng.datalake``: the tenant's bronze / silver / gold Iceberg tables — browse, statistics, time travel and a
read-only query box — and the writes the upload and batch-prediction flows make.

Reads need ``datasets:read``; ``retry`` needs ``datasets:write``. Every call names the actor's tenant to the
catalog and to ``lake_tables``, so another tenant's schema or table is simply not there (NotFound).

Writes never undo the work that triggered them: a dataset upload or a batch prediction is committed first,
then its lake write runs; if that fails the table is recorded ``failed`` with the reason (the upload or job
still succeeds) and ``retry`` rewrites failed dataset tables from the stored dataset. ``DATAML_LAKE=off``
switches the writes off (the lake stays readable)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core import lake
from core.datasets import read_table
from core.entities import (
    LAKE_SCHEMAS,
    Actor,
    Dataset,
    LakeColumn,
    LakeQuery,
    LakeSnapshot,
    LakeTable,
    Model,
    NumericStats,
)
from core.errors import Conflict, InvalidInput, NotFound, Problem
from core.services.base import Service, require
from core.services.hidden import refuse_hidden
from core.storage.orm import utcnow
from core.storage.repositories import catalog as catalog_repo
from core.storage.repositories import dataset_files as part_repo
from core.storage.repositories import files as file_repo
from core.storage.repositories import lake as repo
from core.storage.repositories import problems as problems_repo
from core.storage.workspace import Workspace

if TYPE_CHECKING:
    from pyiceberg.schema import Schema
    from pyiceberg.table import Table
    from pyiceberg.table.snapshots import Snapshot

log = logging.getLogger(__name__)
USER, SOURCE = "dataml.user", "dataml.source"


class DatalakeService(Service):
    def __init__(self, workspace: Workspace) -> None:
        super().__init__(workspace)
        self.lake = lake.Lake(self.settings.database_url, self.settings.home / "lake")

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
        with self.db.session() as session:
            failed = [t for t in repo.list_tables(session, actor.tenant_id) if t.status == "failed" and t.dataset_id]
        for item in failed:
            with self.db.session() as session:
                dataset = catalog_repo.get_dataset(session, actor.tenant_id, item.dataset_id or "")
            if item.schema == "silver":
                self._silver(actor, item.table, dataset, self._current_rows(actor, dataset), overwrite=True)
            else:
                self._bronze(actor, item.table, dataset, self._originals(actor, dataset), overwrite=True)
        with self.db.session() as session:
            return [repo.get(session, actor.tenant_id, t.schema, t.table) for t in failed]

    def _land_dataset(
        self,
        actor: Actor,
        dataset: Dataset,
        raw: Sequence[tuple[str, pa.Table]],
        rows: pa.Table,
        *,
        overwrite: bool = False,
        name: str | None = None,
    ) -> None:
        """After a dataset upload (``name``: its tables' name, else one made from the dataset's), added file or
        removed file: each new file as read into bronze (with its load id, time and file name) and the dataset's
        new rows into silver (``overwrite``: all its rows). A table whose last write failed is rewritten whole
        instead, so an append never leaves it partial."""
        if not self.settings.lake_writes:
            return
        try:
            with self.db.session() as session:
                known = {t.schema: t for t in repo.of_dataset(session, actor.tenant_id, dataset.id)}
            silver = known["silver"].table if "silver" in known else self._claim(actor, dataset, name)
            bronze = known["bronze"].table if "bronze" in known else silver
            if "bronze" in known and known["bronze"].status == "failed":
                self._bronze(actor, bronze, dataset, self._originals(actor, dataset), overwrite=True)
            elif raw:
                self._bronze(actor, bronze, dataset, raw)
            if "silver" in known and known["silver"].status == "failed":
                rows, overwrite = self._current_rows(actor, dataset), True
            self._silver(actor, silver, dataset, rows, overwrite=overwrite)
        except Exception:  # the upload is committed; a lake that cannot be reached must not undo it
            log.exception("datalake: the dataset %s was not written to the lake", dataset.id)

    def _claim(self, actor: Actor, dataset: Dataset, name: str | None) -> str:
        """Record a new dataset's bronze and silver tables under ``name``, else the first free one made from the
        dataset's name (``sales``, ``sales_2`` ...): the unique key settles two uploads racing for a name."""
        base = name or lake.table_name(dataset.name)
        for n in range(1, 1000):
            candidate = base if n == 1 else f"{base[:94]}_{n}"
            try:
                with self.db.session() as session:
                    for schema in ("bronze", "silver"):
                        repo.add(session, actor, schema, candidate, dataset_id=dataset.id)
                return candidate
            except Conflict:
                if name:
                    raise
        raise Conflict(f"No free lake table name for {dataset.name!r}.")

    def _check_new_table(self, actor: Actor, name: str) -> None:
        """Refuse a table name a new dataset cannot have: not in the lake's form, or one of the tenant's tables."""
        if lake.table_name(name) != name:
            raise InvalidInput(
                "A lake table name needs lower-case letters, digits and _, starting with a letter (at most 100).",
                [Problem("invalid", field="iceberg_table_name", value=name)],
            )
        with self.db.session() as session:
            if any(t.table == name for t in repo.list_tables(session, actor.tenant_id)):
                raise Conflict(f"The datalake already has a table named {name!r}; choose another name.")

    def _bronze(
        self,
        actor: Actor,
        table: str,
        dataset: Dataset,
        raw: Sequence[tuple[str, pa.Table]],
        overwrite: bool = False,
    ) -> None:
        """Each file as read, stamped with one load id, its name and the time; one snapshot per file."""
        load_id = str(uuid.uuid4())
        for number, (filename, data) in enumerate(raw):
            stamped = _stamped(data, {"_load_id": load_id, "_source_file": filename})
            replace_all = overwrite and number == 0
            self._write(actor, "bronze", table, stamped, dataset_id=dataset.id, overwrite=replace_all, source=filename)

    def _silver(self, actor: Actor, table: str, dataset: Dataset, rows: pa.Table, overwrite: bool = False) -> None:
        source = f"{dataset.name} version {dataset.version}"
        self._write(actor, "silver", table, rows, dataset_id=dataset.id, overwrite=overwrite, source=source)

    def _current_rows(self, actor: Actor, dataset: Dataset) -> pa.Table:
        with self.db.session() as session:
            key = file_repo.storage_key(session, actor.tenant_id, dataset.file_id)
        return pq.read_table(self.store.path(key))

    def _originals(self, actor: Actor, dataset: Dataset) -> list[tuple[str, pa.Table]]:
        """The dataset's files as uploaded, read again as the upload read them (with its template's types)."""
        with self.db.session() as session:
            parts = part_repo.list_parts(session, actor.tenant_id, dataset.id)
            keys = [file_repo.storage_key(session, actor.tenant_id, p.file_id) for p in parts]
            template = (
                catalog_repo.get_template(session, actor.tenant_id, dataset.template_id)
                if dataset.template_id
                else None
            )
        columns = list(template.columns) if template else None
        return [
            (p.name, read_table(self.store.path(k), p.name, columns=columns)) for p, k in zip(parts, keys, strict=True)
        ]

    def _land_predictions(
        self,
        actor: Actor,
        *,
        model: Model,
        job_id: str,
        inputs: Path,
        outputs: Sequence[pd.DataFrame],
        dataset_id: str | None = None,
    ) -> None:
        """Append a batch prediction's rows to the model's gold table ``<model>_predictions``: the input columns
        (``inputs``, the batch's Parquet file) and the computed ones (prediction, probabilities, reasons,
        warnings), with the model version, job id and time. A batch over a problem's hidden test data (a
        manager's) stays out: gold is readable by every reader of the lake."""
        if not self.settings.lake_writes:
            return
        if dataset_id:
            with self.db.session() as session:
                if problems_repo.hidden_datasets(session, actor.tenant_id, [dataset_id]):
                    return
        try:
            rows = pq.read_table(inputs)
            computed = pd.concat(list(outputs), ignore_index=True) if outputs else pd.DataFrame()
            for name in computed.columns:
                rows = rows.append_column(str(name), pa.array(computed[name], from_pandas=True))
            stamped = _stamped(rows, {"_model_version": model.version, "_job_id": job_id})
            name = lake.table_name(model.name)[:88] + "_predictions"
            self._write(actor, "gold", name, stamped, model_id=model.id, source=f"batch job {job_id}")
        except Exception:
            log.exception("datalake: the predictions of job %s were not written to the lake", job_id)

    def close(self) -> None:
        self.lake.close()

    # --- internals ----------------------------------------------------------------------------------
    def _write(
        self,
        actor: Actor,
        schema: str,
        table: str,
        data: pa.Table,
        *,
        dataset_id: str | None = None,
        model_id: str | None = None,
        overwrite: bool = False,
        source: str,
    ) -> None:
        """One write: the table's record first (so a failure has somewhere to be told), then the snapshot."""
        with self.db.session() as session:
            if repo.find(session, actor.tenant_id, schema, table) is None:
                repo.add(session, actor, schema, table, dataset_id=dataset_id, model_id=model_id)
        try:
            properties = {USER: actor.username, SOURCE: source[:500]}
            self.lake.write(actor.tenant_id, schema, table, data, overwrite=overwrite, properties=properties)
            error = None
        except Exception as exc:
            log.exception("datalake: writing %s.%s failed", schema, table)
            error = f"{type(exc).__name__}: {exc}"
        with self.db.session() as session:
            repo.set_status(session, actor.tenant_id, schema, table, error)

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


def _stamped(table: pa.Table, values: dict[str, object]) -> pa.Table:
    """``table`` with constant columns (load id, file, model version, job) and the write time appended."""
    rows = table.num_rows
    for name, value in values.items():
        table = table.append_column(name, pa.repeat(pa.scalar(value), rows))
    now = pa.scalar(utcnow(), pa.timestamp("us"))
    return table.append_column("_loaded_at" if "_load_id" in values else "_predicted_at", pa.repeat(now, rows))
