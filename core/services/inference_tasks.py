"""The batch prediction job: score a Parquet input chunk by chunk, appending to a CSV result file of the tenant.

Memory stays flat whatever the file size (one chunk at a time); each chunk is checked against the model schema
(wrong types reported per row; values outside the training range and unseen or rare categories flagged in an
``input_warnings`` column and summarized), scored, optionally explained (top reasons per row, against the model's
background), neutralized against formula injection and appended to the CSV."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from core.entities import Actor, JobStatus, Model
from core.errors import Problem
from core.exports import RISKY_TEXT, may_hold_text, neutralize, safe_csv
from core.progress import Cancelled
from core.services.base import record
from core.services.scoring import jsonable, logged_notes, model_schema, without_coercion
from core.storage.files import StoredBytes
from core.storage.repositories import files as file_repo
from core.storage.repositories import predictions as log_repo
from core.storage.workspace import Workspace

if TYPE_CHECKING:
    from core.services.tasking import TaskContext

CHUNK_ROWS = 100_000
MAX_LISTED_PROBLEMS = 1000
MAX_NOTES = 30
HISTOGRAM_BINS = 30


class _Tally:
    """What the job learns while scoring: problems, warnings and the summary of predictions."""

    def __init__(self, classify: bool) -> None:
        self.classify = classify
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.counts: Counter[str] = Counter()
        self.values: list[np.ndarray] = []

    def add(self, problems: list[Problem], notes: list[str], label: str, predictions: pd.Series) -> None:
        self.problems += problems
        for note in notes:
            text = note if note.startswith("Ignored columns") else f"{label}: {note}"
            if text not in self.notes:
                self.notes.append(text)
        if self.classify:
            self.counts.update({str(k): int(v) for k, v in predictions.value_counts(sort=False).items()})
        else:
            self.values.append(predictions.to_numpy(dtype="float64"))

    def summary(self) -> dict[str, Any]:
        if self.classify:
            return {"kind": "classes", "counts": dict(self.counts.most_common())}
        values = np.concatenate(self.values) if self.values else np.empty(0)
        values = values[np.isfinite(values)]
        if values.size == 0:
            return {"kind": "values", "bins": []}
        counts, edges = np.histogram(values, bins=HISTOGRAM_BINS)
        return {
            "kind": "values",
            "mean": float(values.mean()),
            "min": float(values.min()),
            "max": float(values.max()),
            "bins": [
                {"left": float(lo), "right": float(hi), "count": int(n)}
                for lo, hi, n in zip(edges[:-1], edges[1:], counts, strict=True)
            ],
        }

    def warnings(self) -> list[str]:
        extra = len(self.notes) - MAX_NOTES
        return self.notes[:MAX_NOTES] + ([f"… and {extra} more notes."] if extra > 0 else [])


def _free_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name_model`` (…) when the input already has a column of that name."""
    while name in taken:
        name = f"{name}_model"
    return name


class _CsvSink:
    """Appends scored chunks to the result CSV, hashing the bytes as they are written (no second read).

    Only columns that may hold risky text are scanned cell by cell: input text columns are tested with one
    vectorized Arrow pass, computed columns by their distinct values."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle, self.digest, self.size = handle, hashlib.sha256(), 0
        self.scored: list[pd.DataFrame] = []  # the computed columns, for the model's gold table

    def write(self, batch: pa.RecordBatch, out: pd.DataFrame) -> None:
        risky = [c for c in out.columns if _may_be_formula(batch, c, out[c])]
        data = safe_csv(out, header=self.size == 0, text_columns=risky)
        self.digest.update(data)
        self.handle.write(data)
        self.size += len(data)


def _may_be_formula(batch: pa.RecordBatch, name: str, values: pd.Series) -> bool:
    if not may_hold_text(values.dtype):
        return False
    if name in batch.schema.names and pa.types.is_string(batch.schema.field(name).type):
        return bool(pc.any(pc.match_substring_regex(batch.column(name), RISKY_TEXT)).as_py())
    return any(neutralize(v) is not v for v in set(values))  # not pd.unique: it takes "\x00=1" for ""


def _score_file(ctx: TaskContext, inputs: _Inputs, path: Path, sink: _CsvSink, explain_top: int) -> tuple[int, _Tally]:
    from core.ml import (
        check_input,
        flag_notes,
        predict_frame,
        top_reasons,
        unread_inputs,
        unusual_inputs,
        warnings_column,
    )

    pipeline, background = inputs.pipeline, inputs.background if explain_top else None
    schema = model_schema(inputs.model)
    scorer = without_coercion(pipeline)
    tally = _Tally(schema.problem_type == "classification")
    with pq.ParquetFile(path) as parquet:
        total, done = parquet.metadata.num_rows, 0
        chunks = -(-total // CHUNK_ROWS)
        for batch in parquet.iter_batches(batch_size=CHUNK_ROWS):
            ctx.check()
            frame = batch.to_pandas()
            room = max(0, MAX_LISTED_PROBLEMS - len(tally.problems))
            aligned, problems, notes = check_input(schema, frame, row_offset=done + 1, max_problems=room)
            scored = predict_frame(scorer, schema, aligned)
            if explain_top:
                reasons = top_reasons(
                    pipeline, schema, aligned, scored["prediction"], explain_top, background, coerced=True
                )
                scored = scored.join(reasons)
            flags = pd.concat([unread_inputs(schema, frame, aligned), unusual_inputs(schema, aligned)])
            scored["input_warnings"] = warnings_column(flags, aligned.index)
            notes = [*notes, *flag_notes(flags)]
            scored.columns = [_free_name(str(c), set(map(str, frame.columns))) for c in scored.columns]
            label = f"rows {done + 1:,}–{done + len(frame):,}" if chunks > 1 else "the file"
            tally.add(problems, notes, label, scored.iloc[:, 0])
            sink.write(batch, pd.concat([frame, scored], axis=1))
            sink.scored.append(scored)
            done += len(frame)
            ctx.progress(0.02 + 0.96 * done / max(total, 1), f"scored {done:,} of {total:,} rows")
    return done, tally


def _log(session: Session, actor: Actor, params: dict[str, Any], started: float, **fields: Any) -> str:
    """The batch's entry in the predictions log (also for failed and cancelled batches)."""
    return log_repo.add_prediction(
        session,
        tenant_id=actor.tenant_id,
        user_id=actor.user_id,
        model_id=params["model_id"],
        model_label=params["model_label"],
        model_version=params["model_version"],
        kind="batch",
        inputs={
            "source": params["input_name"],
            **({"dataset_id": params["dataset_id"]} if "dataset_id" in params else {}),
        },
        input_file_id=params["input_file_id"],
        duration_s=time.perf_counter() - started,
        **fields,
    )


def _log_failure(
    workspace: Workspace,
    actor: Actor,
    params: dict[str, Any],
    started: float,
    job_id: str,
    status: JobStatus,
    error: str,
) -> None:
    with workspace.db.session() as session:
        _log(session, actor, params, started, rows=0, status=status, error=error[:500], job_id=job_id)


class _Inputs(NamedTuple):
    model: Model
    pipeline: Any
    background: pd.DataFrame | None
    source: Path


def _inputs(ctx: TaskContext, params: dict[str, Any]) -> _Inputs:
    """The model (its pipeline and background) and the input file of a batch, in one session."""
    models, actor = ctx.services.models, ctx.actor
    with ctx.workspace.db.session() as session:
        model = models._get(session, actor, params["model_id"])
        key = file_repo.storage_key(session, actor.tenant_id, params["input_file_id"])
        return _Inputs(
            model,
            models._pipeline(session, actor, model),
            models._background(session, actor, model),
            ctx.workspace.store.path(key),
        )


def batch_predict(ctx: TaskContext, params: dict[str, Any]) -> dict[str, Any]:
    """Job ``batch_predict``: result ``{"file_id", "rows", "summary", "warnings", "problems", "log_id"}``
    (``problems``: values of the wrong type or infinite, row by row, at most ``MAX_LISTED_PROBLEMS``;
    ``warnings`` first say, per column, the raw values the model's recipe could not cast when it prepared the
    rows at submission — ``params["recipe_notes"]`` — then the notes of the scoring). The log entry's outputs keep
    how many warnings there were and their texts (``warning_texts``: the first of many, each cut short)."""
    workspace, actor, started = ctx.workspace, ctx.actor, time.perf_counter()
    store = workspace.store
    try:
        inputs = _inputs(ctx, params)
        model = inputs.model
        ctx.progress(0.01, "reading the input")
        with store.writer(actor.tenant_id, "result") as (key, tmp), open(tmp, "wb") as handle:
            sink = _CsvSink(handle)
            rows, tally = _score_file(ctx, inputs, inputs.source, sink, int(params.get("explain_top") or 0))
    except Cancelled:
        _log_failure(workspace, actor, params, started, ctx.job.id, JobStatus.CANCELED, "The job was cancelled.")
        raise
    except Exception as exc:
        error = getattr(exc, "message", str(exc))
        _log_failure(workspace, actor, params, started, ctx.job.id, JobStatus.FAILED, error)
        raise
    summary, warnings = tally.summary(), [*params.get("recipe_notes", ()), *tally.warnings()]
    problems = [jsonable(p.__dict__) for p in tally.problems]
    try:
        with workspace.db.session() as session:
            info = file_repo.add_file(
                session,
                tenant_id=actor.tenant_id,
                owner_id=actor.user_id,
                kind="result",
                name=f"{params['input_name'].rsplit('.', 1)[0]}-scored-{model.name}-v{model.version}.csv",
                content_type="text/csv",
                stored=StoredBytes(key, sink.size, sink.digest.hexdigest()),
            )
            log_id = _log(
                session,
                actor,
                params,
                started,
                rows=rows,
                output_file_id=info.id,
                job_id=ctx.job.id,
                outputs={
                    "summary": summary,
                    "warnings": len(warnings),
                    "warning_texts": logged_notes(warnings),
                    "problems": len(problems),
                },
            )
            record(session, actor, "prediction.batch", "model", model.id, model=model.label, rows=rows, file_id=info.id)
    except BaseException:
        store.delete(key)
        raise
    lake_error = ctx.services.datalake.writes.land_predictions(  # the job succeeded: a failed write is only told
        actor,
        model=model,
        job_id=ctx.job.id,
        inputs=inputs.source,
        outputs=sink.scored,
        dataset_id=params.get("dataset_id"),
    )
    return {
        "file_id": info.id,
        "rows": rows,
        "summary": summary,
        "warnings": [*warnings, *([lake_error] if lake_error else [])],
        "problems": problems,
        "log_id": log_id,
    }
