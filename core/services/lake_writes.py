"""The lake writes that dataset uploads and batch predictions make (``eng.datalake`` reads what they write).

Writes never undo the work that triggered them: a dataset upload or a batch prediction is committed first, then
its lake write runs; if that fails the table is recorded ``failed`` with the reason (the upload or job still
succeeds) and ``rewrite_failed`` (``eng.datalake.retry``) rewrites failed dataset tables from the stored dataset.
``DATAML_LAKE=off`` switches the writes off (the lake stays readable). Each snapshot carries the user and what
was written (``USER``, ``SOURCE`` properties)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core import lake
from core.datasets import read_table
from core.entities import Actor, Dataset, LakeTable, Model
from core.errors import Conflict, InvalidInput, Problem
from core.storage.orm import utcnow
from core.storage.repositories import catalog as catalog_repo
from core.storage.repositories import dataset_files as part_repo
from core.storage.repositories import files as file_repo
from core.storage.repositories import lake as repo
from core.storage.repositories import problems as problems_repo
from core.storage.workspace import Workspace

log = logging.getLogger(__name__)
USER, SOURCE = "dataml.user", "dataml.source"


class LakeWriter:
    """Bronze, silver and gold writes, for the services whose work lands in the lake (not an ``eng`` service:
    callers have checked permissions)."""

    def __init__(self, workspace: Workspace, target: lake.Lake) -> None:
        self.settings, self.db, self.store, self.lake = workspace.settings, workspace.db, workspace.store, target

    def rewrite_failed(self, actor: Actor) -> list[LakeTable]:
        """Rewrite the tenant's ``failed`` dataset tables from what the dataset keeps (silver: its current rows;
        bronze: its files' originals, read again); returns the tables afterwards."""
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

    def land_dataset(
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

    def check_new_table(self, actor: Actor, name: str) -> None:
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

    def land_predictions(
        self,
        actor: Actor,
        *,
        model: Model,
        job_id: str,
        inputs: Path,
        outputs: Sequence[pd.DataFrame],
        dataset_id: str | None = None,
    ) -> str | None:
        """Append a batch prediction's rows to the model's gold table ``<model>_predictions``: the input columns
        (``inputs``, the batch's Parquet file) and the computed ones (prediction, probabilities, reasons,
        warnings), with the model version, job id and time. A batch over a problem's hidden test data (a
        manager's) stays out: gold is readable by every reader of the lake. A failed write is recorded with the
        table and returned as a sentence (the batch itself succeeded; its user must still hear of it)."""
        if not self.settings.lake_writes:
            return None
        if dataset_id:
            with self.db.session() as session:
                if problems_repo.hidden_datasets(session, actor.tenant_id, [dataset_id]):
                    return None
        name = lake.table_name(model.name)[:88] + "_predictions"
        try:
            rows = pq.read_table(inputs)
            computed = pd.concat(list(outputs), ignore_index=True) if outputs else pd.DataFrame()
            for column in computed.columns:
                rows = rows.append_column(str(column), pa.array(computed[column], from_pandas=True))
            stamped = _stamped(rows, {"_model_version": model.version, "_job_id": job_id})
            error = self._write(actor, "gold", name, stamped, model_id=model.id, source=f"batch job {job_id}")
        except Exception as exc:
            log.exception("datalake: the predictions of job %s were not written to the lake", job_id)
            error = f"{type(exc).__name__}: {exc}"
        if error is None:
            return None
        return f"The predictions were not added to the datalake table gold.{name} ({error[:300]})."

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
    ) -> str | None:
        """One write: the table's record first (so a failure has somewhere to be told), then the snapshot; the
        failure's text, or None."""
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
        return error


def _stamped(table: pa.Table, values: dict[str, object]) -> pa.Table:
    """``table`` with constant columns (load id, file, model version, job) and the write time appended."""
    rows = table.num_rows
    for name, value in values.items():
        table = table.append_column(name, pa.repeat(pa.scalar(value), rows))
    now = pa.scalar(utcnow(), pa.timestamp("us"))
    return table.append_column("_loaded_at" if "_load_id" in values else "_predicted_at", pa.repeat(now, rows))
