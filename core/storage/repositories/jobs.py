"""Job rows and their links: create, read (tenant-scoped), progress, state transitions and the slot claim."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from core.entities import UNFINISHED_JOB_STATES, Job, JobStatus
from core.errors import NotFound
from core.storage.orm import DatasetRow, FileRow, JobLinkRow, JobRow, ModelRow, UserRow, utcnow
from core.storage.orm.activity import TITLE_LENGTH

CLAIM_LOCK = 0x64617461  # any constant shared by every engine on the database


def _job(row: JobRow, owner: str) -> Job:
    return Job(
        id=row.id,
        tenant_id=row.tenant_id,
        owner_id=row.owner_id,
        owner=owner,
        kind=row.kind,
        title=row.title,
        status=JobStatus(row.status),
        progress=row.progress,
        message=row.message,
        params=dict(row.params or {}),
        result=dict(row.result) if row.result is not None else None,
        error=row.error,
        error_details=row.error_details,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        ray_task_id=row.ray_task_id,
    )


def create_job(
    session: Session,
    *,
    tenant_id: str,
    owner_id: str,
    kind: str,
    title: str,
    params: dict[str, Any],
    datasets: Sequence[str] = (),
    models: Sequence[str] = (),
    files: Sequence[str] = (),
) -> Job:
    """The job row and its links to the rows it names (each must be the tenant's): while the job is unfinished,
    the links' foreign keys keep those rows from being deleted."""
    title = title[:TITLE_LENGTH]  # Postgres refuses a longer one (SQLite would keep it): two 100-character names
    row = JobRow(tenant_id=tenant_id, owner_id=owner_id, kind=kind, title=title, params=params)
    session.add(row)
    session.flush()
    for table, column, ids in (
        (DatasetRow, "dataset_id", datasets),
        (ModelRow, "model_id", models),
        (FileRow, "file_id", files),
    ):
        wanted = set(ids)
        found = set(session.scalars(select(table.id).where(table.id.in_(wanted), table.tenant_id == tenant_id)))
        if found != wanted:
            raise NotFound(f"The {table.__tablename__[:-1]} this job needs does not exist.")
        session.add_all(JobLinkRow(job_id=row.id, **{column: row_id}) for row_id in sorted(wanted))
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # deleted between the check above and the insert
        raise NotFound("Something this job needs was deleted meanwhile; nothing was started.") from None
    return get_job(session, tenant_id, row.id)


def get_job(session: Session, tenant_id: str | None, job_id: str) -> Job:
    """``tenant_id=None`` is for workers, which already know the job is theirs."""
    found = session.execute(
        select(JobRow, UserRow.username).join(UserRow, UserRow.id == JobRow.owner_id).where(JobRow.id == job_id)
    ).first()
    if found is None or (tenant_id is not None and found[0].tenant_id != tenant_id):
        raise NotFound("That job does not exist.")
    return _job(found[0], found[1])


def list_jobs(
    session: Session,
    tenant_id: str,
    *,
    kinds: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
    owner_id: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Job]:
    """Newest first (then by id, so pages of a listing neither repeat nor skip a job)."""
    query = (
        select(JobRow, UserRow.username)
        .join(UserRow, UserRow.id == JobRow.owner_id)
        .where(JobRow.tenant_id == tenant_id)
        .order_by(JobRow.created_at.desc(), JobRow.id)
        .offset(offset)
        .limit(limit)
    )
    if kinds:
        query = query.where(JobRow.kind.in_(kinds))
    if statuses:
        query = query.where(JobRow.status.in_(statuses))
    if owner_id:
        query = query.where(JobRow.owner_id == owner_id)
    return [_job(row, owner) for row, owner in session.execute(query)]


def set_process(session: Session, job_id: str, *, pid: int, host: str) -> None:
    session.execute(update(JobRow).where(JobRow.id == job_id).values(pid=pid, host=host))


def set_ray_task(session: Session, job_id: str, ray_task_id: str) -> None:
    session.execute(update(JobRow).where(JobRow.id == job_id).values(ray_task_id=ray_task_id))


def job_of_ray_task(session: Session, tenant_id: str, ray_task_id: str) -> str | None:
    """The id of the tenant's job that the Ray task ``ray_task_id`` runs, if any."""
    query = select(JobRow.id).where(JobRow.tenant_id == tenant_id, JobRow.ray_task_id == ray_task_id)
    return session.scalar(query)


def process_of(session: Session, job_id: str) -> tuple[int | None, str | None, bool]:
    row = session.get(JobRow, job_id)
    if row is None:
        raise NotFound("That job does not exist.")
    return row.pid, row.host, row.cancel_requested


def claim_slot(session: Session, job_id: str, max_running: int, tenant_share: int) -> bool:
    """Atomically move a queued job to running if fewer than ``max_running`` jobs run and fewer than
    ``tenant_share`` of its tenant's (one statement).

    SQLite runs one writer at a time; Postgres' READ COMMITTED would let two claims count the same running
    jobs, so there claims queue on a transaction-level advisory lock first.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(CLAIM_LOCK)))
    running = select(func.count()).select_from(JobRow).where(JobRow.status == JobStatus.RUNNING).scalar_subquery()
    others = aliased(JobRow)
    tenant_of_job = select(JobRow.tenant_id).where(JobRow.id == job_id).scalar_subquery()
    tenant_running = (
        select(func.count())
        .select_from(others)
        .where(others.status == JobStatus.RUNNING, others.tenant_id == tenant_of_job)
        .scalar_subquery()
    )
    result = session.execute(
        update(JobRow)
        .where(
            JobRow.id == job_id, JobRow.status == JobStatus.QUEUED, running < max_running, tenant_running < tenant_share
        )
        .values(status=JobStatus.RUNNING, started_at=utcnow(), message="starting")
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def set_progress(session: Session, job_id: str, fraction: float, message: str) -> bool:
    """Store progress; returns whether cancellation was requested meanwhile."""
    session.execute(
        update(JobRow)
        .where(JobRow.id == job_id, JobRow.status == JobStatus.RUNNING)
        .values(progress=max(0.0, min(1.0, fraction)), message=message[:300])
    )
    return cancel_requested(session, job_id)


def cancel_requested(session: Session, job_id: str) -> bool:
    return bool(session.scalar(select(JobRow.cancel_requested).where(JobRow.id == job_id)))


def request_cancel(session: Session, job_id: str) -> None:
    session.execute(update(JobRow).where(JobRow.id == job_id).values(cancel_requested=True))


def finish(
    session: Session,
    job_id: str,
    status: JobStatus,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
    error_details: str | None = None,
    only_if_unfinished: bool = True,
) -> bool:
    """Move a job to a final state; by default only if it has not finished already."""
    query = update(JobRow).where(JobRow.id == job_id)
    if only_if_unfinished:
        query = query.where(JobRow.status.in_(UNFINISHED_JOB_STATES))
    values: dict[str, Any] = {"status": status, "finished_at": utcnow(), "error": error}
    values["error_details"] = error_details
    if status == JobStatus.SUCCEEDED:
        values.update(progress=1.0, message="done", result=result)
    result_proxy = session.execute(query.values(**values))
    session.execute(delete(JobLinkRow).where(JobLinkRow.job_id == job_id))  # a finished job holds nothing
    return bool(result_proxy.rowcount)  # type: ignore[attr-defined]


def unfinished_jobs(session: Session) -> list[tuple[str, int | None, str | None]]:
    rows = session.execute(select(JobRow.id, JobRow.pid, JobRow.host).where(JobRow.status.in_(UNFINISHED_JOB_STATES)))
    return [(job_id, pid, host) for job_id, pid, host in rows]
