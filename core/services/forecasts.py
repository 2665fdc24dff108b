"""Forecasting models: the checks and settings training uses, the model's summary, and forecasts with
calibrated intervals (directly, or as a ``forecast`` job for the page), each recorded in the predictions log.
The job functions are in ``forecast_tasks.py``.

A forecast model stores its chosen configuration per series (JSON) and a reference to its dataset; no
pickles. Forecasting refits the chosen statsforecast models on the history, which is fast.
"""

from __future__ import annotations

import io
import os
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.entities import Actor, Job, JobStatus, Model, TrainRequest
from core.errors import Conflict, InvalidInput, JobFailed, NotFound, Problem
from core.exports import safe_csv
from core.services.base import Service, record, require
from core.services.result_files import PendingFiles
from core.storage.repositories import predictions as log_repo

if TYPE_CHECKING:
    from core.engine import Engine
    from core.forecasting import ForecastFit
    from core.progress import TaskContext

MAX_LEVELS = 5
DEFAULT_LEVELS = (80, 95)
N_WINDOWS = 3
PARALLEL_FROM = 8  # a forecast of this many series or more is spread over the job's cores
LOGGED_IDS = 20  # series ids written into a predictions-log entry; the rest are counted


def job_cores() -> int:
    """Processes one forecasting job may use (DESIGN §5: one job per two cores)."""
    return max(1, min(os.cpu_count() or 1, 2))


def history(engine: Engine, actor: Actor, request: TrainRequest) -> pd.DataFrame:
    """The dataset as statsforecast's long format ``unique_id, ds, y`` (validated)."""
    from core.forecasting import to_long

    if not request.time_column:
        raise InvalidInput("Forecasting needs a time column.", [Problem("required", field="time_column")])
    columns = [c for c in (request.time_column, request.target, request.series_column, *request.exogenous) if c]
    frame = engine.datasets.frame(actor, request.dataset_id, list(dict.fromkeys(columns)))
    return to_long(
        frame,
        request.time_column,
        request.target,
        request.series_column,
        resample=request.resample,
        freq=request.frequency,
        exogenous=request.exogenous,
    )


def default_horizon(season_length: int, shortest: int) -> int:
    """One season ahead (at least 4 steps), but never more than a quarter of the shortest series."""
    return max(1, min(max(season_length, 4), shortest // 4))


@dataclass(frozen=True)
class ForecastSettings:
    """What training uses: the user's choices, else what the data suggests."""

    freq: str
    season_length: int
    horizon: int
    inferred: tuple[str, ...]  # which of frequency / season length / horizon were inferred


def settings_for(long: pd.DataFrame, request: TrainRequest) -> ForecastSettings:
    """Frequency, season length and evaluation horizon: the request's, else inferred from ``long``."""
    from core.forecasting import infer_frequency, season_length_for
    from core.forecasting.selection import check_settings

    freq = request.frequency or infer_frequency(long)
    season = season_length_for(freq) if request.season_length is None else request.season_length
    shortest = int(long.groupby("unique_id").size().min())
    horizon = default_horizon(season, shortest) if request.horizon is None else request.horizon
    check_settings(long, freq, season, horizon, N_WINDOWS, DEFAULT_LEVELS)
    given = {"frequency": request.frequency, "season length": request.season_length, "horizon": request.horizon}
    return ForecastSettings(freq, season, horizon, tuple(name for name, value in given.items() if value in (None, "")))


@dataclass(frozen=True)
class ForecastSummary:
    """What a forecaster learned: settings, leaderboard, the choice and CV metrics per series, notes.

    ``leaderboard``: model, mase, smape, rmse (means over the series each was tried on), selected_mase (the
    choice's MASE over those same series), n_series, chosen_for, in_ensembles; its first rows include
    "Selected (per series)". ``series``: unique_id, model (chosen), kind
    (regular | short | intermittent | tiny), mase, smape, rmse. ``series_metrics``: every candidate per series
    with ``chosen``. ``cv``: unique_id, ds, cutoff, y, one column per candidate and ``chosen``.
    """

    model: Model
    freq: str
    season_length: int
    horizon: int
    n_windows: int
    candidates: tuple[str, ...]
    metrics: dict[str, float]
    leaderboard: pd.DataFrame
    series: pd.DataFrame
    series_metrics: pd.DataFrame
    cv: pd.DataFrame
    notes: tuple[str, ...]


def _series_table(fit: ForecastFit) -> pd.DataFrame:
    metrics = fit.series_metrics
    chosen = metrics[metrics["chosen"].astype(bool)].drop(columns=["chosen", "model"])  # bool: also when empty
    kinds = pd.DataFrame(
        {
            "unique_id": list(fit.configs),
            "model": [c.name for c in fit.configs.values()],
            "kind": [c.kind for c in fit.configs.values()],
        }
    )
    return kinds.merge(chosen, on="unique_id", how="left")


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


def _when(stamp: pd.Timestamp) -> str:
    return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat(sep=" ")


def _whole(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


class ForecastService(Service):
    def _model(self, actor: Actor, model_id: str) -> Model:
        model = self.engine.models.get(actor, model_id)
        if model.problem_type != "forecast":
            raise InvalidInput(
                f"{model.label} is a {model.problem_type} model, not a forecaster; choose a model "
                "trained with the problem type Forecast."
            )
        return model

    @staticmethod
    def _request(model: Model) -> TrainRequest:
        spec = model.schema
        return TrainRequest(
            dataset_id=model.dataset_id,
            name=model.name,
            target=spec["target"],
            problem_type="forecast",
            time_column=spec["time_column"],
            series_column=spec.get("series_column"),
            resample=bool(spec.get("resample")),
            frequency=spec["fit"]["freq"],
            exogenous=tuple(spec["fit"].get("exogenous", ())),
        )

    def check(self, actor: Actor, request: TrainRequest) -> dict[str, Any]:
        """What forecast training would do with ``request``, before it starts (reads and checks the data).

        Returns ``problem_type``, ``reason`` (series, frequency, season length, horizon, each said to be inferred
        or chosen) and ``warnings`` (series too short for the season or for cross-validation); raises
        ``InvalidInput`` listing rows for duplicates, bad dates, bad values and irregular timestamps."""
        from core.forecasting.models import plan_series

        require(actor, "models:train")
        long = history(self.engine, actor, request)
        chosen = settings_for(long, request)
        sizes = long.groupby("unique_id").size()

        def how(name: str) -> str:
            return "inferred" if name in chosen.inferred else "yours"

        points = f"{sizes.min():,}" if sizes.min() == sizes.max() else f"{sizes.min():,}–{sizes.max():,}"
        steps = f"{chosen.horizon} step" + ("s" if chosen.horizon != 1 else "")
        reason = (
            f"{len(sizes):,} series of {points} points; frequency {chosen.freq} ({how('frequency')}), "
            f"season length {chosen.season_length} ({how('season length')}), evaluation horizon {steps} "
            f"({how('horizon')}) over {N_WINDOWS} cross-validation windows."
        )
        kinds: Counter[str] = Counter()
        for _, group in long.groupby("unique_id", sort=False):
            plan = plan_series(group["y"].to_numpy(dtype=float), chosen.season_length, chosen.horizon, N_WINDOWS)
            kinds[plan.kind if plan else "none"] += 1
        messages = {
            "short": f"Too short for season length {chosen.season_length}, so non-seasonal models are used",
            "tiny": f"Too short to cross-validate with horizon {chosen.horizon}, so a Naive forecast is used",
            "none": "Fewer than 3 points, so left out",
        }
        of = f" of {len(sizes):,} series."
        warnings = [f"{text}: {kinds[kind]:,}{of}" for kind, text in messages.items() if kinds[kind]]
        return {
            "problem_type": "forecast",
            "reason": reason,
            "warnings": warnings,
            "frequency": chosen.freq,
            "season_length": chosen.season_length,
            "horizon": chosen.horizon,
            "series": len(sizes),
        }

    def series(self, actor: Actor, model_id: str) -> list[str]:
        """The series ids a forecaster knows."""
        require(actor, "models:read")
        return list(self._model(actor, model_id).schema["fit"]["configs"])

    def history(self, actor: Actor, model_id: str) -> pd.DataFrame:
        """The training history (``unique_id, ds, y``) for plots."""
        require(actor, "models:read")
        model = self._model(actor, model_id)
        return history(self.engine, actor, self._request(model))

    def summary(self, actor: Actor, model_id: str) -> ForecastSummary:
        """Leaderboard, chosen model and CV metrics per series, CV forecasts for plots, and notes."""
        from core.forecasting import ForecastFit

        require(actor, "models:read")
        model = self._model(actor, model_id)
        fit = ForecastFit.from_dict(model.schema["fit"])
        return ForecastSummary(
            model=model,
            freq=fit.freq,
            season_length=fit.season_length,
            horizon=fit.horizon,
            n_windows=fit.n_windows,
            candidates=fit.candidates,
            metrics=dict(model.metrics),
            leaderboard=fit.leaderboard,
            series=_series_table(fit),
            series_metrics=fit.series_metrics,
            cv=fit.cv,
            notes=fit.notes,
        )

    def _checked(
        self, actor: Actor, model_id: str, steps: Any, series_ids: Any, level: Any, future_dataset_id: str | None
    ) -> _Request:
        """Everything about a forecast request that can be wrong, each with one clear sentence."""
        from core.forecasting import ForecastFit
        from core.forecasting.predict import check_future, check_steps

        model = self._model(actor, model_id)
        levels = list(level) if isinstance(level, list | tuple) else [level]
        if not levels or len(levels) > MAX_LEVELS or not all(_whole(v) and 1 <= v <= 99 for v in levels):
            raise InvalidInput(
                f"Choose 1 to {MAX_LEVELS} interval levels, whole percentages between 1 and 99 "
                "(for example 80 and 95).",
                [Problem("not usable", field="level", value=str(level))],
            )
        fit = ForecastFit.from_dict(model.schema["fit"])
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
        long = history(self.engine, actor, self._request(model))
        dates = dict(tuple(long.groupby("unique_id", sort=False)["ds"]))
        steps = check_steps(steps, [dates[uid] for uid in uids], fit.freq)
        future = self._future(actor, model, future_dataset_id) if future_dataset_id else None
        check_future(fit, long, steps, uids, future)
        levels = sorted({int(v) for v in levels})
        return _Request(model, fit, long, steps, uids, levels, wanted is None, future, future_dataset_id)

    def _future(self, actor: Actor, model: Model, dataset_id: str) -> pd.DataFrame:
        """The exogenous columns' future values from a dataset with the model's time (and series) column."""
        from core.forecasting.prepare import future_values

        spec = model.schema
        exogenous = tuple(spec["fit"].get("exogenous", ()))
        if not exogenous:
            raise InvalidInput(f"{model.label} uses no exogenous columns, so it needs no future values.")
        columns = [c for c in (spec["time_column"], spec.get("series_column"), *exogenous) if c]
        frame = self.engine.datasets.frame(actor, dataset_id)
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise InvalidInput(
                f"The future values lack the columns {', '.join(repr(c) for c in missing)}.",
                [Problem("missing column", field=c) for c in missing],
            )
        return future_values(frame[columns], spec["time_column"], spec.get("series_column"), exogenous, spec["target"])

    def forecast(
        self,
        actor: Actor,
        model_id: str,
        steps: int = 12,
        series_ids: list[str] | None = None,
        level: tuple[int, ...] | list[int] = DEFAULT_LEVELS,
        future_dataset_id: str | None = None,
        *,
        ctx: TaskContext | None = None,
        job_id: str | None = None,
    ) -> pd.DataFrame:
        """``unique_id, ds, model, forecast, lo-80, hi-80, lo-95, hi-95`` for ``steps`` periods after each series'
        end (``series_ids`` None: all). A model trained with exogenous columns needs ``future_dataset_id``: a
        dataset with the time column (and series column) and those columns for every forecast period. Logged in
        the predictions log with the CSV kept as a result file of the tenant; the frame's ``attrs`` hold
        ``file_id`` and ``log_id``."""
        from core.forecasting import forecast

        require(actor, "inference:run")
        started = time.perf_counter()
        req = self._checked(actor, model_id, steps, series_ids, level, future_dataset_id)
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
        }
        outputs = {
            "rows": len(frame),
            "from": _when(frame["ds"].min()),
            "to": _when(frame["ds"].max()),
            "models": dict(Counter(frame.drop_duplicates("unique_id")["model"]).most_common(10)),
        }
        with PendingFiles(self.engine, actor) as files:
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
    ) -> Job:
        """The same forecast as a job (progress, cancel, both cores for many series); read it with ``result``."""
        require(actor, "inference:run")
        req = self._checked(actor, model_id, steps, series_ids, level, future_dataset_id)
        params = {
            "model_id": req.model.id,
            "steps": req.steps,
            "levels": req.levels,
            "series_ids": None if req.all_series else req.series_ids,
            "future_dataset_id": req.future_dataset_id,
        }
        count = f"{len(req.series_ids):,} series" if len(req.series_ids) > 1 else req.series_ids[0]
        return self.engine.jobs.submit(
            actor, "forecast", f"Forecast {count}, {req.steps} steps, with {req.model.label}", params
        )

    def result(self, actor: Actor, job_id: str) -> pd.DataFrame:
        """The forecast of a finished ``forecast`` job, as ``forecast`` returns it."""
        job = self.engine.jobs.get(actor, job_id)
        if job.kind != "forecast":
            raise NotFound("That job is not a forecast.")
        if not job.finished:
            raise Conflict("The forecast is still running; its result is not ready yet.")
        if job.status != JobStatus.SUCCEEDED or not job.result:
            raise JobFailed(f"The forecast did not finish ({job.status}): {job.error or 'no result'}")
        data = self.engine.files.download(actor, job.result["file_id"])
        from core.forecasting.prepare import to_dates

        frame = pd.read_csv(io.BytesIO(data), dtype={"unique_id": str, "model": str, "ds": str})
        frame["ds"] = to_dates(frame["ds"])  # dates before 1677 or after 2262 come back in seconds
        return self._restore_ids(actor, job.params["model_id"], frame)

    def _restore_ids(self, actor: Actor, model_id: str, frame: pd.DataFrame) -> pd.DataFrame:
        """Undo the CSV's formula guard on series ids (``-1`` was kept as ``'-1``) for the model's own ids."""
        from core.forecasting import ForecastFit

        try:
            known = set(ForecastFit.from_dict(self._model(actor, model_id).schema["fit"]).configs)
        except NotFound:  # the model was deleted since: its ids cannot be told from guarded ones
            return frame
        guarded = {"'" + uid: uid for uid in known if "'" + uid not in known}
        frame["unique_id"] = frame["unique_id"].map(lambda uid: guarded.get(uid, uid))
        return frame
