"""The files a dataset is made of and its versions (files added or removed make a new version)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.datasets.report import ValidationReport


@dataclass(frozen=True)
class DatasetFile:
    """One uploaded file of a dataset: its original (``file_id``, downloadable by id) and its validation.

    ``rows`` is what it contributes to the dataset (its usable rows when only valid rows were kept);
    ``report.rows`` and ``report.file_columns`` are the file's own records and fields. Datasets stored before
    originals were kept have the dataset's first Parquet file as their ``file_id``.
    """

    id: str
    dataset_id: str
    file_id: str
    name: str
    version: int  # the dataset version that added it
    rows: int
    status: str  # "validated" | "has problems" (its rows were kept with problems)
    report: ValidationReport
    created_at: datetime


@dataclass(frozen=True)
class DatasetVersion:
    """One state of a dataset's rows: its own Parquet file, kept so models trained on it stay reproducible."""

    dataset_id: str
    version: int
    file_id: str
    rows: int
    change: str  # what made it: "uploaded 2 files", "added x.csv", "removed x.csv"
    owner: str
    created_at: datetime
