"""Seed 004 §12 ("Ray APIs") and the jobs behind every long task: list, follow, cancel, terminate.

Jobs run in child processes, or as Ray tasks with ``DATAML_JOB_RUNNER=ray``; ``/ray/terminate_ray_job`` stops one
whatever runs it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ActorDep, EngineDep
from api.job_schemas import JobList, JobOut, TerminateOut
from api.schemas import MAX_SKIP
from core import JOB_FAMILIES, Conflict, Job, JobStatus

router = APIRouter(prefix="/jobs", tags=["jobs"])
ray = APIRouter(prefix="/ray", tags=["jobs"])

USAGES = ", ".join(JOB_FAMILIES)


def _stopped(job: Job) -> Job:
    """A job that had already finished cannot be cancelled: 409 naming how it ended."""
    if job.status != JobStatus.CANCELED:
        raise Conflict(f"Job {job.title!r} had already finished ({job.status}); nothing was stopped.")
    return job


@router.get("", response_model=JobList)
def list_jobs(
    eng: EngineDep,
    actor: ActorDep,
    kind: Annotated[str | None, Query(description="Only jobs of this kind (e.g. batch_predict).")] = None,
    job_status: Annotated[JobStatus | None, Query(alias="status", description="Only jobs in this state.")] = None,
    skip: Annotated[int, Query(ge=0, le=MAX_SKIP)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> JobList:
    """The tenant's jobs, newest first (needs the jobs:read permission)."""
    jobs = eng.jobs.list(
        actor, [kind] if kind else None, limit, statuses=[job_status] if job_status else None, offset=skip
    )
    return JobList(skip=skip, limit=limit, data=[JobOut.of(j) for j in jobs])


@router.get("/{job_id}", response_model=JobOut)
def get_job(eng: EngineDep, actor: ActorDep, job_id: str) -> JobOut:
    """One job: state, progress, message, what it made (ids) and, when it failed, one sentence why."""
    return JobOut.of(eng.jobs.get(actor, job_id))


@router.post("/{job_id}/cancel", response_model=JobOut)
def cancel_job(eng: EngineDep, actor: ActorDep, job_id: str) -> JobOut:
    """Stop a queued or running job (its owner, or a role with jobs:cancel); it ends ``canceled`` and leaves
    nothing half-written. 409 when it had already finished."""
    return JobOut.of(_stopped(eng.jobs.cancel(actor, job_id)))


@ray.post("/terminate_ray_job", response_model=TerminateOut)
def terminate_ray_job(
    eng: EngineDep,
    actor: ActorDep,
    ray_job_id: Annotated[str, Query(description="The job's id (UUID), or the id of the Ray task running it.")],
    usage: Annotated[str, Query(description=f"The job's family: {USAGES}; 422 when it is not the job's.")],
) -> TerminateOut:
    """Seed §12.1: stop a job (any runner); ``usage`` must name its family, so a mixed-up id stops nothing."""
    job = _stopped(eng.jobs.terminate(actor, ray_job_id, usage))
    return TerminateOut(
        message=f"Termination request for job '{job.id}' has been sent; it is {job.status}.", job=JobOut.of(job)
    )
