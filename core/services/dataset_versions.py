"""How a dataset's files become a stored version: each file read and validated on its own (``check_file``), the
version's Parquet file and the originals written so that a failure leaves none of them (``stored_version``), their
file records, the per-file parts, and the move of the dataset to its next version with the combined report."""

from __future__ import annotations

import mimetypes
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from core.config import Settings
from core.datasets import ValidationOutcome, combine, keep_valid, read_table, validate
from core.datasets.conversion import column_type
from core.entities import Actor, ColumnSpec, Dataset, DatasetFile, DatasetVersion
from core.errors import InvalidInput, Problem
from core.services.base import record
from core.services.datasets import within_limit
from core.services.files import clean_name
from core.storage.files import FileStore, StoredBytes
from core.storage.orm import utcnow
from core.storage.repositories import dataset_files as repo
from core.storage.repositories import files as file_repo

Upload = tuple[str, bytes | Path | BinaryIO]  # (file name, its bytes, an engine-made path or a binary stream)


@dataclass(frozen=True)
class CheckedFile:
    """One uploaded file, read and validated: what a new version stores of it."""

    name: str
    raw: bytes | Path
    outcome: ValidationOutcome
    table: pa.Table  # the rows it contributes, in the dataset's columns
    status: str
    read: pa.Table  # the file as read, before validation (the lake's bronze copy)


def check_file(
    settings: Settings,
    upload: Upload,
    columns: list[ColumnSpec] | None,
    sheet: str | None,
    on_problems: str,
    schema: pa.Schema | None,
) -> CheckedFile:
    """Read and validate one file; its rows as the dataset will hold them (``schema``: the dataset's)."""
    name = clean_name(upload[0])
    raw = within_limit(upload[1], settings)
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
    return CheckedFile(name, raw, outcome, table if schema is None else aligned(table, schema), status, read)


@contextmanager
def stored_version(
    store: FileStore, actor: Actor, table: pa.Table, checked: Sequence[CheckedFile]
) -> Iterator[tuple[StoredBytes, list[StoredBytes]]]:
    """Write the version's Parquet file and the originals; if what follows fails, none of them stays."""
    keys = []
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


def file_rows(
    session: Session,
    actor: Actor,
    name: str,
    parquet: StoredBytes,
    checked: Sequence[CheckedFile],
    originals: Sequence[StoredBytes],
) -> tuple[str, list[str]]:
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


def specs_of(schema: pa.Schema) -> list[ColumnSpec]:
    """The dataset's columns as an optional-cells template, so later files are read and typed like the first."""
    return [ColumnSpec(f.name, column_type(f.type) or "string", required=False) for f in schema]


def aligned(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` in the dataset's columns and types: columns it lacks are empty, extra ones (reported) dropped."""
    arrays = [
        table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def source_name(names: Iterable[str]) -> str:
    return ", ".join(names)[:255]


def add_parts(
    session: Session, actor: Actor, dataset_id: str, version: int, checked: Sequence[CheckedFile], file_ids: list[str]
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


def move_to_next_version(
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
        source_name=source_name(p.name for p in parts),
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
