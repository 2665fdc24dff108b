"""Trainings as the seed's ``/train/list`` shows them: every model version, plus the training jobs that made
no model (yet). Pure functions over entities; ``eng.training.list`` and ``get`` read the rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from core.entities import TRAINING_STATES, Job, JobStatus, Model, Training
from core.errors import InvalidInput, Problem

JOB_STATES = {
    JobStatus.QUEUED: "queued",
    JobStatus.RUNNING: "training",
    JobStatus.FAILED: "failed",
    JobStatus.INTERRUPTED: "failed",  # its worker died: the training will not finish
    JobStatus.CANCELED: "canceled",
}


def of_model(model: Model) -> Training:
    return Training(
        id=model.job_id or model.id,
        job_id=model.job_id,
        model_id=model.id,
        name=model.name,
        version=model.version,
        problem_type=model.problem_type,
        domain=model.domain,
        description=model.description,
        status="ready",
        dataset_id=model.dataset_id,
        dataset_name=model.dataset_name,
        target=model.target,
        algorithm=model.details.algorithm,
        chosen_family=model.details.chosen_family,
        metrics=dict(model.metrics),
        owner=model.owner,
        created_at=model.created_at,
        modified_at=model.created_at,
        progress=1.0,
        message="",
    )


def of_job(job: Job, dataset_names: Mapping[str, str]) -> Training:
    """A training job that has no model: what it was asked to do, and how far it got."""
    params = job.params
    dataset_id = str(params.get("dataset_id") or "")
    return Training(
        id=job.id,
        job_id=job.id,
        model_id=None,
        name=str(params.get("name") or job.title),
        version=None,
        problem_type=str(params.get("problem_type") or "auto"),
        domain=str(params.get("domain") or ""),
        description="",
        status=JOB_STATES.get(job.status, "failed"),
        dataset_id=dataset_id,
        dataset_name=dataset_names.get(dataset_id),
        target=str(params.get("target") or ""),
        algorithm=params.get("algorithm"),
        chosen_family="",
        metrics={},
        owner=job.owner,
        created_at=job.created_at,
        modified_at=job.finished_at or job.started_at or job.created_at,
        progress=job.progress,
        message=job.error or job.message,
    )


def select(
    trainings: Iterable[Training], *, domain: str | None, problem_type: str | None, status: str | None
) -> list[Training]:
    """The trainings matching every filter given (the domain ignoring case), newest first."""
    if status is not None and status not in TRAINING_STATES:
        raise InvalidInput(
            "Unknown training status.", [Problem(f"one of {', '.join(TRAINING_STATES)}", field="status", value=status)]
        )
    wanted = None if domain is None else domain.strip().casefold()
    kept = [
        t
        for t in trainings
        if (wanted is None or t.domain.casefold() == wanted)
        and (problem_type is None or t.problem_type == problem_type)
        and (status is None or t.status == status)
    ]
    return sorted(kept, key=lambda t: t.created_at, reverse=True)
