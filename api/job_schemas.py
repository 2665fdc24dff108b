"""Jobs as the API shows them (seed 004 §12 names them Ray jobs): state, progress, result ids, an error sentence."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas import UtcDatetime
from core import Job, job_family


class JobOut(BaseModel):
    id: str
    kind: str = Field(description="train_tabular, batch_predict, forecast, dataset_statistics, …")
    usage: str = Field(
        description="The kind's family: training, inference, statistics, preparation, attribution, monitoring, "
        "selftest."
    )
    title: str
    status: str = Field(description="queued, running, succeeded, failed, canceled or interrupted.")
    progress: float = Field(description="From 0 to 1.")
    message: str
    owner: str
    created_at: UtcDatetime
    started_at: UtcDatetime | None
    finished_at: UtcDatetime | None
    result_ids: dict[str, str] = Field(description="What it made, by id: model_id, file_id, log_id, …")
    error: str | None = Field(description="One sentence; never a traceback (that stays in the server log).")
    error_details: str | None = Field(description="The input problems, one per line, when it failed on bad input.")
    ray_task_id: str | None = Field(
        default=None, description="The Ray task running it (DATAML_JOB_RUNNER=ray); terminate_ray_job takes it too."
    )

    @classmethod
    def of(cls, job: Job) -> JobOut:
        made = {k: v for k, v in (job.result or {}).items() if k.endswith("_id") and isinstance(v, str)}
        return cls(
            id=job.id,
            kind=job.kind,
            usage=job_family(job.kind),
            title=job.title,
            status=job.status,
            progress=job.progress,
            message=job.message,
            owner=job.owner,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            result_ids=made,
            error=job.error,
            error_details=job.error_details,
            ray_task_id=job.ray_task_id,
        )


class JobList(BaseModel):
    skip: int
    limit: int
    data: list[JobOut]


class TerminateOut(BaseModel):
    status: str = "success"
    message: str
    job: JobOut
