"""Training: check a request, submit it as a job; the work itself is in ``training_tasks.py``.

``check`` and ``submit`` run the same checks on the same ``TrainingPlan`` (one session each), for every problem
type, so submit refuses exactly what check refuses and nothing is queued that the job would refuse."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from core.entities import (
    COLUMN_TYPES,
    PROBLEM_TYPES,
    Actor,
    Dataset,
    Job,
    JobStatus,
    Model,
    Training,
    TrainingCheck,
    TrainRequest,
)
from core.errors import Conflict, InvalidInput, NotFound, Problem
from core.services import trainings
from core.services.base import Service, require
from core.services.datasets import DatasetService
from core.services.forecast_checks import forecast_verdict, to_history
from core.services.jobs import JobService
from core.services.models import TRAINING_KINDS, ModelService, check_labels
from core.services.training_plan import PlanCache, TrainingPlan
from core.storage.repositories import jobs as job_repo
from core.storage.repositories import models as model_repo
from core.storage.workspace import Workspace

MAX_BUDGET_S = 3600
LISTED_JOBS = 500  # training jobs without a model that /train/list shows, newest first


def _check_fields(request: TrainRequest) -> None:
    """Checks that need nothing stored: the name, domain, problem type, time budget and column types' shape."""
    problems = check_labels(request.name, request.domain, None)
    if request.column_types and request.problem_type == "forecast":
        problems.append(Problem("column types are for classification and regression features", field="column_types"))
    if request.problem_type not in PROBLEM_TYPES:
        problems.append(Problem(f"one of {', '.join(PROBLEM_TYPES)}", field="problem_type"))
    if not 1 <= request.time_budget_s <= MAX_BUDGET_S:
        problems.append(Problem(f"between 1 and {MAX_BUDGET_S} seconds", field="time_budget_s"))
    if problems:
        raise InvalidInput("The training request is not valid.", problems)


def _check_parent(request: TrainRequest, dataset: Dataset, parent: Model) -> None:
    """A new version continues its parent: same name and target; the new data has its columns."""
    if parent.schema is None or request.problem_type == "forecast":
        raise InvalidInput("Continuing with new data is for classification and regression models.")
    clashes = [
        Problem(f"must be {want!r} as in {parent.label}", field=field, value=str(got))
        for field, got, want in (("name", request.name, parent.name), ("target", request.target, parent.target))
        if got != want
    ]
    if clashes:
        raise InvalidInput(f"A new version must predict the same thing as {parent.label}.", clashes)
    missing = sorted({*parent.feature_names, parent.target} - set(dataset.column_types))
    if missing:
        raise InvalidInput(
            f"The new dataset lacks columns of {parent.label}: {', '.join(missing)}.",
            [Problem("missing column", field=c) for c in missing],
        )


def _check_column_types(request: TrainRequest, features: list[str], frame: pd.DataFrame) -> None:
    """Each overridden type names a feature of this request, is one of ours, and reads every value of it."""
    from core.ml.coerce import coerce_column, guess_kind

    problems, seen = [], set()
    for column, dtype in request.column_types:
        if column in seen or column not in features:
            problems.append(Problem("named twice" if column in seen else "not a feature", field=column, value=dtype))
        elif dtype not in COLUMN_TYPES:
            problems.append(Problem(f"one of {', '.join(COLUMN_TYPES)}", field=column, value=dtype))
        else:
            bad = coerce_column(frame[column], guess_kind(frame[column], dtype)[0])[1]
            if bad.any():
                example = str(frame[column][bad].iloc[0])[:80]
                problems.append(Problem(f"not readable as {dtype}", field=column, value=example))
        seen.add(column)
    if problems:
        raise InvalidInput("Some column types cannot be used for this training.", problems)


def _same_setup(request: TrainRequest, parent: Model, features: list[str], problem_type: str) -> None:
    """A new version is its parent on more rows: same feature columns, id column and problem type, so its
    metrics, schema and prediction form stay comparable."""
    theirs = parent.feature_names
    added, dropped = sorted(set(features) - set(theirs)), sorted(set(theirs) - set(features))
    differences = [
        Problem(f"{verb} {', '.join(names)}", field="features")
        for verb, names in (("adds", added), ("drops", dropped))
        if names
    ]
    differences += [
        Problem(f"must be {want!r} as in {parent.label}", field=field, value=str(got))
        for field, got, want in (
            ("id_column", request.id_column, parent.schema.id_column if parent.schema else None),
            ("problem_type", problem_type, parent.problem_type),
        )
        if got != want
    ]
    if differences:
        raise InvalidInput(
            f"A new version must use the same feature columns, id column and problem type as {parent.label}.",
            differences,
        )


class TrainingService(Service):
    def __init__(
        self, workspace: Workspace, *, datasets: DatasetService, models: ModelService, jobs: JobService
    ) -> None:
        super().__init__(workspace)
        self.datasets, self.models, self.jobs = datasets, models, jobs
        self._plans = PlanCache()
        self._handoff: dict[str, TrainingPlan] = {}  # job id -> its plan, while its task may run in this process

    # --- session-level helpers --------------------------------------------------------------------
    def _plan(self, session: Session, actor: Actor, request: TrainRequest) -> TrainingPlan:
        """Resolve a request: its dataset (validated, with the columns named), the parent it continues and the
        datasets it trains on; a plan checked a moment ago comes back with the rows it read."""
        _check_fields(request)
        dataset, path = self.datasets._located(session, actor, request.dataset_id)
        if dataset.status != "validated":
            raise InvalidInput(
                f"The dataset {dataset.name!r} has unresolved problems; upload it again keeping only valid rows."
            )
        named = [
            request.target,
            request.id_column,
            request.time_column,
            request.series_column,
            *(request.features or ()),
            *request.exogenous,
        ]
        unknown = sorted({c for c in named if c and c not in dataset.column_types})
        if unknown:
            raise InvalidInput(
                f"Unknown column(s) in {dataset.name!r}: {', '.join(unknown)}.",
                [Problem("unknown column", field=c) for c in unknown],
            )
        parent, sources, whose = None, [(dataset, path)], f"the dataset {dataset.name!r}"
        if request.parent_model_id:
            parent = self.models._get(session, actor, request.parent_model_id)
            _check_parent(request, dataset, parent)
            try:
                sources = [
                    self.datasets._located(session, actor, dataset_id)
                    for dataset_id in dict.fromkeys([*parent.datasets, request.dataset_id])
                ]
            except NotFound as exc:  # a parent's data may go after it trained
                raise InvalidInput(f"Some training data of {parent.label} was deleted, so it cannot be used.") from exc
            whose = parent.label
        plan = TrainingPlan(request, dataset, tuple(sources), parent, whose)
        return self._plans.reuse(actor.tenant_id, plan)

    def _verdict(self, session: Session, actor: Actor, plan: TrainingPlan) -> TrainingCheck:
        """Everything the job would refuse, refused now (reads the rows once), and what it would do."""
        request = plan.request
        if request.problem_type == "forecast":
            self._check_name(session, actor, request, [], "forecast")
            long = to_history(plan.frame(), request)
            return forecast_verdict(long, request)
        from core.ml.candidates import allowed_families
        from core.ml.problem import check_target, infer_problem_type, resolve_columns, training_warnings

        features = resolve_columns(plan.common_columns(), request.target, request.features, request.id_column)
        frame = plan.frame()
        y = frame[request.target]
        chosen, reason = infer_problem_type(y) if request.problem_type == "auto" else (request.problem_type, "")
        if plan.parent:
            _same_setup(request, plan.parent, features, chosen)
        _check_column_types(request, features, frame)
        check_target(y, chosen)
        allowed_families(chosen, [request.algorithm] if request.algorithm else None)  # an unknown name: refused
        self._check_name(session, actor, request, features, chosen)
        named = list(request.features) if request.features is not None else None
        warnings = training_warnings(frame, request.target, named, request.id_column, chosen)
        dates = [c for c in plan.dataset.columns if plan.dataset.column_types[c] in ("date", "datetime")]
        if chosen == "regression" and dates:
            warnings.insert(
                0,
                f"This looks like a time series (a date column {dates[0]!r} and a numeric target): to predict "
                "future values, use Forecast.",
            )
        if plan.parent and request.dataset_id in plan.parent.datasets:
            warnings.insert(
                0, f"This dataset is already part of the training data of {plan.parent.label}; no rows are added."
            )
        return TrainingCheck(chosen, reason or "You chose it.", tuple(warnings))

    def _check_name(
        self, session: Session, actor: Actor, request: TrainRequest, features: list[str], problem_type: str
    ) -> None:
        """A name is one predictor: its versions predict the same target from the same columns the same way, so
        their metrics compare and a new version never silently replaces a different model."""
        latest = model_repo.latest_version(session, actor.tenant_id, request.name)
        if latest is None:
            return
        theirs = sorted(latest.feature_names)
        time_column = latest.forecast.time_column if latest.forecast else None
        setup: tuple[Any, ...]
        if problem_type == "forecast" or latest.forecast:
            setup = (latest.problem_type, latest.target, time_column)
            ours: tuple[Any, ...] = (problem_type, request.target, request.time_column)
        else:
            setup, ours = (latest.problem_type, latest.target, theirs), (problem_type, request.target, sorted(features))
        if setup != ours:
            other = " from other columns" if setup[:2] == ours[:2] else ""
            raise Conflict(
                f"The name {latest.name!r} is taken by a {latest.problem_type} of {latest.target!r} ({latest.label}), "
                f"but this would be a {problem_type} of {request.target!r}{other}: choose another name, or train "
                "with that predictor's target, columns and problem type.",
                details=f"{latest.label} learns from: {', '.join(theirs) or time_column}",
            )

    def _job_plan(self, actor: Actor, job_id: str, request: TrainRequest) -> TrainingPlan:
        """The plan a job trains on: the one its submit made, when it runs in this process; else resolved again
        (a worker process), in one session."""
        plan = self._handoff.pop(job_id, None)
        if plan is None:
            with self.db.session() as session:
                plan = self._plan(session, actor, request)
        return plan

    # --- public -----------------------------------------------------------------------------------
    def check(self, actor: Actor, request: TrainRequest) -> TrainingCheck:
        """What training would do, before it starts: the problem type (and why) and warnings; for a forecast also
        the frequency, season length, horizon and series it would use.

        Raises ``InvalidInput`` for what cannot work (one class, all-missing target, too few rows, no feature, bad
        dates or duplicate timestamps of a forecast …) and ``Conflict`` when the name belongs to a predictor of
        another target, columns or problem type."""
        require(actor, "models:train")
        request = replace(request, name=request.name.strip())
        with self.db.session() as session:
            return self._verdict(session, actor, self._plan(session, actor, request))

    def submit(self, actor: Actor, request: TrainRequest) -> Job:
        """Start training as a job; its result is ``{"model_id": ...}``. Refuses exactly what ``check`` refuses,
        before anything is queued; the rows ``check`` read are not read again. Without a ``domain`` the new
        version takes its predictor's latest version's."""
        require(actor, "models:train")
        request = replace(request, name=request.name.strip())
        with self.db.session() as session:
            plan = self._plan(session, actor, request)
            self._verdict(session, actor, plan)
            kind = "train_forecast" if request.problem_type == "forecast" else "train_tabular"
            title = f"Train {request.name} on {plan.dataset.name}"
            latest = model_repo.latest_version(session, actor.tenant_id, request.name)
            domain = (latest.domain if latest else "") if request.domain is None else request.domain.strip()
            job = self.jobs._queue(session, actor, kind, title, replace(request, domain=domain).to_params())
        self._plans.discard(actor.tenant_id, request)
        self._handoff[job.id] = plan
        try:
            return self.jobs._start(job, actor)
        finally:
            self._handoff.pop(job.id, None)

    def list(
        self, actor: Actor, *, domain: str | None = None, problem_type: str | None = None, status: str | None = None
    ) -> list[Training]:
        """Every model version (``ready``) and every training job that made none: ``queued``, ``training``,
        ``failed`` or ``canceled``, newest first, filtered by domain (ignoring case), problem type and status.
        Other users' unfinished or failed trainings are listed for roles that may read the tenant's jobs."""
        require(actor, "models:read")
        unsuccessful = [s for s in JobStatus if s != JobStatus.SUCCEEDED]
        owner = None if actor.can("jobs:read") else actor.user_id
        with self.db.session() as session:
            models = model_repo.list_models(session, actor.tenant_id)
            jobs = job_repo.list_jobs(
                session,
                actor.tenant_id,
                kinds=list(TRAINING_KINDS),
                statuses=unsuccessful,
                owner_id=owner,
                limit=LISTED_JOBS,
            )
            names = model_repo.dataset_names(session, actor.tenant_id, [str(j.params.get("dataset_id")) for j in jobs])
        made = {m.job_id for m in models}  # a model is stored just before its job is marked succeeded
        found = [trainings.of_model(m) for m in models] + [trainings.of_job(j, names) for j in jobs if j.id not in made]
        return trainings.select(found, domain=domain, problem_type=problem_type, status=status)

    def get(self, actor: Actor, train_id: str) -> Training:
        """One training by its train id (its job's id) or its model's id, in whatever state it is."""
        require(actor, "models:read")
        with self.db.session() as session:
            if model_repo.model_exists(session, actor.tenant_id, train_id):
                return trainings.of_model(model_repo.get_model(session, actor.tenant_id, train_id))
            job = self.jobs._get(session, actor, train_id)
            if job.kind not in TRAINING_KINDS:
                raise NotFound("That training does not exist.")
            model_id = (job.result or {}).get("model_id")
            if model_id and model_repo.model_exists(session, actor.tenant_id, model_id):
                return trainings.of_model(model_repo.get_model(session, actor.tenant_id, model_id))
            if job.status == JobStatus.SUCCEEDED:
                raise NotFound("The model of that training was deleted.")
            names = model_repo.dataset_names(session, actor.tenant_id, [str(job.params.get("dataset_id"))])
            return trainings.of_job(job, names)
