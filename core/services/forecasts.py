"""Forecasting models: their summary, and forecasts with calibrated intervals (directly, or as a ``forecast`` job
for the page), each recorded in the predictions log. What training checks is in ``forecast_checks.py``, the
summary's shape in ``forecast_summary.py``, the job functions in ``forecast_tasks.py``.

A forecast model stores its chosen configuration per series (JSON) and a link to its dataset; no pickles.
Forecasting refits the chosen statsforecast models on the history, which is fast.
"""

from __future__ import annotations

import io
import time
from collections import Counter
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from core.entities import Actor, ForecastSpec, Job, JobStatus, Model, TrainingCheck, TrainRequest
from core.errors import Conflict, InvalidInput, JobFailed, NotFound, Problem
from core.exports import safe_csv
from core.services.base import Service, record, require
from core.services.datasets import read_columns
from core.services.forecast_checks import (
    DEFAULT_LEVELS,
    check_frequency,
    forecast_verdict,
    history_columns,
    job_cores,
    to_history,
)
from core.services.forecast_summary import ForecastSummary, series_table
from core.services.jobs import JobService
from core.services.result_files import PendingFiles
from core.storage.repositories import files as file_repo
from core.storage.repositories import predictions as log_repo
from core.storage.workspace import Workspace

if TYPE_CHECKING:
    from core.forecasting import ForecastFit
    from core.progress import TaskContext
    from core.services.datasets import DatasetService
    from core.services.models import ModelService

MAX_LEVELS = 5
PARALLEL_FROM = 8  # a forecast of this many series or more is spread over the job's cores
LOGGED_IDS = 20  # series ids written into a predictions-log entry; the rest are counted


@dataclass(frozen=True)
class _Request:
    """A checked forecast request with the data it needs."""

    model: Model
    fit: ForecastFit
    long: pd.DataFrame
    steps: int
    series_ids: list[str]
    levels: list[int]
    all_series: bool
    future: pd.DataFrame | None  # exogenous values of the forecast periods
    future_dataset_id: str | None
    history_dataset_id: str | None  # a newer history the forecast starts from


def _when(stamp: pd.Timestamp) -> str:
    return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat(sep=" ")


def _whole(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _request(model: Model, spec: ForecastSpec) -> TrainRequest:
    """The training request whose history a forecaster refits on."""
    return TrainRequest(
        dataset_id=model.dataset_id,
        name=model.name,
        target=spec.target,
        problem_type="forecast",
        time_column=spec.time_column,
        series_column=spec.series_column,
        resample=spec.resample,
        frequency=spec.frequency,
        exogenous=spec.exogenous,
    )


class ForecastService(Service):
    def __init__(
        self, workspace: Workspace, *, datasets: DatasetService, models: ModelService, jobs: JobService
    ) -> None:
        super().__init__(workspace)
        self.datasets, self.models, self.jobs = datasets, models, jobs

    def _model(self, session: Session, actor: Actor, model_id: str) -> tuple[Model, ForecastSpec]:
        model = self.models._get(session, actor, model_id)
        if model.forecast is None:
            raise InvalidInput(
                f"{model.label} is a {model.problem_type} model, not a forecaster; choose a model "
                "trained with the problem type Forecast."
            )
        return model, model.forecast

    def _history(self, session: Session, actor: Actor, request: TrainRequest) -> pd.DataFrame:
        """The request's dataset as ``unique_id, ds, y`` (validated)."""
        columns = history_columns(request)
        dataset, path = self.datasets._located(session, actor, request.dataset_id)
        return to_history(read_columns(dataset, path, columns).to_pandas(), request)

    def check(self, actor: Actor, request: TrainRequest) -> TrainingCheck:
        """What forecast training would make of the data of ``request``, before it starts (reads and checks it).

        ``reason`` says the series, frequency, season length and horizon, each inferred or chosen; ``warnings``
        name series too short for the season or for cross-validation; ``InvalidInput`` lists rows for duplicates,
        bad dates, bad values and irregular timestamps. ``eng.training.check`` does this and checks the name and
        columns too."""
        require(actor, "models:train")
        with self.db.session() as session:
            long = self._history(session, actor, request)
        return forecast_verdict(long, request)

    def series(self, actor: Actor, model_id: str) -> list[str]:
        """The series ids a forecaster knows."""
        with self.db.session() as session:
            return self._model(session, actor, model_id)[1].series_ids

    def history(self, actor: Actor, model_id: str, history_dataset_id: str | None = None) -> pd.DataFrame:
        """The training history (``unique_id, ds, y``) for plots; continued by a newer one as a forecast is."""
        with self.db.session() as session:
            model, spec = self._model(session, actor, model_id)
            long = self._history(session, actor, _request(model, spec))
            if history_dataset_id:
                long = self._newer(session, actor, model, spec, long, spec.series_ids, history_dataset_id)
            return long

    def summary(self, actor: Actor, model_id: str) -> ForecastSummary:
        """Leaderboard, chosen model and CV metrics per series, CV forecasts for plots, and notes."""
        from core.forecasting import ForecastFit

        with self.db.session() as session:
            model, spec = self._model(session, actor, model_id)
        fit = ForecastFit.from_dict(spec.fit)
        return ForecastSummary(
            model=model,
            spec=spec,
            freq=fit.freq,
            season_length=fit.season_length,
            horizon=fit.horizon,
            n_windows=fit.n_windows,
            candidates=fit.candidates,
            metrics={k: float(v) for k, v in model.metrics.items() if v is not None},
            leaderboard=fit.leaderboard,
            series=series_table(fit),
            series_metrics=fit.series_metrics,
            cv=fit.cv,
            notes=fit.notes,
        )

    def _checked(
        self,
        session: Session,
        actor: Actor,
        model_id: str,
        steps: Any,
        series_ids: Any,
        level: Any,
        future_dataset_id: str | None,
        frequency: str | None = None,
        history_dataset_id: str | None = None,
    ) -> _Request:
        """Everything about a forecast request that can be wrong, each with one clear sentence."""
        from core.forecasting import ForecastFit
        from core.forecasting.predict import check_future, check_steps

        model, spec = self._model(session, actor, model_id)
        check_frequency(frequency, spec.frequency, model.label)
        levels = list(level) if isinstance(level, list | tuple) else [level]
        if not levels or len(levels) > MAX_LEVELS or not all(_whole(v) and 1 <= v <= 99 for v in levels):
            raise InvalidInput(
                f"Choose 1 to {MAX_LEVELS} interval levels, whole percentages between 1 and 99 "
                "(for example 80 and 95).",
                [Problem("not usable", field="level", value=str(level))],
            )
        fit = ForecastFit.from_dict(spec.fit)
        wanted = [str(series_ids)] if isinstance(series_ids, str | int) else series_ids
        uids = list(fit.configs) if wanted is None else [str(s) for s in dict.fromkeys(wanted)]
        unknown = [uid for uid in uids if uid not in fit.configs]
        if unknown or not uids:
            known = ", ".join(repr(u) for u in list(fit.configs)[:5]) + (" …" if len(fit.configs) > 5 else "")
            what = f"has no series {', '.join(repr(u) for u in unknown[:5])}" if unknown else "needs a series"
            raise InvalidInput(
                f"{model.label} {what}; it forecasts {len(fit.configs):,} series ({known}).",
                [Problem("unknown series id", field="series_ids", value=u) for u in unknown[:50]],
            )
        long = self._history(session, actor, _request(model, spec))
        if history_dataset_id:
            long = self._newer(session, actor, model, spec, long, uids, history_dataset_id)
        dates = dict(tuple(long.groupby("unique_id", sort=False)["ds"]))
        steps = check_steps(steps, [dates[uid] for uid in uids], fit.freq)
        future = self._future(session, actor, model, spec, future_dataset_id) if future_dataset_id else None
        check_future(fit, long, steps, uids, future)
        levels = sorted({int(v) for v in levels})
        return _Request(
            model, fit, long, steps, uids, levels, wanted is None, future, future_dataset_id, history_dataset_id
        )

    def _newer(
        self,
        session: Session,
        actor: Actor,
        model: Model,
        spec: ForecastSpec,
        long: pd.DataFrame,
        uids: list[str],
        dataset_id: str,
    ) -> pd.DataFrame:
        """The training history continued by a dataset of later observations (same columns as the training
        data), so a forecast starts from the newest data without retraining: the model's chosen configuration
        per series is refitted on the longer history. Refused when it adds nothing after the training data."""
        from core.forecasting.predict import extend_history

        newer = self._history(session, actor, replace(_request(model, spec), dataset_id=dataset_id))
        ends = long.groupby("unique_id")["ds"].max()
        later = newer[newer["unique_id"].isin(uids)]
        if not (later["ds"].to_numpy() > ends.reindex(later["unique_id"]).to_numpy()).any():
            raise InvalidInput(
                f"That dataset holds no observation of the chosen series after the training data ends "
                f"({_when(ends[uids].max())}); choose a dataset with newer history.",
                [Problem("no newer observations", field="history_dataset_id", value=dataset_id)],
            )
        return extend_history(long, newer, spec.frequency)

    def _future(
        self, session: Session, actor: Actor, model: Model, spec: ForecastSpec, dataset_id: str
    ) -> pd.DataFrame:
        """The exogenous columns' future values from a dataset with the model's time (and series) column."""
        from core.forecasting.prepare import future_values

        if not spec.exogenous:
            raise InvalidInput(f"{model.label} uses no exogenous columns, so it needs no future values.")
        columns = [c for c in (spec.time_column, spec.series_column, *spec.exogenous) if c]
        dataset, path = self.datasets._located(session, actor, dataset_id)
        missing = [c for c in columns if c not in dataset.column_types]
        if missing:
            raise InvalidInput(
                f"The future values lack the columns {', '.join(repr(c) for c in missing)}.",
                [Problem("missing column", field=c) for c in missing],
            )
        frame = read_columns(dataset, path, columns).to_pandas()
        return future_values(frame, spec.time_column, spec.series_column, spec.exogenous, spec.target)

    def forecast(
        self,
        actor: Actor,
        model_id: str,
        steps: int = 12,
        series_ids: list[str] | None = None,
        level: tuple[int, ...] | list[int] = DEFAULT_LEVELS,
        future_dataset_id: str | None = None,
        *,
        frequency: str | None = None,
        history_dataset_id: str | None = None,
        ctx: TaskContext | None = None,
        job_id: str | None = None,
    ) -> pd.DataFrame:
        """``unique_id, ds, model, forecast, lo-80, hi-80, lo-95, hi-95`` for ``steps`` periods after each series'
        end (``series_ids`` None: all). A model trained with exogenous columns needs ``future_dataset_id``: a
        dataset with the time column (and series column) and those columns for every forecast period. Logged in
        the predictions log with the CSV kept as a result file of the tenant; the frame's ``attrs`` hold
        ``file_id`` and ``log_id``. ``frequency``, when given, must be the model's (any spelling: "Week", "W");
        ``history_dataset_id`` names a dataset of newer observations (the training data's columns) to forecast
        from without retraining: each series continues from its newest observation."""
        from core.forecasting import forecast

        require(actor, "inference:run")
        started = time.perf_counter()
        with self.db.session() as session:
            req = self._checked(
                session, actor, model_id, steps, series_ids, level, future_dataset_id, frequency, history_dataset_id
            )
        n_jobs = job_cores() if len(req.series_ids) >= PARALLEL_FROM else 1
        frame = forecast(
            req.long, req.fit, req.steps, req.series_ids, req.levels, n_jobs=n_jobs, ctx=ctx, future=req.future
        )
        model = req.model
        inputs = {
            "steps": req.steps,
            "levels": req.levels,
            "series_count": len(req.series_ids),
            "series": "all" if req.all_series else req.series_ids[:LOGGED_IDS],
            "future_dataset_id": req.future_dataset_id,
            "history_dataset_id": req.history_dataset_id,
        }
        outputs = {
            "rows": len(frame),
            "from": _when(frame["ds"].min()),
            "to": _when(frame["ds"].max()),
            "models": dict(Counter(frame.drop_duplicates("unique_id")["model"]).most_common(10)),
        }
        with PendingFiles(self.store, actor) as files:
            files.add_bytes(
                safe_csv(frame),
                kind="result",
                name=f"{model.name}-v{model.version}-forecast.csv",
                content_type="text/csv",
            )
            with self.db.session() as session:
                info = files.register(session)[0]
                log_id = log_repo.add_prediction(
                    session,
                    tenant_id=actor.tenant_id,
                    user_id=actor.user_id,
                    model_id=model.id,
                    model_label=model.label,
                    model_version=model.version,
                    kind="forecast",
                    inputs=inputs,
                    outputs=outputs,
                    output_file_id=info.id,
                    job_id=job_id,
                    rows=len(frame),
                    duration_s=time.perf_counter() - started,
                )
                record(
                    session,
                    actor,
                    "prediction.forecast",
                    "model",
                    model.id,
                    model=model.label,
                    steps=req.steps,
                    series=len(req.series_ids),
                    file_id=info.id,
                )
        frame.attrs.update(file_id=info.id, log_id=log_id)
        return frame

    def submit(
        self,
        actor: Actor,
        model_id: str,
        steps: int = 12,
        series_ids: list[str] | None = None,
        level: tuple[int, ...] | list[int] = DEFAULT_LEVELS,
        future_dataset_id: str | None = None,
        *,
        frequency: str | None = None,
        history_dataset_id: str | None = None,
    ) -> Job:
        """The same forecast as a job (progress, cancel, both cores for many series); read it with ``result``."""
        require(actor, "inference:run")
        with self.db.session() as session:
            req = self._checked(
                session, actor, model_id, steps, series_ids, level, future_dataset_id, frequency, history_dataset_id
            )
            params = {
                "model_id": req.model.id,
                "steps": req.steps,
                "levels": req.levels,
                "series_ids": None if req.all_series else req.series_ids,
                "future_dataset_id": req.future_dataset_id,
                "history_dataset_id": req.history_dataset_id,
            }
            count = f"{len(req.series_ids):,} series" if len(req.series_ids) > 1 else req.series_ids[0]
            title = f"Forecast {count}, {req.steps} steps, with {req.model.label}"
            job = self.jobs._queue(session, actor, "forecast", title, params)
        return self.jobs._start(job, actor)

    def result(self, actor: Actor, job_id: str) -> pd.DataFrame:
        """The forecast of a finished ``forecast`` job, as ``forecast`` returns it."""
        with self.db.session() as session:
            job = self.jobs._get(session, actor, job_id)
            if job.kind != "forecast":
                raise NotFound("That job is not a forecast.")
            if not job.finished:
                raise Conflict("The forecast is still running; its result is not ready yet.")
            if job.status != JobStatus.SUCCEEDED or not job.result:
                raise JobFailed(f"The forecast did not finish ({job.status}): {job.error or 'no result'}")
            data = self.store.read(file_repo.storage_key(session, actor.tenant_id, job.result["file_id"]))
            try:
                known = self._model(session, actor, job.params["model_id"])[1].series_ids
            except NotFound:  # the model was deleted since: its ids cannot be told from guarded ones
                known = []
        return read_forecast(data, known)


def read_forecast(data: bytes, known: list[str]) -> pd.DataFrame:
    """A forecast CSV as ``forecast`` returned it: dates parsed, the series ids of ``known`` unguarded."""
    from core.forecasting.prepare import to_dates

    frame = pd.read_csv(io.BytesIO(data), dtype={"unique_id": str, "model": str, "ds": str})
    frame["ds"] = to_dates(frame["ds"])  # dates before 1677 or after 2262 come back in seconds
    ids = set(known)
    guarded = {"'" + uid: uid for uid in ids if "'" + uid not in ids}  # undo the CSV's formula guard
    frame["unique_id"] = frame["unique_id"].map(lambda uid: guarded.get(uid, uid))
    return frame
