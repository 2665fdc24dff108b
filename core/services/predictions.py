"""The predictions log: its entries (paged, filtered), a prediction followed by its id, and how logged
predictions compared with the true values a labelled dataset gives later (``outcomes.py`` matches them)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from core.entities import Actor, Evaluation, Job, JobStatus, Model, Outcome, PredictionRecord, PredictionResult
from core.errors import NotFound
from core.services import outcomes
from core.services.base import Service, record, require
from core.services.datasets import DatasetService, read_columns
from core.services.forecasts import read_forecast
from core.services.jobs import JobService
from core.services.models import ModelService
from core.storage.orm import utcnow
from core.storage.repositories import files as file_repo
from core.storage.repositories import predictions as repo
from core.storage.workspace import Workspace

PREDICTION_JOBS = {"batch_predict": "batch", "forecast": "forecast"}
LOG_COLUMNS = [
    "created (UTC)",
    "user",
    "model",
    "version",
    "problem_type",
    "kind",
    "status",
    "rows",
    "duration_s",
    "warnings",  # before the wide JSON columns: what an analyst should see without scrolling
    "inputs",
    "input_file_id",
    "outputs",
    "output_file_id",
    "error",
    "outcome_metric",
    "outcome",
    "outcome_rows",
    "job_id",
    "model_id",
    "id",
]


def _log_text(value: dict[str, Any] | None) -> str | None:
    return json.dumps(value, default=str) if value is not None else None


def _moment(day: date | datetime | None, later: int = 0) -> datetime | None:
    """A datetime as it is; a date as its midnight, ``later`` days on."""
    if day is None or isinstance(day, datetime):
        return day
    return datetime.combine(day, datetime.min.time()) + timedelta(days=later)


def _where(
    actor: Actor,
    model_id: str | None,
    kind: str | None,
    user: str | None,
    since: date | datetime | None,
    until: date | datetime | None,
) -> repo.LogFilter:
    """The log filter, once the actor may read the log: ``since`` inclusive, a date ``until`` its whole day."""
    require(actor, "predictions:read")
    return repo.LogFilter(model_id, user, kind, _moment(since), _moment(until, later=1))


def _row(e: PredictionRecord) -> dict[str, Any]:
    """One entry as the log's table shows it, by column name (``LOG_COLUMNS`` gives the order)."""
    outcome = e.outcome
    return {
        "created (UTC)": e.created_at,
        "user": e.user,
        "model": e.model_label,
        "version": e.model_version,
        "problem_type": e.problem_type,
        "kind": e.kind,
        "status": e.status,
        "rows": e.rows,
        "duration_s": round(e.duration_s, 4),
        "warnings": " ".join(e.warnings) or None,
        "inputs": _log_text(e.inputs),
        "input_file_id": e.input_file_id,
        "outputs": _log_text(e.outputs),
        "output_file_id": e.output_file_id,
        "error": e.error,
        "outcome_metric": outcome.metric if outcome else None,
        "outcome": outcome.value if outcome else None,
        "outcome_rows": outcome.rows if outcome else None,
        "job_id": e.job_id,
        "model_id": e.model_id,
        "id": e.id,
    }


class PredictionLogService(Service):
    def __init__(
        self, workspace: Workspace, *, datasets: DatasetService, models: ModelService, jobs: JobService
    ) -> None:
        super().__init__(workspace)
        self.datasets, self.models, self.jobs = datasets, models, jobs

    def list(
        self,
        actor: Actor,
        model_id: str | None = None,
        kind: str | None = None,
        user: str | None = None,
        since: date | datetime | None = None,
        until: date | datetime | None = None,
        offset: int = 0,
        limit: int = 10_000,
    ) -> list[PredictionRecord]:
        """Entries newest first; a date ``until`` includes that whole day."""
        where = _where(actor, model_id, kind, user, since, until)
        with self.db.session() as session:
            return repo.list_predictions(session, actor.tenant_id, where, limit=limit, offset=offset)

    def count(
        self,
        actor: Actor,
        model_id: str | None = None,
        kind: str | None = None,
        user: str | None = None,
        since: date | datetime | None = None,
        until: date | datetime | None = None,
    ) -> int:
        """How many entries ``list`` pages through with the same filters."""
        where = _where(actor, model_id, kind, user, since, until)
        with self.db.session() as session:
            return repo.count_predictions(session, actor.tenant_id, where)

    def frame(self, actor: Actor, **filters: Any) -> pd.DataFrame:
        """``list`` as the Predictions page's table (``LOG_COLUMNS``; inputs and outputs as JSON text, the
        warnings as one text)."""
        return pd.DataFrame([_row(e) for e in self.list(actor, **filters)], columns=LOG_COLUMNS)

    # --- one prediction by its id -------------------------------------------------------------------
    def result(self, actor: Actor, prediction_id: str) -> PredictionResult:
        """A prediction by its id: a log entry's id, or the id of the batch or forecast job that makes one (so
        it can be followed from submission on). Another tenant's id, or any other job's, is NotFound."""
        require(actor, "predictions:read")
        with self.db.session() as session:
            try:
                entry: PredictionRecord | None = repo.get_prediction(session, actor.tenant_id, prediction_id)
            except NotFound:
                entry = None
            if entry is not None and entry.job_id is None:
                return _of_entry(prediction_id, entry)
            job = self._prediction_job(session, actor, entry.job_id if entry and entry.job_id else prediction_id)
            entry = entry or repo.prediction_of_job(session, actor.tenant_id, job.id)
            return _of_job(prediction_id, job, entry)

    def _prediction_job(self, session: Session, actor: Actor, job_id: str) -> Job:
        try:
            job = self.jobs._get(session, actor, job_id)
        except NotFound:
            raise NotFound("That prediction does not exist.") from None
        if job.kind not in PREDICTION_JOBS:
            raise NotFound("That prediction does not exist.")
        return job

    # --- true values learnt later -------------------------------------------------------------------
    def evaluate(self, actor: Actor, model_id: str, dataset_id: str) -> Evaluation:
        """Compare every successful logged prediction of the model with the true values in a labelled dataset,
        matched by the model's id column (forecasts: series and time). Each entry with matches keeps its
        ``Outcome`` (accuracy, or the mean absolute error), replacing an earlier one; entries without a match
        keep theirs. A model without an id column is refused (its rows cannot be told apart)."""
        require(actor, "inference:run")
        with self.db.session() as session:
            model = self.models._get(session, actor, model_id)
            key = outcomes.key_columns(model)
            truth = self._truth(session, actor, model, key, dataset_id)
            metric, scores = outcomes.metric_of(model), {}
            entries = repo.list_predictions(session, actor.tenant_id, repo.LogFilter(model_id=model.id))
            entries = [e for e in entries if e.status == JobStatus.SUCCEEDED]
            for entry in entries:
                predicted = self._predicted(session, actor, model, entry, key)
                if predicted is not None:
                    scores[entry.id] = outcomes.score(metric, predicted, truth, list(truth.columns[:-1]))
            now, matched = utcnow(), {i: s for i, s in scores.items() if s.rows}
            for entry_id, found in matched.items():
                outcome = Outcome(metric, found.total / found.rows, found.rows, dataset_id, now)
                repo.set_outcome(session, actor.tenant_id, entry_id, outcome)
            rows, total = sum(s.rows for s in matched.values()), sum(s.total for s in matched.values())
            record(
                session, actor, "predictions.evaluated", "model", model.id, dataset_id=dataset_id, entries=len(matched)
            )
        value = total / rows if rows else None
        return Evaluation(model.id, dataset_id, key, metric, value, rows, len(matched), len(entries) - len(matched))

    def _truth(
        self, session: Session, actor: Actor, model: Model, key: tuple[str, ...], dataset_id: str
    ) -> pd.DataFrame:
        dataset, path = self.datasets._located(session, actor, dataset_id)
        columns = (*key, model.target)
        outcomes.missing_columns(list(dataset.column_types), columns, dataset.name)
        labels = read_columns(dataset, path, list(dict.fromkeys(columns))).to_pandas()
        if model.forecast is not None:
            spec = model.forecast
            return outcomes.forecast_truth(labels, spec.time_column, spec.series_column, model.target)
        return outcomes.tabular_truth(labels, key[0], model.target)

    def _predicted(
        self, session: Session, actor: Actor, model: Model, entry: PredictionRecord, key: tuple[str, ...]
    ) -> pd.DataFrame | None:
        """What the entry predicted, by key; None when it cannot be matched (no id given, file deleted)."""
        if entry.kind == "form":
            return outcomes.form_predicted(entry.inputs, entry.outputs, key[0])
        if entry.output_file_id is None:
            return None
        try:
            stored = file_repo.storage_key(session, actor.tenant_id, entry.output_file_id)
        except NotFound:
            return None
        if entry.kind == "batch":
            return outcomes.batch_predicted(str(self.store.path(stored)), key[0])
        known = model.forecast.series_ids if model.forecast else []
        frame = read_forecast(self.store.read(stored), known)
        return frame[["unique_id", "ds", "forecast"]].rename(columns={"forecast": "predicted"})


def _of_entry(prediction_id: str, entry: PredictionRecord) -> PredictionResult:
    """A form prediction or a forecast made at once (no job): its outputs are the summary, the warnings those
    logged with it."""
    outputs, inputs = entry.outputs or {}, entry.inputs or {}
    return PredictionResult(
        prediction_id=prediction_id,
        kind=entry.kind,
        status=entry.status,
        model_id=entry.model_id,
        job_id=None,
        file_id=entry.output_file_id,
        dataset_id=None if entry.kind == "form" else inputs.get("history_dataset_id"),
        rows=entry.rows,
        summary=outputs,
        warnings=entry.warnings,
        error=entry.error,
        record=entry,
    )


def _of_job(prediction_id: str, job: Job, entry: PredictionRecord | None) -> PredictionResult:
    """A batch or forecast job: its state while it runs, its log entry and result once it is done."""
    result, params = job.result or {}, job.params
    summary = result.get("summary") if job.kind == "batch_predict" else (entry.outputs if entry else None)
    return PredictionResult(
        prediction_id=prediction_id,
        kind=PREDICTION_JOBS[job.kind],
        status=str(job.status),
        model_id=str(params.get("model_id") or ""),
        job_id=job.id,
        file_id=result.get("file_id"),
        dataset_id=params.get("dataset_id") or params.get("history_dataset_id"),
        rows=result.get("rows", params.get("rows")),
        summary=summary,
        warnings=tuple(str(w) for w in result.get("warnings") or ()),
        error=job.error,
        record=entry,
    )
