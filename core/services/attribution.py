"""Sample attribution as users see it: submitted samples, status, results, revoke, run again (the reference
library is ``attribution_library``).

A sample's id is the SHA-256 of its bytes; the same bytes again return the existing sample, after queueing again
the models whose run failed or was revoked. Each model runs as its own ``attribution_run`` job (see
``attribution_tasks``), so one slow model never holds back the others and revoking stops exactly the work still
going on. A run belongs to the job it was last queued with: a stopped job's late writes never reach a run queued
again. Results keep the seed API's fields (``model``, ``sha256_hash``, ``predicted_at``, ``task_id``,
``error_details``, ``prediction_results``, ``explanation_results``).
"""

from __future__ import annotations

import json
import re
from typing import Any, BinaryIO

import pandas as pd
from sqlalchemy.orm import Session

from core.entities import Actor, AttributionRun, AttributionSample, FileInfo
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem, TooLarge
from core.exports import safe_csv
from core.services.attribution_library import NO_INDEX, AttributionLibrary, models
from core.services.attribution_verdict import verdict_entry
from core.services.base import record, require
from core.storage.repositories import attribution as repo
from core.storage.repositories import files as file_repo
from core.version import APP_VERSION

RUN_KIND = "attribution_run"
SHA256 = re.compile(r"[0-9a-f]{64}")
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


def sample_key(sample_id: str) -> str:
    """A sample id as stored (lower-case hex); InvalidInput for anything but a SHA-256."""
    key = str(sample_id).strip().lower()
    if not SHA256.fullmatch(key):
        raise InvalidInput(
            "A sample is named by the SHA-256 of its bytes: 64 hexadecimal characters.",
            [Problem("not a SHA-256 in hexadecimal", field="sha256_hash", value=str(sample_id)[:100])],
        )
    return key


def _iso(value: Any) -> str | None:
    return None if value is None else f"{value.isoformat(timespec='seconds')}Z"


class AttributionService(AttributionLibrary):
    # --- samples --------------------------------------------------------------------------------------
    def submit(self, actor: Actor, filename: str, data: bytes | BinaryIO) -> AttributionSample:
        """Store the file (bytes, or a stream read up to the upload limit) and start one job per model. The same
        bytes again return the existing sample, its failed or revoked models queued again (as ``rerun``)."""
        require(actor, "attribution:submit")
        name, data, sha, problem = self._checked(filename, data, reference=False)
        if problem:
            too_large = len(data) > self.settings.max_upload_bytes
            raise (TooLarge if too_large else InvalidInput)(problem, [Problem(problem, field=name)])
        with self.db.session() as session:
            existing = repo.find_sample(session, actor.tenant_id, sha)
            has_index = repo.current_index_location(session, actor.tenant_id) is not None
        if existing is not None:
            return self._run_again(actor, existing) if existing.rerunnable else existing
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
        return self._queue_runs(actor, sha, name, [m.name for m in models()])

    def rerun(self, actor: Actor, sample_id: str) -> AttributionSample:
        """Queue again the models whose run failed or was revoked (a deleted prediction is made anew); Conflict
        when every model has a result or is still at work."""
        require(actor, "attribution:submit")
        sample = self.get_sample(actor, sample_id)
        if not sample.rerunnable:
            raise Conflict(
                f"Every model has a result for {sample.name} or is still at work on it: there is nothing to run again."
            )
        return self._run_again(actor, sample)

    def _run_again(self, actor: Actor, sample: AttributionSample) -> AttributionSample:
        return self._queue_runs(actor, sample.id, sample.name, list(sample.rerunnable), again=True)

    def _queue_runs(
        self, actor: Actor, sha: str, name: str, names: list[str], again: bool = False
    ) -> AttributionSample:
        """One job per model named (models no longer offered are left as they are), each run made pending under
        its job in one transaction; the jobs start once it is committed."""
        versions = {m.name: m.version for m in models()}
        with self.db.session() as session:
            if again and repo.current_index_location(session, actor.tenant_id) is None:
                raise InvalidInput(NO_INDEX)
            jobs = []
            for model in (n for n in names if n in versions):
                params = {"sample_id": sha, "model": model}
                job = self.jobs._queue(session, actor, RUN_KIND, f"Attribute {name} · {model}"[:200], params)
                repo.queue_run(session, actor.tenant_id, sha, model, version=versions[model], job_id=job.id)
                jobs.append(job)
            if again:
                record(session, actor, "attribution.sample_rerun", "sample", sha, name=name, models=names)
        for job in jobs:
            self.jobs._start(job, actor)
        return self.get_sample(actor, sha)

    def get_sample(self, actor: Actor, sample_id: str) -> AttributionSample:
        require(actor, "attribution:read")
        with self.db.session() as session:
            return repo.get_sample(session, actor.tenant_id, sample_key(sample_id))

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

    def result(self, actor: Actor, sample_id: str, model: str) -> dict[str, Any]:
        """One entry of ``results``: a model's, or the consensus verdict (``model`` "consensus")."""
        sample, entries = self._results(actor, sample_id)
        found = next((entry for entry in entries if entry["model"] == model), None)
        if found is None:
            raise NotFound(_no_model(sample, model, [entry["model"] for entry in entries]))
        return found

    def _results(self, actor: Actor, sample_id: str) -> tuple[AttributionSample, list[dict[str, Any]]]:
        require(actor, "attribution:read")
        with self.db.session() as session:
            sample = repo.get_sample(session, actor.tenant_id, sample_key(sample_id))
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

    def revoke(self, actor: Actor, sample_id: str, model: str | None = None) -> AttributionSample:
        """Stop the models still pending or running (or only ``model``): their jobs are cancelled, their phases
        show ``revoked`` and they keep no result. Models that already finished keep theirs."""
        sample = self._own_sample(actor, sample_id)
        runs = _runs(sample, model)
        if all(run.finished for run in runs):
            what, state = (sample.name, sample.state) if model is None else (f"{model} on {sample.name}", runs[0].state)
            remedy = "the sample to remove it and its results" if model is None else "its prediction to remove it"
            raise Conflict(
                f"The analysis of {what} has already finished ({state.replace('_', ' ')}), so there is nothing "
                f"left to revoke; delete {remedy}."
            )
        self._stop(actor, sample, runs, "attribution.sample_revoked", f"Revoked by {actor.username}.")
        return self.get_sample(actor, sample.id)

    def delete_prediction(self, actor: Actor, sample_id: str, model: str) -> AttributionSample:
        """Drop one model's result, stopping it first if it is still at work: the model shows ``revoked`` (with
        who deleted it) and no longer votes; ``rerun`` or submitting the bytes again makes it anew."""
        sample = self._own_sample(actor, sample_id)
        runs = _runs(sample, model)
        reason = f"Prediction deleted by {actor.username}."
        self._stop(actor, sample, runs, "attribution.prediction_deleted", reason, finished_too=True)
        return self.get_sample(actor, sample.id)

    def delete(self, actor: Actor, sample_id: str) -> None:
        """Delete a sample, its results and its file (work still going on is revoked first)."""
        sample = self._own_sample(actor, sample_id)
        if not sample.finished:
            self._stop(actor, sample, sample.runs, "attribution.sample_revoked", f"Revoked by {actor.username}.")
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

    def _stop(
        self,
        actor: Actor,
        sample: AttributionSample,
        runs: tuple[AttributionRun, ...],
        action: str,
        reason: str,
        finished_too: bool = False,
    ) -> None:
        """Revoke ``runs`` (their unfinished phases, or all with ``finished_too``), then cancel their jobs."""
        names = [run.model for run in runs]
        with self.db.session() as session:
            repo.revoke_runs(session, actor.tenant_id, sample.id, reason, models=names, finished_too=finished_too)
            record(session, actor, action, "sample", sample.id, name=sample.name, models=names)
        for run in runs:
            if not run.finished and run.job_id:
                self.jobs.cancel(actor, run.job_id)


def _no_model(sample: AttributionSample, model: str, known: list[str]) -> str:
    return f"{sample.name} has no result of a model named {model[:100]!r}; its models are {', '.join(known)}."


def _runs(sample: AttributionSample, model: str | None) -> tuple[AttributionRun, ...]:
    """Every run of the sample, or the run of ``model`` (NotFound when it has none)."""
    runs = tuple(run for run in sample.runs if model is None or run.model == model)
    if not runs and model is not None:
        raise NotFound(_no_model(sample, model, [run.model for run in sample.runs]))
    return runs


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
