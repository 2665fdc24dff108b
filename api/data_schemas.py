"""Response models of datasets and files in the seed's shape (seed 004 §6, §7), with UUIDs and no paths."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field

from api.schemas import UtcDatetime
from core import Dataset, DatasetFile, DatasetVersion, FileInfo, ValidationReport

MAX_PROBLEMS = 100  # per report in a response; the report CSV on the Datasets page has them all
USAGES = {"t": "training", "p": "prediction", "training": "training", "prediction": "prediction"}


class ProblemRowOut(BaseModel):
    row: int | None = Field(description="1-based data row (row 1 is under the header); none for a whole column.")
    column: str | None
    value: str | None
    problem: str
    expected: str | None = None


class ReportOut(BaseModel):
    """A validation report: counts, and the first problems."""

    rows: int = Field(description="Data rows read.")
    columns: int = Field(description="Columns of the file.")
    usable_rows: int
    usable_fraction: float
    problem_counts: dict[str, int]
    problems: list[ProblemRowOut] = Field(description=f"The first {MAX_PROBLEMS} problems.")
    truncated: bool = Field(description="True when there are more problems than listed.")
    notes: list[str]

    @classmethod
    def of(cls, report: ValidationReport) -> ReportOut:
        shown = report.problems[:MAX_PROBLEMS]
        return cls(
            rows=report.rows,
            columns=report.file_columns,
            usable_rows=report.usable_rows,
            usable_fraction=report.usable_fraction,
            problem_counts=dict(report.problem_counts),
            problems=[ProblemRowOut(**vars(p)) for p in shown],
            truncated=report.total_problems > len(shown),
            notes=list(report.notes),
        )


class FileOut(BaseModel):
    """A stored file. A dataset's file also has the seed's ``total_fields``, ``total_records`` and
    ``error_report`` (null when the file had no problem); the file store's facts come with ``get_file_by_id``."""

    id: str = Field(description="A UUID (the seed uses integers); download by this id, never by a path.")
    file_name: str
    created_at: UtcDatetime
    modified_at: UtcDatetime
    dataset_id: str | None = None
    dataset_version: int | None = Field(default=None, description="The dataset version that added the file.")
    total_fields: int | None = None
    total_records: int | None = None
    rows_in_dataset: int | None = Field(
        default=None, description="Rows it gives the dataset (its usable rows when only valid rows were kept)."
    )
    status: str | None = Field(default=None, description="'validated' or 'has problems' (kept with problems).")
    error_report: ReportOut | None = None
    kind: str | None = None
    size: int | None = None
    content_type: str | None = None
    sha256: str | None = None
    created_by: str | None = None

    @classmethod
    def of(cls, part: DatasetFile | None, info: FileInfo | None = None) -> FileOut:
        assert part is not None or info is not None
        facts: dict[str, Any] = {}
        if info is not None:
            facts = {"kind": info.kind, "size": info.size, "content_type": info.content_type, "sha256": info.sha256}
            facts |= {"created_by": info.owner, "id": info.id, "file_name": info.name}
            facts |= {"created_at": info.created_at, "modified_at": info.created_at}
        if part is not None:
            facts |= {"id": part.file_id, "file_name": part.name, "created_at": part.created_at}
            facts |= {"modified_at": part.created_at, "dataset_id": part.dataset_id, "dataset_version": part.version}
            facts |= {"total_fields": part.report.file_columns, "total_records": part.report.rows}
            facts |= {"rows_in_dataset": part.rows, "status": part.status}
            facts |= {"error_report": None if part.report.ok else ReportOut.of(part.report)}
        return cls(**facts)


class DatasetSummary(BaseModel):
    """Seed 004's dataset in a list, plus what the Datasets page shows."""

    id: str = Field(description="A UUID (the seed uses integers).")
    tenant_id: str
    dataset_name: str
    file_count: int
    is_valid: bool = Field(description="True when no stored row has a problem (status 'validated').")
    status: str
    created_by: str
    template_id: str | None
    template_name: str | None
    data_source: str = Field(description="The files' format: csv, xlsx, parquet, or mixed.")
    created_at: UtcDatetime
    modified_at: UtcDatetime = Field(description="When the newest version was made.")
    dataset_usability: str = Field(description="Usable rows of its files, in percent ('85%').")
    usage: str = Field(description="'training' or 'prediction' (the seed's 't' / 'p' are accepted on input).")
    dataset_usage: str = Field(description="'Training' or 'Prediction'.")
    rows: int
    no_of_columns: int
    version: int
    size_bytes: int
    iceberg_table_name: str | None = Field(
        default=None, description="Its silver table in the datalake (None until the lake write succeeded once)."
    )

    @classmethod
    def of(
        cls, dataset: Dataset, tenant_id: str, facts: tuple[int, datetime] | None, iceberg_table_name: str | None = None
    ) -> DatasetSummary:
        count, modified = facts or (0, dataset.created_at)
        return cls.model_construct(  # trusted engine values, built for every row of a listing: no validation
            id=dataset.id,
            tenant_id=tenant_id,
            dataset_name=dataset.name,
            file_count=count,
            is_valid=dataset.status == "validated",
            status=dataset.status,
            created_by=dataset.owner,
            template_id=dataset.template_id,
            template_name=dataset.template_name,
            data_source=data_source(dataset.source_name.split(", ")),
            created_at=utc(dataset.created_at),
            modified_at=utc(modified),
            dataset_usability=f"{dataset.validation.usable_fraction:.0%}",
            usage=dataset.usage,
            dataset_usage=dataset.usage.capitalize(),
            rows=dataset.rows,
            no_of_columns=len(dataset.column_types),
            version=dataset.version,
            size_bytes=dataset.size_bytes,
            iceberg_table_name=iceberg_table_name,
        )


class ColumnTypeOut(BaseModel):
    column_name: str
    data_type: str


class VersionOut(BaseModel):
    version: int
    rows: int
    change: str
    created_by: str
    created_at: UtcDatetime

    @classmethod
    def of(cls, version: DatasetVersion) -> VersionOut:
        return cls(
            version=version.version,
            rows=version.rows,
            change=version.change,
            created_by=version.owner,
            created_at=version.created_at,
        )


class DatasetOut(DatasetSummary):
    """One dataset in full: columns, the report of all its files, each file, its versions. No server paths
    (the seed's ``dataset_path`` / ``validated_path``): files are read by id."""

    columns: list[ColumnTypeOut]
    validation: ReportOut
    files: list[FileOut]
    versions: list[VersionOut]


class FilesOut(BaseModel):
    """Files just stored; with a dataset, the dataset they went into (seed 004 §6.1 and §7.1)."""

    dataset_id: str | None = None
    dataset_name: str | None = None
    data_source: str | None = None
    status: str | None = None
    version: int | None = None
    rows: int | None = None
    usage: str | None = None
    files: list[FileOut]

    @classmethod
    def of_dataset(cls, dataset: Dataset, files: tuple[DatasetFile, ...]) -> FilesOut:
        return cls(
            dataset_id=dataset.id,
            dataset_name=dataset.name,
            data_source=data_source([f.name for f in files]),
            status=dataset.status,
            version=dataset.version,
            rows=dataset.rows,
            usage=dataset.usage,
            files=[FileOut.of(f) for f in files],
        )


def utc(moment: datetime) -> datetime:
    """The engine's naive UTC as an aware datetime (what ``UtcDatetime`` validation does)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def data_source(names: list[str]) -> str:
    kinds = {PurePath(n).suffix.lower().lstrip(".") or "unknown" for n in names}
    kinds = {"csv" if k in ("tsv", "txt") else "xlsx" if k == "xlsm" else "parquet" if k == "pq" else k for k in kinds}
    return kinds.pop() if len(kinds) == 1 else "mixed"


def usage_of(value: str | None) -> str | None:
    """The engine's usage for the seed's 't' / 'p' or our words, in any case (None stays None)."""
    return None if value is None else USAGES.get(value.strip().lower(), value)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON objects: ISO dates, missing values as null."""
    return json.loads(frame.to_json(orient="records", date_format="iso"))  # type: ignore[no-any-return]
