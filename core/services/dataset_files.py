"""Datasets made of files: upload one or more files into one dataset, add files (a new version), remove one.

Each file is validated on its own (its report is kept with it) and its original is kept, downloadable by id.
The dataset's rows are its files' rows in order, stored as one Parquet file per version; older versions stay,
so a model or a job that read one keeps its data. Without a template, the first file's types bind the others.
"""

from __future__ import annotations

import mimetypes
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from core.datasets import ValidationOutcome, combine, keep_valid, read_table, validate
from core.datasets.conversion import column_type
from core.entities import DATASET_USAGES, Actor, ColumnSpec, Dataset, DatasetFile, DatasetVersion
from core.errors import Conflict, InvalidInput, Problem
from core.services.base import Service, record, require, unique_name
from core.services.datasets import within_limit
from core.services.files import FileService, clean_name
from core.services.hidden import refuse_hidden, refuse_hidden_file
from core.services.lake_writes import LakeWriter
from core.storage.files import StoredBytes
from core.storage.orm import utcnow
from core.storage.repositories import catalog as catalog_repo
from core.storage.repositories import dataset_files as repo
from core.storage.repositories import files as file_repo
from core.storage.repositories import problems as problems_repo
from core.storage.workspace import Workspace

ON_PROBLEMS = ("keep", "keep_valid", "reject")
Upload = tuple[str, bytes | Path | BinaryIO]  # (file name, its bytes, an engine-made path or a binary stream)
# aliases: inside the service class, `list` is the method
Versions = list[DatasetVersion]
Columns = list[ColumnSpec]
Stored = list[StoredBytes]
Ids = list[str]


@dataclass(frozen=True)
class DatasetUpload:
    """The dataset after the change, and the files this call stored with their validation reports."""

    dataset: Dataset
    files: tuple[DatasetFile, ...]


@dataclass(frozen=True)
class _Checked:
    name: str
    raw: bytes | Path
    outcome: ValidationOutcome
    table: pa.Table  # the rows it contributes, in the dataset's columns
    status: str
    read: pa.Table  # the file as read, before validation (the lake's bronze copy)


class DatasetFileService(Service):
    def __init__(self, workspace: Workspace, *, files: FileService, lake: LakeWriter) -> None:
        super().__init__(workspace)
        self.files, self.lake = files, lake

    def upload(
        self,
        actor: Actor,
        *,
        name: str | None,
        files: Sequence[Upload],
        template_id: str | None = None,
        sheet: str | None = None,
        on_problems: str = "keep",
        usage: str = "training",
        lake_table: str | None = None,
    ) -> DatasetUpload:
        """A new dataset from one or more files, each validated against the template or, without one, the first
        file's types. ``on_problems`` as in ``eng.datasets.upload``, per file: ``reject`` stores nothing when a
        file has problems, ``keep_valid`` keeps each file's usable rows. ``lake_table`` names its bronze and
        silver tables (default: from ``name``)."""
        require(actor, "datasets:write")
        _check_choices(files, on_problems, usage)
        if lake_table is not None:
            self.lake.check_new_table(actor, lake_table)
        name = (name or PurePath(clean_name(files[0][0])).stem).strip()
        if not 1 <= len(name) <= 100:
            raise InvalidInput("A dataset name needs 1 to 100 characters.", [Problem("required", field="name")])
        with self.db.session() as session:
            if catalog_repo.dataset_name_taken(session, actor.tenant_id, name):
                raise Conflict(f"A dataset named {name!r} already exists; choose another name.")
            template = catalog_repo.get_template(session, actor.tenant_id, template_id) if template_id else None
        columns = list(template.columns) if template else None
        first = self._check(files[0], columns, sheet, on_problems, None)
        schema = first.table.schema
        checked = [first, *(self._check(f, columns or _specs(schema), sheet, on_problems, schema) for f in files[1:])]
        table = pa.concat_tables([c.table for c in checked])
        stored_files = self._stored(actor, table, checked)
        with stored_files as (parquet, originals), unique_name("dataset", name), self.db.session() as session:
            parquet_id, original_ids = self._file_rows(session, actor, name, parquet, checked, originals)
            statuses = [c.status for c in checked]
            dataset = catalog_repo.add_dataset(
                session,
                tenant_id=actor.tenant_id,
                owner_id=actor.user_id,
                name=name,
                source_name=_source_name(c.name for c in checked),
                template_id=template_id,
                file_id=parquet_id,
                status="has problems" if "has problems" in statuses else "validated",
                rows=table.num_rows,
                column_types={f.name: column_type(f.type) or "string" for f in table.schema},
                size_bytes=parquet.size,
                report=combine([c.outcome.report for c in checked], [c.name for c in checked]).to_dict(),
                usage=usage,
            )
            stored = _add_parts(session, actor, dataset.id, 1, checked, original_ids)
            version = DatasetVersion(
                dataset.id,
                1,
                parquet_id,
                table.num_rows,
                f"uploaded {len(files)} file(s)",
                actor.username,
                utcnow(),
            )
            repo.add_version(session, tenant_id=actor.tenant_id, owner_id=actor.user_id, version=version)
            record(
                session,
                actor,
                "dataset.uploaded",
                "dataset",
                dataset.id,
                name=name,
                rows=table.num_rows,
                status=dataset.status,
                files=[c.name for c in checked],
            )
        self.lake.land_dataset(actor, dataset, [(c.name, c.read) for c in checked], table, name=lake_table)
        return DatasetUpload(dataset, stored)

    def add(
        self,
        actor: Actor,
        dataset_id: str,
        *,
        files: Sequence[Upload],
        sheet: str | None = None,
        on_problems: str = "keep",
    ) -> DatasetUpload:
        """Validate the files against the dataset's template (or, without one, its column types) and append
        their rows as the dataset's next version. Columns the dataset lacks are reported and left out."""
        require(actor, "datasets:write")
        _check_choices(files, on_problems, "training")
        with self.db.session() as session:
            dataset = catalog_repo.get_dataset(session, actor.tenant_id, dataset_id)
            _refuse_problem_data(session, actor, dataset)
            template = (
                catalog_repo.get_template(session, actor.tenant_id, dataset.template_id)
                if dataset.template_id
                else None
            )
            current = file_repo.storage_key(session, actor.tenant_id, dataset.file_id)
            parts = repo.list_parts(session, actor.tenant_id, dataset_id)
        base = pq.read_table(self.store.path(current))
        columns = list(template.columns) if template else _specs(base.schema)
        checked = [self._check(f, columns, sheet, on_problems, base.schema) for f in files]
        table = pa.concat_tables([base, *(c.table for c in checked)])
        change = "added " + ", ".join(c.name for c in checked)
        with self._stored(actor, table, checked) as (parquet, originals), self.db.session() as session:
            parquet_id, original_ids = self._file_rows(session, actor, dataset.name, parquet, checked, originals)
            stored = _add_parts(session, actor, dataset_id, dataset.version + 1, checked, original_ids)
            _move(session, actor, dataset, [*parts, *stored], table, parquet_id, parquet, change)
        moved = self._dataset(actor, dataset_id)
        added = table.slice(base.num_rows)
        self.lake.land_dataset(actor, moved, [(c.name, c.read) for c in checked], added)  # appends to the lake
        return DatasetUpload(moved, stored)

    def replace(self, actor: Actor, dataset_id: str, *, files: Sequence[Upload], change: str) -> DatasetUpload:
        """Make the files' rows the dataset's next version (validated against its template, if any; its columns may
        change, as a prepared version's do); earlier versions stay, the files that made the current one leave it."""
        require(actor, "datasets:write")
        _check_choices(files, "keep", "training")
        with self.db.session() as session:
            dataset = catalog_repo.get_dataset(session, actor.tenant_id, dataset_id)
            template = dataset.template_id and catalog_repo.get_template(session, actor.tenant_id, dataset.template_id)
            parts = repo.list_parts(session, actor.tenant_id, dataset_id)
        columns = list(template.columns) if template else None
        first = self._check(files[0], columns, None, "keep", None)
        schema = first.table.schema
        checked = [first, *(self._check(f, columns or _specs(schema), None, "keep", schema) for f in files[1:])]
        table, gone = pa.concat_tables([c.table for c in checked]), []
        with self._stored(actor, table, checked) as (parquet, originals), self.db.session() as session:
            parquet_id, original_ids = self._file_rows(session, actor, dataset.name, parquet, checked, originals)
            for part in parts:
                repo.delete_part(session, part.id)
                if repo.version_holding(session, actor.tenant_id, part.file_id) is None:
                    gone.append(file_repo.delete_file(session, actor.tenant_id, part.file_id))
            stored = _add_parts(session, actor, dataset_id, dataset.version + 1, checked, original_ids)
            types = {f.name: column_type(f.type) or "string" for f in table.schema}
            _move(session, actor, dataset, stored, table, parquet_id, parquet, change, column_types=types)
        for key in gone:
            self.store.delete(key)
        moved = self._dataset(actor, dataset_id)
        self.lake.land_dataset(actor, moved, [(c.name, c.read) for c in checked], table, overwrite=True)
        return DatasetUpload(moved, stored)

    def remove(self, actor: Actor, file_id: str) -> Dataset:
        """Take a file out of its dataset: the next version holds the other files' rows; the original goes."""
        require(actor, "datasets:write")
        with self.db.session() as session:
            info = file_repo.get_file(session, actor.tenant_id, file_id)
            part = repo.part_of_file(session, actor.tenant_id, file_id)
            if part is None:
                raise Conflict(f"{info.name!r} is not a file of a dataset.")
            dataset = catalog_repo.get_dataset(session, actor.tenant_id, part.dataset_id)
            _refuse_problem_data(session, actor, dataset)
            parts = repo.list_parts(session, actor.tenant_id, dataset.id)
            current = file_repo.storage_key(session, actor.tenant_id, dataset.file_id)
        if len(parts) == 1:
            raise Conflict(
                f"{part.name!r} is the only file of the dataset {dataset.name!r}; delete the dataset instead."
            )
        if sum(p.rows for p in parts) != dataset.rows:
            raise Conflict(f"The files of the dataset {dataset.name!r} do not add up to its rows; nothing was removed.")
        offset = sum(p.rows for p in parts[: parts.index(part)])
        base = pq.read_table(self.store.path(current))
        table = pa.concat_tables([base.slice(0, offset), base.slice(offset + part.rows)])
        key = None
        with self._stored(actor, table, []) as (parquet, _), self.db.session() as session:
            parquet_id, _ids = self._file_rows(session, actor, dataset.name, parquet, [], [])
            repo.delete_part(session, part.id)
            if repo.version_holding(session, actor.tenant_id, file_id) is None:  # a pre-versions dataset's first file
                key = file_repo.delete_file(session, actor.tenant_id, file_id)
            rest = [p for p in parts if p.id != part.id]
            _move(session, actor, dataset, rest, table, parquet_id, parquet, f"removed {part.name}")
        if key:
            self.store.delete(key)
        moved = self._dataset(actor, dataset.id)
        self.lake.land_dataset(actor, moved, [], table, overwrite=True)  # silver: the rows without the file's
        return moved

    def delete_file(self, actor: Actor, file_id: str) -> Dataset | None:
        """Delete a file by id as a user means it: a dataset's file is removed from it (a new version, returned);
        any other file is deleted as ``eng.files.delete`` does."""
        with self.db.session() as session:
            part = repo.part_of_file(session, actor.tenant_id, file_id)
        if part is not None:
            return self.remove(actor, file_id)
        self.files.delete(actor, file_id)
        return None

    def list(self, actor: Actor, dataset_id: str) -> list[DatasetFile]:
        """The dataset's files in the order of its rows."""
        require(actor, "datasets:read")
        with self.db.session() as session:
            catalog_repo.get_dataset(session, actor.tenant_id, dataset_id)
            refuse_hidden(session, actor, [dataset_id])  # the files' reports quote values
            return repo.list_parts(session, actor.tenant_id, dataset_id)

    def of_file(self, actor: Actor, file_id: str) -> DatasetFile | None:
        """The dataset file whose original is ``file_id`` (None for a file of no dataset)."""
        require(actor, "files:read")
        with self.db.session() as session:
            file_repo.get_file(session, actor.tenant_id, file_id)
            refuse_hidden_file(session, actor, file_id)
            return repo.part_of_file(session, actor.tenant_id, file_id)

    def versions(self, actor: Actor, dataset_id: str) -> Versions:
        require(actor, "datasets:read")
        with self.db.session() as session:
            catalog_repo.get_dataset(session, actor.tenant_id, dataset_id)
            return repo.list_versions(session, actor.tenant_id, dataset_id)

    def facts(self, actor: Actor) -> dict[str, tuple[int, datetime]]:
        """dataset id -> (number of files, when its newest version was made), for listings."""
        require(actor, "datasets:read")
        with self.db.session() as session:
            return dict(repo.facts(session, actor.tenant_id))

    # --- internals --------------------------------------------------------------------------------------
    def _dataset(self, actor: Actor, dataset_id: str) -> Dataset:
        with self.db.session() as session:
            return catalog_repo.get_dataset(session, actor.tenant_id, dataset_id)

    def _check(
        self,
        upload: Upload,
        columns: Columns | None,
        sheet: str | None,
        on_problems: str,
        schema: pa.Schema | None,
    ) -> _Checked:
        """Read and validate one file; its rows as the dataset will hold them (``schema``: the dataset's)."""
        name = clean_name(upload[0])
        raw = within_limit(upload[1], self.settings)
        read = read_table(raw, name, sheet=sheet, columns=columns)
        outcome = validate(read, columns)
        report = outcome.report
        if not report.ok and on_problems == "reject":
            raise InvalidInput(
                f"{name!r} has {report.total_problems} problem(s); nothing was stored.",
                [Problem(p.problem, field=p.column, row=p.row, value=p.value) for p in report.problems[:50]],
            )
        table = outcome.table
        if not report.ok and on_problems == "keep_valid":
            table = keep_valid(outcome)
            if table.num_rows == 0:
                raise InvalidInput(f"No row of {name!r} is usable; nothing was stored.")
        status = "has problems" if not report.ok and on_problems == "keep" else "validated"
        return _Checked(name, raw, outcome, table if schema is None else _aligned(table, schema), status, read)

    @contextmanager
    def _stored(
        self, actor: Actor, table: pa.Table, checked: Sequence[_Checked]
    ) -> Iterator[tuple[StoredBytes, Stored]]:
        """Write the version's Parquet file and the originals; if what follows fails, none of them stays."""
        store, keys = self.store, []
        try:
            with store.writer(actor.tenant_id, "dataset") as (key, tmp):
                pq.write_table(table, tmp)
            keys.append(key)
            originals = []
            for item in checked:
                originals.append(store.put(actor.tenant_id, "data", item.raw))
                keys.append(originals[-1].storage_key)
            yield store.describe(key), originals
        except BaseException:
            for key in keys:
                store.delete(key)
            raise

    def _file_rows(
        self,
        session: Session,
        actor: Actor,
        name: str,
        parquet: StoredBytes,
        checked: Sequence[_Checked],
        originals: Sequence[StoredBytes],
    ) -> tuple[str, Ids]:
        """File records of the version's Parquet file and of the originals; their ids."""

        def add(kind: str, filename: str, content_type: str, stored: StoredBytes) -> str:
            info = file_repo.add_file(
                session,
                tenant_id=actor.tenant_id,
                owner_id=actor.user_id,
                kind=kind,
                name=filename,
                content_type=content_type,
                stored=stored,
            )
            return info.id

        parquet_id = add("dataset", f"{name}.parquet", "application/vnd.apache.parquet", parquet)
        guess = [mimetypes.guess_type(c.name)[0] or "application/octet-stream" for c in checked]
        return parquet_id, [add("data", c.name, g, s) for c, g, s in zip(checked, guess, originals, strict=True)]


def _check_choices(files: Sequence[Upload], on_problems: str, usage: str) -> None:
    if not files:
        raise InvalidInput("Send at least one file.", [Problem("required", field="files")])
    if on_problems not in ON_PROBLEMS:
        raise InvalidInput(f"on_problems must be one of {', '.join(ON_PROBLEMS)}.", [Problem("unknown", "on_problems")])
    if usage not in DATASET_USAGES:
        raise InvalidInput(f"usage must be one of {', '.join(DATASET_USAGES)}.", [Problem("unknown", field="usage")])


def _specs(schema: pa.Schema) -> list[ColumnSpec]:
    """The dataset's columns as an optional-cells template, so later files are read and typed like the first."""
    return [ColumnSpec(f.name, column_type(f.type) or "string", required=False) for f in schema]


def _aligned(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` in the dataset's columns and types: columns it lacks are empty, extra ones (reported) dropped."""
    arrays = [
        table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _source_name(names: Iterable[str]) -> str:
    return ", ".join(names)[:255]


def _add_parts(
    session: Session, actor: Actor, dataset_id: str, version: int, checked: Sequence[_Checked], file_ids: list[str]
) -> tuple[DatasetFile, ...]:
    parts = tuple(
        DatasetFile(
            str(uuid.uuid4()),
            dataset_id,
            file_id,
            c.name,
            version,
            c.table.num_rows,
            c.status,
            c.outcome.report,
            utcnow(),
        )
        for c, file_id in zip(checked, file_ids, strict=True)
    )
    for part in parts:
        repo.add_part(session, tenant_id=actor.tenant_id, dataset_id=dataset_id, part=part)
    return parts


def _move(
    session: Session,
    actor: Actor,
    dataset: Dataset,
    parts: Sequence[DatasetFile],
    table: pa.Table,
    parquet_id: str,
    parquet: StoredBytes,
    change: str,
    **fields: object,
) -> None:
    """Make ``table`` (the rows of ``parts``) the dataset's next version, with their combined report (``fields``:
    other columns of the dataset the version changes, such as ``column_types``)."""
    version = dataset.version + 1
    repo.move_to_version(
        session,
        actor.tenant_id,
        dataset.id,
        dataset.version,
        file_id=parquet_id,
        rows=table.num_rows,
        size_bytes=parquet.size,
        status="has problems" if any(p.status == "has problems" for p in parts) else "validated",
        report=combine([p.report for p in parts], [p.name for p in parts]).to_dict(),
        source_name=_source_name(p.name for p in parts),
        **fields,
    )
    entry = DatasetVersion(dataset.id, version, parquet_id, table.num_rows, change, actor.username, utcnow())
    repo.add_version(session, tenant_id=actor.tenant_id, owner_id=actor.user_id, version=entry)
    record(
        session,
        actor,
        "dataset.version_added",
        "dataset",
        dataset.id,
        name=dataset.name,
        version=version,
        change=change,
    )


def _refuse_problem_data(session: Session, actor: Actor, dataset: Dataset) -> None:
    """A problem's data keeps its rows: its learning tasks are row ranges of it, its test scores compare."""
    problems = problems_repo.problems_using_dataset(session, actor.tenant_id, dataset.id)
    if problems:
        raise Conflict(
            f"The dataset {dataset.name!r} is data of the problem(s) {', '.join(problems)}; its rows cannot change. "
            "Upload the new rows as a new dataset and attach it."
        )
