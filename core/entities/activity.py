"""Jobs and their states, the audit log and stored files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    """queued → running → succeeded | failed | canceled | interrupted; a str, so it is stored and compared as one."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    INTERRUPTED = "interrupted"


UNFINISHED_JOB_STATES = (JobStatus.QUEUED, JobStatus.RUNNING)

FINISHED_STATES = frozenset(JobStatus) - set(UNFINISHED_JOB_STATES)


@dataclass(frozen=True)
class Job:
    id: str
    tenant_id: str
    owner_id: str
    owner: str
    kind: str
    title: str
    status: JobStatus
    progress: float
    message: str
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    error_details: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    ray_task_id: str | None = None  # the Ray task running it (RayRunner)

    @property
    def ray_job_id(self) -> str | None:
        """The Ray job (the submitting engine's driver) its task belongs to, as the Ray dashboard names it."""
        return self.ray_task_id[-8:] if self.ray_task_id else None  # a Ray TaskID ends with its JobID (4 bytes)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATES


@dataclass(frozen=True)
class AuditEvent:
    id: str
    tenant_id: str | None
    username: str
    action: str
    target_type: str
    target_id: str
    details: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class FileInfo:
    id: str
    tenant_id: str
    kind: str
    name: str
    content_type: str
    size: int
    sha256: str
    owner: str
    created_at: datetime
