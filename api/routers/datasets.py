"""Seed 004 §6: datasets. Upload one or more files into one dataset, list, get, view, delete, statistics."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Response, UploadFile, status
from pydantic import BaseModel, Field, RootModel

from api.data_schemas import (
    ColumnTypeOut,
    DatasetOut,
    DatasetSummary,
    FileOut,
    FilesOut,
    ReportOut,
    VersionOut,
    records,
    usage_of,
)
from api.deps import ActorDep, EngineDep
from api.schemas import Message
from core import Actor, Engine, NotFound

router = APIRouter(prefix="/dataset", tags=["dataset"])

OnProblems = Literal["keep", "keep_valid", "reject"]
DatasetId = Annotated[str, Query(description="The dataset's UUID.")]
Files = Annotated[list[UploadFile], File(description="One or more CSV, XLSX or Parquet files with the same columns.")]
ON_PROBLEMS = (
    "keep: store every row (cells with problems empty, status 'has problems'); keep_valid: only usable rows; "
    "reject: store nothing when a file has problems (422 with them)."
)


class DatasetList(BaseModel):
    total: int
    data: list[DatasetSummary]


class ViewOut(BaseModel):
    dataset_id: str
    total_rows: int
    offset: int
    limit: int
    columns: list[str]
    preview: list[dict[str, Any]] = Field(description="Rows as objects: ISO dates, missing values null.")


class JobSubmitted(BaseModel):
    status: str = "success"
    message: str
    job_id: str


class StatisticsOut(BaseModel):
    dataset_id: str
    status: str = Field(description="'ready', 'not generated', or the job's state: queued, running, failed, …")
    job_id: str | None = None
    progress: float | None = None
    message: str | None = None
    statistics: list[dict[str, Any]] | None = Field(default=None, description="One object per column.")


def _json(model: BaseModel) -> Response:
    """A listing serialized once by pydantic, without FastAPI validating every row again (the rows are built
    from engine values; ``response_model`` still documents the shape)."""
    return Response(model.model_dump_json(), media_type="application/json")


class ValidatedList(RootModel[list[DatasetSummary]]):
    pass


def _summaries(eng: Engine, actor: Actor, **filters: str | None) -> list[DatasetSummary]:
    facts = eng.dataset_files.facts(actor)
    silver = {t.dataset_id: t.table for t in eng.datalake.tables(actor, "silver")}
    return [
        DatasetSummary.of(d, actor.tenant_id, facts.get(d.id), silver.get(d.id))
        for d in eng.datasets.list(actor, **filters)
    ]


@router.post("/upload", response_model=FilesOut, status_code=status.HTTP_201_CREATED)
def upload_dataset(
    eng: EngineDep,
    actor: ActorDep,
    files: Files,
    dataset_name: Annotated[
        str | None, Query(description="Unique in the tenant; default: the first file's name.")
    ] = None,
    usage: Annotated[str, Query(description="training or prediction (the seed's t / p too).")] = "training",
    template_id: Annotated[str | None, Query(description="Validate against this template (UUID).")] = None,
    on_problems: Annotated[OnProblems, Query(description=ON_PROBLEMS)] = "keep",
    sheet: Annotated[str | None, Query(description="The worksheet of Excel files (default: the first).")] = None,
    iceberg_table_name: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Its bronze and silver tables in the datalake: lower-case letters, digits and _, starting "
            "with a letter (default: from the dataset's name). 409 when taken.",
        ),
    ] = None,
) -> FilesOut:
    """Seed §6.1: the files become one dataset (version 1), each validated on its own; ``error_report`` per file
    is null when the file had no problem. Without a template the first file's types bind the others."""
    upload = eng.dataset_files.upload(
        actor,
        name=dataset_name,
        files=[(f.filename or "upload", f.file) for f in files],
        template_id=template_id or None,
        sheet=sheet,
        on_problems=on_problems,
        usage=usage_of(usage) or "training",
        lake_table=iceberg_table_name or None,
    )
    return FilesOut.of_dataset(upload.dataset, upload.files)


@router.get("/list", response_model=DatasetList)
def list_datasets(
    eng: EngineDep,
    actor: ActorDep,
    usage: Annotated[str | None, Query(description="Only training or prediction datasets (t / p too).")] = None,
    dataset_status: Annotated[
        Literal["validated", "has problems"] | None, Query(alias="status", description="Only datasets in this state.")
    ] = None,
) -> Response:
    data = _summaries(eng, actor, status=dataset_status, usage=usage_of(usage))
    return _json(DatasetList(total=len(data), data=data))


@router.get("/list_validated", response_model=list[DatasetSummary])
def list_validated(
    eng: EngineDep,
    actor: ActorDep,
    usage: Annotated[str | None, Query(description="Only training or prediction datasets (t / p too).")] = None,
) -> Response:
    """Seed §6.3: datasets whose every stored row passed validation (a bare list, as in the seed)."""
    return _json(ValidatedList(_summaries(eng, actor, status="validated", usage=usage_of(usage))))


@router.get("/get_dataset_by_id", response_model=DatasetOut)
def get_dataset(eng: EngineDep, actor: ActorDep, dataset_id: DatasetId) -> DatasetOut:
    dataset = eng.datasets.get(actor, dataset_id)
    parts = eng.dataset_files.list(actor, dataset_id)
    versions = eng.dataset_files.versions(actor, dataset_id)
    facts = (len(parts), versions[-1].created_at) if versions else None
    silver = next((t.table for t in eng.datalake.of_dataset(actor, dataset_id) if t.schema == "silver"), None)
    summary = DatasetSummary.of(dataset, actor.tenant_id, facts, silver)
    return DatasetOut(
        **summary.model_dump(),
        columns=[ColumnTypeOut(column_name=c, data_type=t) for c, t in dataset.column_types.items()],
        validation=ReportOut.of(dataset.validation),
        files=[FileOut.of(p) for p in parts],
        versions=[VersionOut.of(v) for v in versions],
    )


@router.get("/view", response_model=ViewOut)
def view_dataset(
    eng: EngineDep,
    actor: ActorDep,
    dataset_id: DatasetId,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ViewOut:
    """Seed §6.6, paged: ``limit`` rows from row ``offset`` (0-based)."""
    dataset = eng.datasets.get(actor, dataset_id)
    frame = eng.datasets.preview(actor, dataset_id, limit=limit, offset=offset)
    return ViewOut(
        dataset_id=dataset.id,
        total_rows=dataset.rows,
        offset=offset,
        limit=limit,
        columns=list(frame.columns),
        preview=records(frame),
    )


@router.delete("/delete/{dataset_id}", response_model=Message)
def delete_dataset(
    eng: EngineDep,
    actor: ActorDep,
    dataset_id: str,
    cascade: Annotated[bool, Query(description="Also delete the models trained on it.")] = False,
) -> Message:
    """Refused (409) while models use it (unless ``cascade``) or an unfinished job does; every version and
    file of the dataset goes with it."""
    eng.datasets.delete(actor, dataset_id, cascade=cascade)
    return Message(message="The dataset was deleted.")


@router.post("/generate_statistics", response_model=JobSubmitted, status_code=status.HTTP_202_ACCEPTED)
def generate_statistics(eng: EngineDep, actor: ActorDep, dataset_id: DatasetId) -> JobSubmitted:
    """Seed §6.7: a job (the Statistics page's Regenerate runs the same); read the result with
    ``GET /dataset/statistics?dataset_id=…&job_id=…``."""
    job = eng.datasets.generate_statistics(actor, dataset_id)
    return JobSubmitted(message="Statistics generation job submitted successfully.", job_id=job.id)


@router.get("/statistics", response_model=StatisticsOut)
def statistics(
    eng: EngineDep,
    actor: ActorDep,
    dataset_id: DatasetId,
    job_id: Annotated[str | None, Query(description="A generate_statistics job, to follow it.")] = None,
) -> StatisticsOut:
    """Not in the seed: the per-column statistics once generated, and the state of a generate_statistics job."""
    job = eng.jobs.get(actor, job_id) if job_id else None
    if job is not None and (job.kind != "dataset_statistics" or job.params.get("dataset_id") != dataset_id):
        raise NotFound("That job does not exist.")
    stored = eng.datasets.stored_statistics(actor, dataset_id)
    ready = stored is not None and (job is None or job.status == "succeeded")
    state = "ready" if ready else str(job.status) if job is not None else "not generated"
    return StatisticsOut(
        dataset_id=dataset_id,
        status=state,
        job_id=job_id,
        progress=None if job is None else job.progress,
        message=None if job is None else job.error or job.message,
        statistics=records(stored) if ready and stored is not None else None,
    )
