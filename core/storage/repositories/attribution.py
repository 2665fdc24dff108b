"""Attribution rows of a tenant: reference library, built indexes, samples and per-model runs.

Run updates made by jobs are conditional (``update_run``): once a run is revoked, or queued again under another
job, a late write from its job changes nothing, so a revoked run never gains a result.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from core.entities import (
    UNFINISHED_JOB_STATES,
    AttributionRun,
    AttributionSample,
    JobStatus,
    ReferenceLibrary,
    ReferenceSample,
)
from core.errors import NotFound
from core.storage.orm import JobRow, LibraryIndexRow, ReferenceRow, RunRow, SampleRow, UserRow

REVOKED = "revoked"
_LIVE = ("pending", "running")
_JOB_ENDINGS: dict[str, str] = {
    JobStatus.FAILED: "failed",
    JobStatus.INTERRUPTED: "failed",
    JobStatus.CANCELED: REVOKED,
}


# --- reference library --------------------------------------------------------------------------
def _reference(row: ReferenceRow, owner: str | None) -> ReferenceSample:
    return ReferenceSample(
        id=row.id,
        family=row.family,
        name=row.name,
        sha256=row.sha256,
        size=row.size,
        file_id=row.file_id,
        owner=owner or "system",
        created_at=row.created_at,
        analysed=row.features_key is not None,
        functions=row.functions,
        notes=dict(row.notes or {}),
    )


def _references():  # type: ignore[no-untyped-def]
    return select(ReferenceRow, UserRow.username).outerjoin(UserRow, UserRow.id == ReferenceRow.owner_id)


def add_reference(session: Session, *, tenant_id: str, owner_id: str, **fields: Any) -> ReferenceSample:
    """Fields as in ``ReferenceRow`` (family, name, sha256, size, file_id)."""
    row = ReferenceRow(tenant_id=tenant_id, owner_id=owner_id, **fields)
    session.add(row)
    session.flush()
    return get_reference(session, tenant_id, row.id)


def get_reference(session: Session, tenant_id: str, reference_id: str) -> ReferenceSample:
    found = session.execute(
        _references().where(ReferenceRow.id == reference_id, ReferenceRow.tenant_id == tenant_id)
    ).first()
    if found is None:
        raise NotFound("That reference sample does not exist.")
    return _reference(found[0], found[1])


def references_by_sha(session: Session, tenant_id: str, hashes: list[str]) -> dict[str, ReferenceSample]:
    query = _references().where(ReferenceRow.tenant_id == tenant_id, ReferenceRow.sha256.in_(hashes))
    return {row.sha256: _reference(row, owner) for row, owner in session.execute(query)}


def list_references(session: Session, tenant_id: str, family: str | None = None) -> list[ReferenceSample]:
    query = _references().where(ReferenceRow.tenant_id == tenant_id)
    if family is not None:
        query = query.where(ReferenceRow.family == family)
    query = query.order_by(ReferenceRow.family, ReferenceRow.name)
    return [_reference(row, owner) for row, owner in session.execute(query)]


def feature_keys(session: Session, tenant_id: str) -> list[tuple[str, str, str, str, str | None, str | None]]:
    """(reference id, sha256, family, file id, features key, features tag) of every reference, oldest first."""
    query = select(
        ReferenceRow.id,
        ReferenceRow.sha256,
        ReferenceRow.family,
        ReferenceRow.file_id,
        ReferenceRow.features_key,
        ReferenceRow.features_tag,
    ).where(ReferenceRow.tenant_id == tenant_id)
    return [tuple(row) for row in session.execute(query.order_by(ReferenceRow.created_at))]  # type: ignore[misc]


def set_features(
    session: Session, reference_id: str, *, key: str, tag: str, functions: int | None, notes: dict[str, str]
) -> str | None:
    """Point a reference at its features blob; returns the replaced blob's key (None if none, or if the
    reference was removed meanwhile — then the caller deletes the new blob instead)."""
    row = session.get(ReferenceRow, reference_id)
    if row is None:
        return key
    old = row.features_key
    row.features_key, row.features_tag, row.functions, row.notes = key, tag, functions, notes
    return old


def delete_reference(session: Session, tenant_id: str, reference_id: str) -> tuple[str, str | None]:
    """Delete the row; returns (file id, features key) for the caller to remove after commit."""
    row = session.scalar(
        select(ReferenceRow).where(ReferenceRow.id == reference_id, ReferenceRow.tenant_id == tenant_id)
    )
    if row is None:
        raise NotFound("That reference sample does not exist.")
    found = row.file_id, row.features_key
    session.delete(row)
    session.flush()
    return found


def library_pairs(session: Session, tenant_id: str) -> list[tuple[str, str]]:
    """Sorted (sha256, family) pairs: what an index built now would contain."""
    query = select(ReferenceRow.sha256, ReferenceRow.family).where(ReferenceRow.tenant_id == tenant_id)
    return sorted((sha, family) for sha, family in session.execute(query))


# --- built indexes ------------------------------------------------------------------------------
def add_index(session: Session, *, tenant_id: str, **fields: Any) -> None:
    """Record a built index (fields as in ``LibraryIndexRow``); it becomes the current one."""
    session.add(LibraryIndexRow(tenant_id=tenant_id, **fields))
    session.flush()


def _current(session: Session, tenant_id: str) -> LibraryIndexRow | None:
    query = select(LibraryIndexRow).where(LibraryIndexRow.tenant_id == tenant_id)
    return session.scalar(query.order_by(LibraryIndexRow.built_at.desc(), LibraryIndexRow.id).limit(1))


def current_index(session: Session, tenant_id: str, library_digest: str) -> ReferenceLibrary | None:
    """The current index; ``stale`` when ``library_digest`` (of the library now) differs from its own."""
    row = _current(session, tenant_id)
    if row is None:
        return None
    return ReferenceLibrary(
        revision=row.revision,
        built_at=row.built_at,
        samples=row.samples,
        families=row.families,
        functions=row.functions,
        job_id=row.job_id,
        stale=row.library_digest != library_digest,
    )


def current_index_location(session: Session, tenant_id: str) -> tuple[str, str] | None:
    """(revision, storage key) of the current index, for loading it."""
    row = _current(session, tenant_id)
    return None if row is None else (row.revision, row.storage_key)


def prune_indexes(session: Session, tenant_id: str, keep: int = 2) -> list[str]:
    """Forget all but the newest ``keep`` indexes (the previous one may still be read by a running job);
    returns their storage keys."""
    query = select(LibraryIndexRow).where(LibraryIndexRow.tenant_id == tenant_id)
    rows = list(session.scalars(query.order_by(LibraryIndexRow.built_at.desc(), LibraryIndexRow.id)))[keep:]
    for row in rows:
        session.delete(row)
    return [row.storage_key for row in rows]


# --- samples and runs ---------------------------------------------------------------------------
def _run(row: RunRow, job_status: str | None, job_error: str | None) -> AttributionRun:
    """A run as users should see it: phases a dead or cancelled job left unfinished are settled here."""
    phases, error = [row.phase_1, row.phase_2], row.error
    ending = _JOB_ENDINGS.get(job_status or "")
    if ending and any(p in _LIVE for p in phases):
        phases = [ending if p in _LIVE else p for p in phases]
        error = error or job_error
    return AttributionRun(
        model=row.model,
        model_version=row.model_version,
        job_id=row.job_id,
        phase_1=phases[0],
        phase_2=phases[1],
        error=error,
        result=dict(row.result) if row.result is not None else None,
        index_revision=row.index_revision,
        predicted_at=row.predicted_at,
    )


def _samples(session: Session, tenant_id: str, sha256: str | None = None) -> list[AttributionSample]:
    query = (
        select(SampleRow, UserRow.username)
        .join(UserRow, UserRow.id == SampleRow.owner_id)
        .where(SampleRow.tenant_id == tenant_id)
        .order_by(SampleRow.created_at.desc())
    )
    if sha256 is not None:
        query = query.where(SampleRow.sha256 == sha256)
    samples = list(session.execute(query))
    runs: dict[str, list[AttributionRun]] = {row.id: [] for row, _ in samples}
    if samples:
        run_query = (
            select(RunRow, JobRow.status, JobRow.error)
            .outerjoin(JobRow, JobRow.id == RunRow.job_id)
            .where(RunRow.sample_row_id.in_(list(runs)))
            .order_by(RunRow.position)
        )
        for run, status, error in session.execute(run_query):
            runs[run.sample_row_id].append(_run(run, status, error))
    return [
        AttributionSample(
            id=row.sha256,
            name=row.name,
            size=row.size,
            file_id=row.file_id,
            owner=owner,
            created_at=row.created_at,
            runs=tuple(runs[row.id]),
        )
        for row, owner in samples
    ]


def list_samples(session: Session, tenant_id: str) -> list[AttributionSample]:
    """Newest first, each with its runs in model order."""
    return _samples(session, tenant_id)


def find_sample(session: Session, tenant_id: str, sha256: str) -> AttributionSample | None:
    found = _samples(session, tenant_id, sha256)
    return found[0] if found else None


def get_sample(session: Session, tenant_id: str, sha256: str) -> AttributionSample:
    sample = find_sample(session, tenant_id, sha256)
    if sample is None:
        raise NotFound("That sample does not exist.")
    return sample


def add_sample(
    session: Session, *, tenant_id: str, owner_id: str, models: list[tuple[str, str]], **fields: Any
) -> None:
    """A sample row (fields: sha256, name, size, file_id) with one pending run per (model, version)."""
    row = SampleRow(tenant_id=tenant_id, owner_id=owner_id, **fields)
    session.add(row)
    session.flush()
    for position, (model, version) in enumerate(models):
        session.add(
            RunRow(tenant_id=tenant_id, sample_row_id=row.id, model=model, model_version=version, position=position)
        )
    session.flush()


def _run_id(session: Session, tenant_id: str, sha256: str, model: str) -> str | None:
    return session.scalar(
        select(RunRow.id)
        .join(SampleRow, SampleRow.id == RunRow.sample_row_id)
        .where(SampleRow.tenant_id == tenant_id, SampleRow.sha256 == sha256, RunRow.model == model)
    )


def update_run(session: Session, tenant_id: str, sha256: str, model: str, job_id: str, **values: Any) -> bool:
    """Change a run while it belongs to ``job_id`` and was not revoked (or deleted); returns whether it changed."""
    run_id = _run_id(session, tenant_id, sha256, model)
    if run_id is None:
        return False
    query = update(RunRow).where(
        RunRow.id == run_id, RunRow.job_id == job_id, RunRow.phase_1 != REVOKED, RunRow.phase_2 != REVOKED
    )
    return bool(session.execute(query.values(**values)).rowcount)  # type: ignore[attr-defined]


def queue_run(session: Session, tenant_id: str, sha256: str, model: str, *, version: str, job_id: str) -> None:
    """Make the sample's run of ``model`` pending under ``job_id``: its first job, or a new one after it failed
    or was revoked (any result, error and time of the earlier run are cleared)."""
    run = session.get(RunRow, _run_id(session, tenant_id, sha256, model))
    if run is None:
        raise NotFound("That sample has no run of this model.")
    run.model_version, run.job_id, run.phase_1, run.phase_2 = version, job_id, "pending", "pending"
    run.error = run.result = run.index_revision = run.predicted_at = None
    session.flush()


def sample_file(session: Session, tenant_id: str, sha256: str) -> str:
    file_id = session.scalar(
        select(SampleRow.file_id).where(SampleRow.tenant_id == tenant_id, SampleRow.sha256 == sha256)
    )
    if file_id is None:
        raise NotFound("That sample does not exist.")
    return file_id


def revoke_runs(
    session: Session, tenant_id: str, sha256: str, error: str, models: list[str], finished_too: bool = False
) -> None:
    """Unfinished phases of the sample's runs of ``models`` become revoked (every phase with ``finished_too``: a
    deleted prediction); those runs lose any result."""
    row_id = session.scalar(select(SampleRow.id).where(SampleRow.tenant_id == tenant_id, SampleRow.sha256 == sha256))
    query = select(RunRow).where(RunRow.sample_row_id == row_id, RunRow.model.in_(models))
    if not finished_too:
        query = query.where(or_(RunRow.phase_1.in_(_LIVE), RunRow.phase_2.in_(_LIVE)))
    for run in session.scalars(query):
        run.phase_1 = REVOKED if finished_too or run.phase_1 in _LIVE else run.phase_1
        run.phase_2 = REVOKED if finished_too or run.phase_2 in _LIVE else run.phase_2
        run.result, run.error, run.index_revision, run.predicted_at = None, error, None, None
    session.flush()


def delete_sample(session: Session, tenant_id: str, sha256: str) -> str:
    """Delete the sample and its runs; returns its file id for the caller to remove."""
    row = session.scalar(select(SampleRow).where(SampleRow.tenant_id == tenant_id, SampleRow.sha256 == sha256))
    if row is None:
        raise NotFound("That sample does not exist.")
    file_id = row.file_id
    session.execute(delete(RunRow).where(RunRow.sample_row_id == row.id))
    session.delete(row)
    session.flush()
    return file_id


def running_index_jobs(session: Session, tenant_id: str, kind: str) -> int:
    query = (
        select(func.count())
        .select_from(JobRow)
        .where(JobRow.tenant_id == tenant_id, JobRow.kind == kind, JobRow.status.in_(UNFINISHED_JOB_STATES))
    )
    return int(session.scalar(query) or 0)
