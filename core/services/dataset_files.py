"""Datasets made of files: upload one or more files into one dataset, add files (a new version), remove one.

Each file is validated on its own (its report is kept with it) and its original is kept, downloadable by id.
The dataset's rows are its files' rows in order, stored as one Parquet file per version; older versions stay,
so a model or a job that read one keeps its data. Without a template, the first file's types bind the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from core.datasets import combine
from core.datasets.conversion import column_type
from core.entities import DATASET_USAGES, Actor, Dataset, DatasetFile, DatasetVersion
from core.errors import Conflict, InvalidInput, Problem
from core.services.base import Service, record, require, unique_name
from core.services.dataset_versions import (
    Upload,
    add_parts,
    check_file,
    file_rows,
    move_to_next_version,
    source_name,
    specs_of,
    stored_version,
)
from core.services.files import FileService, clean_name
from core.services.hidden import refuse_hidden, refuse_hidden_file
from core.services.lake_writes import LakeWriter
from core.storage.orm import utcnow
from core.storage.repositories import catalog as catalog_repo
from core.storage.repositories import dataset_files as repo
from core.storage.repositories import files as file_repo
from core.storage.repositories import problems as problems_repo
from core.storage.workspace import Workspace

ON_PROBLEMS = ("keep", "keep_valid", "reject")
# aliases: inside the service class, `list` is the method
Versions = list[DatasetVersion]


@dataclass(frozen=True)
class DatasetUpload:
    """The dataset after the change, and the files this call stored with their validation reports."""

    dataset: Dataset
    files: tuple[DatasetFile, ...]


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
        first = check_file(self.settings, files[0], columns, sheet, on_problems, None)
        schema = first.table.schema
        checked = [
            first,
            *(check_file(self.settings, f, columns or specs_of(schema), sheet, on_problems, schema) for f in files[1:]),
        ]
        table = pa.concat_tables([c.table for c in checked])
        stored_files = stored_version(self.store, actor, table, checked)
        with stored_files as (parquet, originals), unique_name("dataset", name), self.db.session() as session:
            parquet_id, original_ids = file_rows(session, actor, name, parquet, checked, originals)
            statuses = [c.status for c in checked]
            dataset = catalog_repo.add_dataset(
                session,
                tenant_id=actor.tenant_id,
                owner_id=actor.user_id,
                name=name,
                source_name=source_name(c.name for c in checked),
                template_id=template_id,
                file_id=parquet_id,
                status="has problems" if "has problems" in statuses else "validated",
                rows=table.num_rows,
                column_types={f.name: column_type(f.type) or "string" for f in table.schema},
                size_bytes=parquet.size,
                report=combine([c.outcome.report for c in checked], [c.name for c in checked]).to_dict(),
                usage=usage,
            )
            stored = add_parts(session, actor, dataset.id, 1, checked, original_ids)
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
        columns = list(template.columns) if template else specs_of(base.schema)
        checked = [check_file(self.settings, f, columns, sheet, on_problems, base.schema) for f in files]
        table = pa.concat_tables([base, *(c.table for c in checked)])
        change = "added " + ", ".join(c.name for c in checked)
        with stored_version(self.store, actor, table, checked) as (parquet, originals), self.db.session() as session:
            parquet_id, original_ids = file_rows(session, actor, dataset.name, parquet, checked, originals)
            stored = add_parts(session, actor, dataset_id, dataset.version + 1, checked, original_ids)
            move_to_next_version(session, actor, dataset, [*parts, *stored], table, parquet_id, parquet, change)
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
        first = check_file(self.settings, files[0], columns, None, "keep", None)
        schema = first.table.schema
        checked = [
            first,
            *(check_file(self.settings, f, columns or specs_of(schema), None, "keep", schema) for f in files[1:]),
        ]
        table, gone = pa.concat_tables([c.table for c in checked]), []
        with stored_version(self.store, actor, table, checked) as (parquet, originals), self.db.session() as session:
            parquet_id, original_ids = file_rows(session, actor, dataset.name, parquet, checked, originals)
            for part in parts:
                repo.delete_part(session, part.id)
                if repo.version_holding(session, actor.tenant_id, part.file_id) is None:
                    gone.append(file_repo.delete_file(session, actor.tenant_id, part.file_id))
            stored = add_parts(session, actor, dataset_id, dataset.version + 1, checked, original_ids)
            types = {f.name: column_type(f.type) or "string" for f in table.schema}
            move_to_next_version(
                session, actor, dataset, stored, table, parquet_id, parquet, change, column_types=types
            )
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
        with stored_version(self.store, actor, table, []) as (parquet, _), self.db.session() as session:
            parquet_id, _ids = file_rows(session, actor, dataset.name, parquet, [], [])
            repo.delete_part(session, part.id)
            if repo.version_holding(session, actor.tenant_id, file_id) is None:  # a pre-versions dataset's first file
                key = file_repo.delete_file(session, actor.tenant_id, file_id)
            rest = [p for p in parts if p.id != part.id]
            move_to_next_version(session, actor, dataset, rest, table, parquet_id, parquet, f"removed {part.name}")
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


def _check_choices(files: Sequence[Upload], on_problems: str, usage: str) -> None:
    if not files:
        raise InvalidInput("Send at least one file.", [Problem("required", field="files")])
    if on_problems not in ON_PROBLEMS:
        raise InvalidInput(f"on_problems must be one of {', '.join(ON_PROBLEMS)}.", [Problem("unknown", "on_problems")])
    if usage not in DATASET_USAGES:
        raise InvalidInput(f"usage must be one of {', '.join(DATASET_USAGES)}.", [Problem("unknown", field="usage")])


def _refuse_problem_data(session: Session, actor: Actor, dataset: Dataset) -> None:
    """A problem's data keeps its rows: its learning tasks are row ranges of it, its test scores compare."""
    problems = problems_repo.problems_using_dataset(session, actor.tenant_id, dataset.id)
    if problems:
        raise Conflict(
            f"The dataset {dataset.name!r} is data of the problem(s) {', '.join(problems)}; its rows cannot change. "
            "Upload the new rows as a new dataset and attach it."
        )
