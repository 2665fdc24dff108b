"""Sample attribution as users see it: the reference library, submitted samples, status, results, revoke.

A sample's id is the SHA-256 of its bytes; the same bytes again return the existing sample. Each model runs
as its own ``attribution_run`` job (see ``attribution_tasks``), so one slow model never holds back the others
and revoking stops exactly the work still going on. Results keep the seed API's fields (``model``,
``sha256_hash``, ``predicted_at``, ``task_id``, ``error_details``, ``prediction_results``,
``explanation_results``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy.orm import Session

from core.entities import (
    Actor,
    AttributionRun,
    AttributionSample,
    FileInfo,
    Job,
    ReferenceLibrary,
    ReferenceSample,
)
from core.errors import Conflict, InvalidInput, PermissionDenied, Problem
from core.exports import safe_csv
from core.services.attribution_verdict import verdict_entry
from core.services.base import Service, record, require
from core.services.files import clean_name
from core.services.jobs import JobService
from core.storage.repositories import attribution as repo
from core.storage.repositories import files as file_repo
from core.storage.workspace import Workspace
from core.version import APP_VERSION

RUN_KIND, INDEX_KIND = "attribution_run", "attribution_index"
MAX_FAMILY_LENGTH = 100
ARCHIVES = {
    b"PK\x03\x04": "ZIP",
    b"\x1f\x8b": "gzip",
    b"\xfd7zXZ\x00": "xz",
    b"BZh": "bzip2",
    b"7z\xbc\xaf\x27\x1c": "7-Zip",
    b"Rar!\x1a\x07": "RAR",
    b"\x28\xb5\x2f\xfd": "zstd",
}
CSV_COLUMNS = [
    "sha256_hash",
    "model",
    "model_version",
    "status",
    "rank",
    "family",
    "score",
    "predicted_at",
    "index_revision",
    "task_id",
    "error_details",
    "explanation",
]
NO_INDEX = (
    "The reference library has no index yet: add labeled samples and rebuild the index on the Reference library page."
)
T = TypeVar("T")


def library_digest(pairs: list[tuple[str, str]]) -> str:
    """What a library holds ((sha256, family) pairs): an index built from other pairs is out of date."""
    return hashlib.sha256(json.dumps(sorted(pairs)).encode()).hexdigest()


def models() -> tuple[Any, ...]:
    """The attribution models, imported on first use: disassembler and MinHash libraries take seconds to
    import, and every page and job worker imports the engine."""
    from core.attribution import MODELS

    return MODELS


def _family(name: str) -> str:
    family = " ".join(str(name).split())
    if not family or len(family) > MAX_FAMILY_LENGTH or not family.isprintable():
        raise InvalidInput(
            f"Name the family in 1 to {MAX_FAMILY_LENGTH} printable characters (for example the "
            "Debian source package).",
            [Problem("invalid family name", field="family")],
        )
    return family


def _sample_id(sample_id: str) -> str:
    return str(sample_id).strip().lower()


def _iso(value: Any) -> str | None:
    return None if value is None else f"{value.isoformat(timespec='seconds')}Z"


class AttributionService(Service):
    def __init__(self, workspace: Workspace, *, jobs: JobService) -> None:
        super().__init__(workspace)
        self.jobs = jobs

    # --- checks and storage shared by references and samples ------------------------------------------
    def _checked(self, filename: str, data: bytes, *, reference: bool) -> tuple[str, bytes, str, str | None]:
        """(clean name, bytes, sha256, problem) — problems are collected so a batch is refused as a whole."""
        name = clean_name(filename)
        data = bytes(data)
        limit = self.settings.max_upload_mb
        problem = None
        if not data:
            problem = f"The file {name} is empty."
        elif len(data) > self.settings.max_upload_bytes:
            problem = f"The file {name} is larger than the limit of {limit} MB."
        elif reference and (kind := next((k for m, k in ARCHIVES.items() if data.startswith(m)), None)):
            problem = (
                f"The file {name} is a {kind} archive; archives are not unpacked, so add the files inside "
                "it one by one."
            )
        return name, data, hashlib.sha256(data).hexdigest(), problem

    def _store(self, actor: Actor, name: str, data: bytes, write: Callable[[Session, FileInfo], T]) -> T:
        """Keep the bytes as a ``sample`` file of the tenant and run ``write`` in the same transaction as the
        file row; on any failure neither the bytes nor the rows remain."""
        stored = self.store.put(actor.tenant_id, "sample", data)
        try:
            with self.db.session() as session:
                info = file_repo.add_file(
                    session,
                    tenant_id=actor.tenant_id,
                    owner_id=actor.user_id,
                    kind="sample",
                    name=name,
                    content_type="application/octet-stream",
                    stored=stored,
                )
                record(session, actor, "file.added", "file", info.id, name=name, kind="sample", size=stored.size)
                return write(session, info)
        except BaseException:
            self.store.delete(stored.storage_key)
            raise

    # --- reference library ----------------------------------------------------------------------------
    def add_reference(self, actor: Actor, *, family: str, filename: str, data: bytes) -> ReferenceSample:
        """Add one labeled file; it is analysed at the next index rebuild."""
        return self.add_references(actor, family=family, files=[(filename, data)])[0]

    def add_references(self, actor: Actor, *, family: str, files: list[tuple[str, bytes]]) -> list[ReferenceSample]:
        """Add several files of one family; any problem (empty, too large, archive, already in the library)
        refuses the whole batch, naming each file."""
        require(actor, "attribution:library")
        family = _family(family)
        if not files:
            raise InvalidInput("Choose at least one file to add.")
        checked = [self._checked(name, data, reference=True) for name, data in files]
        with self.db.session() as session:
            known = repo.references_by_sha(session, actor.tenant_id, [sha for _, _, sha, _ in checked])
        problems, seen = [], set()
        for name, _, sha, problem in checked:
            if problem is None and sha in known:
                problem = f"The file {name} is already in the library as {known[sha].name} ({known[sha].family})."
            elif problem is None and sha in seen:
                problem = f"The file {name} is chosen twice (same bytes)."
            seen.add(sha)
            if problem:
                problems.append(Problem(problem, field=name))
        if problems:
            message = problems[0].problem if len(problems) == 1 else f"{len(problems)} of the files cannot be added."
            raise InvalidInput(message, problems)

        def write(family_name: str, name: str, sha: str, size: int) -> Callable[[Session, FileInfo], ReferenceSample]:
            def add(session: Session, info: FileInfo) -> ReferenceSample:
                added = repo.add_reference(
                    session,
                    tenant_id=actor.tenant_id,
                    owner_id=actor.user_id,
                    family=family_name,
                    name=name,
                    sha256=sha,
                    size=size,
                    file_id=info.id,
                )
                record(
                    session,
                    actor,
                    "attribution.reference_added",
                    "reference",
                    added.id,
                    family=family_name,
                    name=name,
                    sha256=sha,
                )
                return added

            return add

        return [self._store(actor, name, data, write(family, name, sha, len(data))) for name, data, sha, _ in checked]

    def list_references(self, actor: Actor, family: str | None = None) -> list[ReferenceSample]:
        require(actor, "attribution:read")
        with self.db.session() as session:
            return repo.list_references(session, actor.tenant_id, family)

    def families(self, actor: Actor) -> pd.DataFrame:
        """One row per family: ``family, samples, analysed, functions, bytes, last_added``."""
        references = self.list_references(actor)
        columns = ["family", "samples", "analysed", "functions", "bytes", "last_added"]
        if not references:
            return pd.DataFrame(columns=columns)
        frame = pd.DataFrame(
            [
                {
                    "family": r.family,
                    "analysed": r.analysed,
                    "functions": r.functions or 0,
                    "bytes": r.size,
                    "created_at": r.created_at,
                }
                for r in references
            ]
        )
        grouped = frame.groupby("family", sort=True).agg(
            samples=("family", "size"),
            analysed=("analysed", "sum"),
            functions=("functions", "sum"),
            bytes=("bytes", "sum"),
            last_added=("created_at", "max"),
        )
        return grouped.reset_index()[columns]

    def remove_reference(self, actor: Actor, reference_id: str) -> None:
        """Remove a labeled file and its cached features; the index keeps it until the next rebuild."""
        require(actor, "attribution:library")
        with self.db.session() as session:
            reference = repo.get_reference(session, actor.tenant_id, reference_id)
            file_id, features_key = repo.delete_reference(session, actor.tenant_id, reference_id)
            key = file_repo.delete_file(session, actor.tenant_id, file_id)
            record(
                session,
                actor,
                "attribution.reference_removed",
                "reference",
                reference_id,
                family=reference.family,
                name=reference.name,
            )
        for stale in (key, features_key):
            if stale:
                self.store.delete(stale)

    def library(self, actor: Actor) -> ReferenceLibrary | None:
        """The current index (None before the first build); ``stale`` once references changed since."""
        require(actor, "attribution:read")
        with self.db.session() as session:
            digest = library_digest(repo.library_pairs(session, actor.tenant_id))
            return repo.current_index(session, actor.tenant_id, digest)

    def rebuild_index(self, actor: Actor) -> Job:
        """Analyse new references and build the index as a job (result: revision, samples, functions)."""
        require(actor, "attribution:library")
        with self.db.session() as session:
            if not repo.library_pairs(session, actor.tenant_id):
                raise InvalidInput("The reference library is empty: add labeled samples first.")
            if repo.running_index_jobs(session, actor.tenant_id, INDEX_KIND):
                raise Conflict("The index is already being rebuilt; wait for that job to finish.")
            job = self.jobs._queue(session, actor, INDEX_KIND, "Rebuild the attribution index", {})
        return self.jobs._start(job, actor)

    # --- samples --------------------------------------------------------------------------------------
    def submit(self, actor: Actor, filename: str, data: bytes) -> AttributionSample:
        """Store the file and start one job per model; the same bytes again return the existing sample."""
        require(actor, "attribution:submit")
        name, data, sha, problem = self._checked(filename, data, reference=False)
        if problem:
            raise InvalidInput(problem, [Problem(problem, field=name)])
        with self.db.session() as session:
            existing = repo.find_sample(session, actor.tenant_id, sha)
            has_index = repo.current_index_location(session, actor.tenant_id) is not None
        if existing is not None:
            return existing
        if not has_index:
            raise InvalidInput(NO_INDEX)

        def add(session: Session, info: FileInfo) -> None:
            repo.add_sample(
                session,
                tenant_id=actor.tenant_id,
                owner_id=actor.user_id,
                sha256=sha,
                name=name,
                size=len(data),
                file_id=info.id,
                models=[(m.name, m.version) for m in models()],
            )
            record(session, actor, "attribution.sample_submitted", "sample", sha, name=name, size=len(data))

        try:
            self._store(actor, name, data, add)
        except Conflict:  # the same bytes submitted at the same moment by someone else
            return self.get_sample(actor, sha)
        with self.db.session() as session:
            jobs = []
            for model in models():
                params = {"sample_id": sha, "model": model.name}
                job = self.jobs._queue(session, actor, RUN_KIND, f"Attribute {name} · {model.name}"[:200], params)
                repo.update_run(session, actor.tenant_id, sha, model.name, job_id=job.id)
                jobs.append(job)
        for job in jobs:
            self.jobs._start(job, actor)
        return self.get_sample(actor, sha)

    def get_sample(self, actor: Actor, sample_id: str) -> AttributionSample:
        require(actor, "attribution:read")
        with self.db.session() as session:
            return repo.get_sample(session, actor.tenant_id, _sample_id(sample_id))

    def list_samples(self, actor: Actor) -> list[AttributionSample]:
        """The tenant's samples, newest first, each with its models' states (``sample.state`` sums them up)."""
        require(actor, "attribution:read")
        with self.db.session() as session:
            return repo.list_samples(session, actor.tenant_id)

    def status(self, actor: Actor, sample_id: str) -> dict[str, dict[str, Any]]:
        """``{"status": {model: state}, "detailed_status": {model: {"phase_1": state, "phase_2": state}}}``."""
        runs = self.get_sample(actor, sample_id).runs
        return {
            "status": {r.model: r.state for r in runs},
            "detailed_status": {r.model: {"phase_1": r.phase_1, "phase_2": r.phase_2} for r in runs},
        }

    def results(self, actor: Actor, sample_id: str) -> list[dict[str, Any]]:
        """The consensus verdict first (``model`` "consensus": families best first with a calibrated confidence,
        or unknown family), then one entry per model (seed-API fields plus ``status`` and ``model_version``)."""
        return self._results(actor, sample_id)[1]

    def _results(self, actor: Actor, sample_id: str) -> tuple[AttributionSample, list[dict[str, Any]]]:
        require(actor, "attribution:read")
        with self.db.session() as session:
            sample = repo.get_sample(session, actor.tenant_id, _sample_id(sample_id))
            verdict = verdict_entry(self.store, session, actor.tenant_id, sample)
        return sample, [verdict, *(_result(sample, run) for run in sample.runs)]

    def results_csv(self, actor: Actor, sample_id: str) -> bytes:
        """One row per model and ranked family (a row with an empty family for a model without any)."""
        rows = []
        for entry in self.results(actor, sample_id):
            explanation = entry["explanation_results"]
            common = {
                key: entry[key]
                for key in (
                    "sha256_hash",
                    "model",
                    "model_version",
                    "status",
                    "predicted_at",
                    "task_id",
                    "error_details",
                )
            }
            common.update(index_revision=explanation.get("index_revision"), explanation=explanation.get("summary"))
            ranked = entry["prediction_results"] or [{"family": None, "score": None}]
            rows += [
                {**common, "rank": rank if item["family"] else None, **item}
                for rank, item in enumerate(ranked, start=1)
            ]
        return safe_csv(pd.DataFrame(rows, columns=CSV_COLUMNS))

    def results_json(self, actor: Actor, sample_id: str) -> bytes:
        sample, results = self._results(actor, sample_id)
        document = {
            "sha256_hash": sample.id,
            "name": sample.name,
            "size": sample.size,
            "status": sample.state,
            "submitted_at": _iso(sample.created_at),
            "engine_version": APP_VERSION,
            "results": results,
        }
        return json.dumps(document, indent=2, default=str).encode()

    def revoke(self, actor: Actor, sample_id: str) -> AttributionSample:
        """Stop the models still pending or running: their jobs are cancelled, their phases show ``revoked``
        and they keep no result. Models that already finished keep theirs."""
        sample = self._own_sample(actor, sample_id)
        if sample.finished:
            raise Conflict(
                f"The analysis of {sample.name} has already finished ({sample.state.replace('_', ' ')}), "
                "so there is nothing left to revoke; delete the sample to remove it and its results."
            )
        self._stop(actor, sample)
        return self.get_sample(actor, sample.id)

    def delete(self, actor: Actor, sample_id: str) -> None:
        """Delete a sample, its results and its file (work still going on is revoked first)."""
        sample = self._own_sample(actor, sample_id)
        if not sample.finished:
            self._stop(actor, sample)
        with self.db.session() as session:
            file_id = repo.delete_sample(session, actor.tenant_id, sample.id)
            key = file_repo.delete_file(session, actor.tenant_id, file_id)
            record(session, actor, "attribution.sample_deleted", "sample", sample.id, name=sample.name)
        self.store.delete(key)

    def versions(self, actor: Actor) -> dict[str, Any]:
        """Engine and model versions and the reference library's revision (About and results pages)."""
        library = self.library(actor)
        return {
            "engine": APP_VERSION,
            "models": {m.name: m.version for m in models()},
            "library_revision": library.revision if library else None,
        }

    def _own_sample(self, actor: Actor, sample_id: str) -> AttributionSample:
        require(actor, "attribution:submit")
        sample = self.get_sample(actor, sample_id)
        if sample.owner != actor.username and not actor.can("jobs:cancel"):
            raise PermissionDenied(
                f"Only {sample.owner}, who submitted {sample.name}, or an administrator can revoke or delete it."
            )
        return sample

    def _stop(self, actor: Actor, sample: AttributionSample) -> None:
        with self.db.session() as session:
            repo.revoke_runs(session, actor.tenant_id, sample.id, f"Revoked by {actor.username}.")
            record(session, actor, "attribution.sample_revoked", "sample", sample.id, name=sample.name)
        for run in sample.runs:
            if not run.finished and run.job_id:
                self.jobs.cancel(actor, run.job_id)


def _result(sample: AttributionSample, run: AttributionRun) -> dict[str, Any]:
    stored = run.result or {}
    return {
        "model": run.model,
        "model_version": run.model_version,
        "sha256_hash": sample.id,
        "predicted_at": _iso(run.predicted_at),
        "task_id": run.job_id,
        "status": run.state,
        "detailed_status": {"phase_1": run.phase_1, "phase_2": run.phase_2},
        "error_details": run.error or stored.get("error_details"),
        "prediction_results": stored.get("prediction_results", []),
        "explanation_results": stored.get("explanation_results", {}),
    }
