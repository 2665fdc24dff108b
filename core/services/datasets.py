"""Datasets: upload → validate → stored as Parquet; preview, statistics (a job too), plots, delete."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from core.config import REPO_ROOT, Settings
from core.datasets import (
    ValidationReport,
    correlation,
    histogram,
    list_sheets,
    profile,
    read_table,
    validate,
    value_counts,
)
from core.entities import Actor, Dataset, Job
from core.errors import Conflict, InvalidInput, NotFound, Problem, TooLarge
from core.exports import safe_csv
from core.services.base import Service, record, require
from core.services.files import clean_name
from core.services.hidden import is_hidden, refuse_hidden
from core.storage.repositories import catalog as repo
from core.storage.repositories import dataset_files as versions_repo
from core.storage.repositories import files as file_repo
from core.storage.repositories import problems as problems_repo
from core.storage.workspace import Workspace

if TYPE_CHECKING:
    from core.services.dataset_files import DatasetFileService
    from core.services.jobs import JobService
    from core.services.models import ModelService

ON_PROBLEMS = ("keep", "keep_valid", "reject")
SAMPLES_DIR = REPO_ROOT / "data" / "samples"
Source = bytes | Path | BinaryIO
Datasets = list[Dataset]  # aliases: inside the service class, `list` is the method
Keys = list[str]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def within_limit(data: Source, settings: Settings) -> bytes | Path:
    """The upload as bytes (a stream is read, at most one byte past the limit) or the engine's own path;
    refused before any parsing when it is larger than ``DATAML_MAX_UPLOAD_MB``."""
    limit = settings.max_upload_bytes
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    elif not isinstance(data, bytes | Path):
        data = data.read(limit + 1)
    size = data.stat().st_size if isinstance(data, Path) else len(data)
    if size > limit:
        raise TooLarge(
            f"The file is larger than the upload limit of {settings.max_upload_mb} MB.",
            [Problem("file too large", field="file", value=f"{size / 2**20:.1f} MB")],
        )
    return data


def read_columns(dataset: Dataset, path: Path, columns: Sequence[str] | None = None) -> pa.Table:
    """The dataset's Parquet file (all columns, or ``columns``, which must be the dataset's)."""
    unknown = [c for c in columns or [] if c not in dataset.column_types]
    if unknown:
        raise InvalidInput(
            f"Unknown column(s): {', '.join(unknown)}.", [Problem("unknown column", field=c) for c in unknown]
        )
    try:
        return pq.read_table(path, columns=None if columns is None else list(columns))
    except FileNotFoundError:  # deleted after its row was read
        raise NotFound(f"The dataset {dataset.name!r} was deleted.") from None


class DatasetService(Service):
    def __init__(
        self, workspace: Workspace, *, models: ModelService, dataset_files: DatasetFileService, jobs: JobService
    ) -> None:
        super().__init__(workspace)
        self.models, self.dataset_files, self.jobs = models, dataset_files, jobs

    # --- reading an upload ----------------------------------------------------------------------
    def _bytes(self, data: Source) -> bytes | Path:
        return within_limit(data, self.settings)

    def sheets(self, actor: Actor, filename: str, data: Source) -> list[str]:
        """Worksheet names of an Excel upload ([] for CSV and Parquet), for the sheet chooser."""
        require(actor, "datasets:write")
        return list_sheets(self._bytes(data), clean_name(filename))

    def _validated(self, actor: Actor, filename: str, data: Source, template_id: str | None, sheet: str | None):  # type: ignore[no-untyped-def]
        columns = None
        if template_id:
            with self.db.session() as session:
                columns = list(repo.get_template(session, actor.tenant_id, template_id).columns)
        table = read_table(self._bytes(data), filename, sheet=sheet, columns=columns)
        return validate(table, columns)

    def check(
        self, actor: Actor, filename: str, data: Source, template_id: str | None = None, sheet: str | None = None
    ) -> ValidationReport:
        """Validate without storing anything (the upload page shows this before the user decides)."""
        require(actor, "datasets:write")
        return self._validated(actor, filename, data, template_id, sheet).report

    def upload(
        self,
        actor: Actor,
        *,
        name: str | None = None,
        filename: str,
        data: Source,
        template_id: str | None = None,
        sheet: str | None = None,
        on_problems: str = "keep",
        usage: str = "training",
        lake_table: str | None = None,
    ) -> Dataset:
        """Store a file as a typed Parquet dataset with its validation report (and the original, as the dataset's
        first file: ``eng.dataset_files`` uploads several files into one dataset and adds files later).

        ``on_problems``: ``keep`` stores every row (status "has problems" if any), ``keep_valid`` stores
        only usable rows (status "validated"), ``reject`` refuses a file with problems (nothing stored).
        ``usage`` says what the data is for: "training" or "prediction". ``lake_table`` names the dataset's
        bronze and silver tables in the datalake (default: from its name).
        """
        upload = self.dataset_files.upload(
            actor,
            name=name,
            files=[(filename, data)],
            template_id=template_id,
            sheet=sheet,
            on_problems=on_problems,
            usage=usage,
            lake_table=lake_table,
        )
        return upload.dataset

    # --- reading a dataset ----------------------------------------------------------------------
    def _get(self, session: Session, actor: Actor, dataset_id: str) -> Dataset:
        """The dataset's description; for hidden test data (see ``hidden``) without the validation's example
        values, which are its rows'."""
        require(actor, "datasets:read")
        dataset = repo.get_dataset(session, actor.tenant_id, dataset_id)
        if is_hidden(session, actor, [dataset.id]):
            return replace(dataset, validation=replace(dataset.validation, problems=()))
        return dataset

    def _readable(self, session: Session, actor: Actor, dataset_id: str) -> Dataset:
        """The dataset, once the actor may read its rows (test data of a problem is hidden)."""
        dataset = self._get(session, actor, dataset_id)
        refuse_hidden(session, actor, [dataset.id])
        return dataset

    def _located(
        self, session: Session, actor: Actor, dataset_id: str, hidden_ok: bool = False
    ) -> tuple[Dataset, Path]:
        """The dataset and its Parquet file (for engine code that reads columns: training, scoring); test data
        only for those who may read it, or (``hidden_ok``) for the engine scoring a problem's task."""
        dataset = self._get(session, actor, dataset_id) if hidden_ok else self._readable(session, actor, dataset_id)
        return dataset, self.store.path(file_repo.storage_key(session, actor.tenant_id, dataset.file_id))

    def list(self, actor: Actor, status: str | None = None, usage: str | None = None) -> list[Dataset]:
        require(actor, "datasets:read")
        with self.db.session() as session:
            return repo.list_datasets(session, actor.tenant_id, status=status, usage=usage)

    def get(self, actor: Actor, dataset_id: str) -> Dataset:
        with self.db.session() as session:
            return self._get(session, actor, dataset_id)

    def path(self, actor: Actor, dataset_id: str) -> Path:
        """The Parquet file (for engine code that reads columns: training, scoring)."""
        with self.db.session() as session:
            return self._located(session, actor, dataset_id)[1]

    def table(self, actor: Actor, dataset_id: str, columns: Sequence[str] | None = None) -> pa.Table:
        with self.db.session() as session:
            dataset, path = self._located(session, actor, dataset_id)
        return read_columns(dataset, path, columns)

    def frame(self, actor: Actor, dataset_id: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        return self.table(actor, dataset_id, columns).to_pandas()

    def preview(
        self, actor: Actor, dataset_id: str, limit: int = 100, offset: int = 0, columns: Sequence[str] | None = None
    ) -> pd.DataFrame:
        with self.db.session() as session:
            dataset, path = self._located(session, actor, dataset_id)
        chosen = columns or dataset.columns
        unknown = [c for c in chosen if c not in dataset.column_types]
        if unknown:
            raise InvalidInput(f"Unknown column(s): {', '.join(unknown)}.")
        limit, offset = max(1, min(int(limit), 10_000)), max(0, int(offset))
        query = f"SELECT {', '.join(_quote(c) for c in chosen)} FROM read_parquet(?) LIMIT ? OFFSET ?"  # noqa: S608
        with duckdb.connect() as con:  # via Arrow, so dates stay dates (DuckDB's .df() makes them timestamps)
            page = con.sql(query, params=[str(path), limit, offset]).to_arrow_table()
        frame = page.to_pandas()
        frame.index = pd.RangeIndex(offset + 1, offset + 1 + len(frame), name="row")
        return frame

    def statistics(self, actor: Actor, dataset_id: str, refresh: bool = False) -> pd.DataFrame:
        """Per-column profile, computed once and cached with the dataset (``refresh`` recomputes). A profile of a
        version that was replaced meanwhile is returned but not cached."""
        with self.db.session() as session:
            dataset, path = self._located(session, actor, dataset_id)
            cached = None if refresh else repo.dataset_statistics(session, actor.tenant_id, dataset_id)
        if cached is not None:
            return pd.DataFrame(cached)
        frame = profile(read_columns(dataset, path))
        records = json.loads(frame.to_json(orient="records", date_format="iso"))
        with self.db.session() as session:
            if repo.get_dataset(session, actor.tenant_id, dataset_id).version == dataset.version:
                repo.set_dataset_statistics(session, actor.tenant_id, dataset_id, records)
        return pd.DataFrame(records)

    def stored_statistics(self, actor: Actor, dataset_id: str) -> pd.DataFrame | None:
        """The cached profile, or None when it was never computed for the current version (nothing is read)."""
        with self.db.session() as session:
            self._readable(session, actor, dataset_id)
            cached = repo.dataset_statistics(session, actor.tenant_id, dataset_id)
        return None if cached is None else pd.DataFrame(cached)

    def generate_statistics(self, actor: Actor, dataset_id: str) -> Job:
        """(Re)compute the profile as a job (progress, cancel); ``stored_statistics`` reads it when it is done."""
        dataset = self.get(actor, dataset_id)
        return self.jobs.submit(
            actor, "dataset_statistics", f"Statistics of {dataset.name}", {"dataset_id": dataset_id}
        )

    def histogram(self, actor: Actor, dataset_id: str, column: str, bins: int = 30) -> pd.DataFrame:
        return histogram(self.table(actor, dataset_id, [column]), column, bins=bins)

    def value_counts(self, actor: Actor, dataset_id: str, column: str, top: int = 20) -> pd.DataFrame:
        return value_counts(self.table(actor, dataset_id, [column]), column, top=top)

    def correlation(self, actor: Actor, dataset_id: str) -> pd.DataFrame:
        """Pearson correlation of the numeric columns (only those are read)."""
        with self.db.session() as session:
            dataset, path = self._located(session, actor, dataset_id)
        numeric = [c for c, t in dataset.column_types.items() if t in ("integer", "float")]
        return correlation(read_columns(dataset, path, numeric))

    def csv(self, actor: Actor, dataset_id: str) -> bytes:
        """The whole dataset as CSV that is safe to open in a spreadsheet (the preview only pages through it)."""
        return safe_csv(self.frame(actor, dataset_id))

    def report_csv(self, actor: Actor, dataset_id: str) -> bytes:
        with self.db.session() as session:
            return safe_csv(self._readable(session, actor, dataset_id).validation.to_frame())

    # --- deleting -------------------------------------------------------------------------------
    def delete(self, actor: Actor, dataset_id: str, cascade: bool = False) -> None:
        """Refused while models use the dataset (continued versions too), unless ``cascade`` also deletes those
        models, and while an unfinished job uses the dataset or one of those models.

        One transaction: everything is checked, then the models, the dataset (every version, every original) and
        their files go together (the
        links' foreign keys refuse a job queued meanwhile), so a refusal leaves the dataset and its models whole.
        """
        require(actor, "datasets:write")
        try:
            with self.db.session() as session:
                keys = self._delete(session, actor, dataset_id, cascade)
        except Conflict as exc:
            if exc.details is None:  # one of the refusals above
                raise
            raise Conflict(  # a foreign key: a job or model was linked to it meanwhile
                "The dataset is in use by something started a moment ago; try again when it finishes.", exc.details
            ) from exc
        for key in keys:
            self.store.delete(key)

    def _delete(self, session: Session, actor: Actor, dataset_id: str, cascade: bool) -> Keys:
        """Check, then delete the dataset, its file row and (``cascade``) its models; returns storage keys."""
        dataset = repo.get_dataset(session, actor.tenant_id, dataset_id)
        problems = problems_repo.problems_using_dataset(session, actor.tenant_id, dataset_id)
        if problems:
            raise Conflict(f"The dataset {dataset.name!r} is data of the problem(s) {', '.join(problems)}.")
        models = repo.models_using_dataset(session, actor.tenant_id, dataset_id)
        if models and not cascade:
            names = ", ".join(sorted(label for _, label in models))
            raise Conflict(f"The dataset {dataset.name!r} is used by {len(models)} model(s): {names}.")
        jobs = repo.jobs_using(
            session,
            actor.tenant_id,
            datasets=[dataset_id],
            models=[model_id for model_id, _ in models],
            files=[dataset.file_id],
        )
        if jobs:
            raise Conflict(
                f"The dataset {dataset.name!r} is used by {len(jobs)} unfinished job(s): "
                f"{', '.join(jobs)}; try again when they finish."
            )
        if models:
            require(actor, "models:train")
        keys = [key for model_id, _ in models for key in self.models._delete(session, actor, model_id)]
        held = versions_repo.delete_for_dataset(session, actor.tenant_id, dataset_id)  # older versions, originals
        file_id = repo.delete_dataset(session, actor.tenant_id, dataset_id)
        keys += [file_repo.delete_file(session, actor.tenant_id, f) for f in sorted(held | {file_id})]
        record(
            session,
            actor,
            "dataset.deleted",
            "dataset",
            dataset_id,
            name=dataset.name,
            cascade=cascade,
            models=[label for _, label in models],
        )
        return keys

    def load_samples(self, actor: Actor) -> Datasets:
        """Upload the demo datasets of ``data/samples`` (skipping names that already exist)."""
        require(actor, "datasets:write")
        manifest = json.loads((SAMPLES_DIR / "manifest.json").read_text())
        existing = {d.name for d in self.list(actor)}
        return [
            self.upload(actor, name=item["name"], filename=item["file"], data=SAMPLES_DIR / item["file"])
            for item in manifest
            if item["name"] not in existing
        ]
