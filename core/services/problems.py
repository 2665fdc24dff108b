"""Problems (issue 19, the Morpheo seed): a team fixes what to predict and how it is scored on hidden test data;
anyone submits algorithms and training data; every algorithm is trained on the data's mini-batches in rank order
(learnuplets, see ``problem_schedule``) and scored the same way; the best model gets the ``champion`` alias and
serves prediction tasks (preduplets). Learning tasks run as ``problem_learn`` jobs (``problem_tasks``) or, for a
problem with ``compute="external"``, are taken and finished by outside workers (``problems:work``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from core.entities import Actor, Dataset, JobStatus
from core.entities.problems import (
    ALGO_KINDS,
    COMPUTE_MODES,
    PROBLEM_METRICS,
    Algorithm,
    LearningProblem,
    Learnuplet,
    MiniBatch,
    Preduplet,
    ProblemData,
)
from core.errors import Conflict, InvalidInput, NotFound, Problem
from core.services import problem_schedule as schedule
from core.services.base import record, require, unique_name
from core.services.datasets import DatasetService
from core.services.inference import InferenceService
from core.services.jobs import JobService
from core.services.models import ModelService, check_labels
from core.services.problem_batches import check_configuration, mini_batches
from core.services.problem_work import ProblemWork, require_read
from core.services.registry import RegistryService
from core.services.users import UserService
from core.storage.orm import PredupletRow, ProblemAlgoRow, ProblemRow
from core.storage.repositories import catalog as catalog_repo
from core.storage.repositories import models as model_repo
from core.storage.repositories import problems as repo
from core.storage.workspace import Workspace

Problems = list[LearningProblem]  # aliases: inside the service class, `list` is the method
Algorithms = list[Algorithm]
Data = list[ProblemData]
Learnuplets = list[Learnuplet]
Preduplets = list[Preduplet]
MAX_BATCH_ROWS = 10_000_000
MAX_TASKS_PER_CALL = 10_000  # tasks one call may create (algorithms × mini-batches)
_JOB_STATES = {  # a batch prediction job's status as the preduplet's
    JobStatus.QUEUED: "todo",
    JobStatus.RUNNING: "pending",
    JobStatus.SUCCEEDED: "done",
}


class ProblemService(ProblemWork):
    def __init__(
        self,
        workspace: Workspace,
        *,
        users: UserService,
        datasets: DatasetService,
        models: ModelService,
        registry: RegistryService,
        inference: InferenceService,
        jobs: JobService,
    ) -> None:
        super().__init__(workspace)
        self.datasets, self.models, self.registry = datasets, models, registry
        self.inference, self.jobs, self.users = inference, jobs, users

    # --- session-level helpers ------------------------------------------------------------------
    def _usable(self, session: Session, actor: Actor, problem: ProblemRow, dataset_id: str) -> Dataset:
        """A validated dataset with every column of the problem's template (extra columns are ignored)."""
        dataset = self.datasets._get(session, actor, dataset_id)
        if dataset.status != "validated":
            raise InvalidInput(f"The dataset {dataset.name!r} has unresolved problems; upload it keeping valid rows.")
        template = catalog_repo.get_template(session, actor.tenant_id, problem.template_id)
        missing = [c.name for c in template.columns if c.name not in dataset.column_types]
        if missing:
            raise InvalidInput(
                f"The dataset {dataset.name!r} lacks columns of the template {template.name!r}: {', '.join(missing)}.",
                [Problem("missing column", field=c) for c in missing],
            )
        return dataset

    @staticmethod
    def _batches(problem: ProblemRow, dataset_id: str, rows: int) -> list[MiniBatch]:
        return mini_batches(dataset_id, rows, problem.size_train_dataset)

    # --- problems -------------------------------------------------------------------------------
    def create(
        self,
        actor: Actor,
        *,
        name: str,
        template_id: str,
        target: str,
        problem_type: str,
        metric: str,
        size_train_dataset: int,
        test_dataset: Sequence[str] = (),
        description: str = "",
        compute: str = "internal",
    ) -> LearningProblem:
        """A problem and its test datasets (hidden from then on: only ``problems:manage`` reads their rows). Its
        models are the versions of the registry predictor named like it."""
        require(actor, "problems:manage")
        name = name.strip()
        problems = check_labels(name, None, description)
        if problem_type not in PROBLEM_METRICS:
            problems.append(Problem("classification or regression", field="problem_type", value=str(problem_type)))
        elif metric not in PROBLEM_METRICS[problem_type]:
            choices = ", ".join(PROBLEM_METRICS[problem_type])
            problems.append(Problem(f"one of {choices}", field="metric", value=str(metric)))
        if isinstance(size_train_dataset, bool) or not isinstance(size_train_dataset, int):
            problems.append(Problem("a whole number of rows", field="size_train_dataset"))
        elif not 10 <= size_train_dataset <= MAX_BATCH_ROWS:
            problems.append(Problem(f"between 10 and {MAX_BATCH_ROWS:,} rows", field="size_train_dataset"))
        if compute not in COMPUTE_MODES:
            problems.append(Problem("internal or external", field="compute", value=str(compute)))
        if problems:
            raise InvalidInput("The problem is not valid.", problems)
        with unique_name("problem", name), self.db.session() as session:
            template = catalog_repo.get_template(session, actor.tenant_id, template_id)
            if target not in {c.name for c in template.columns}:
                raise InvalidInput(
                    f"The template {template.name!r} has no column {target!r}.",
                    [Problem("unknown column", field="target")],
                )
            if len(template.columns) < 2:
                raise InvalidInput("The template needs a column besides the target.")
            if repo.find_problem(session, actor.tenant_id, name) is not None:
                raise Conflict(f"A problem named {name!r} already exists.")
            if model_repo.latest_version(session, actor.tenant_id, name) is not None:
                raise Conflict(f"A model is named {name!r}; a problem's models take its name, so choose another.")
            row = ProblemRow(
                tenant_id=actor.tenant_id,
                name=name,
                description=description,
                template_id=template.id,
                target=target,
                problem_type=problem_type,
                metric=metric,
                size_train_dataset=size_train_dataset,
                compute=compute,
                owner_id=actor.user_id,
            )
            session.add(row)
            session.flush()
            for dataset_id in dict.fromkeys(test_dataset):
                self._add_test(session, actor, row, dataset_id)
            record(session, actor, "problem.created", "problem", row.id, name=name, metric=metric)
            return repo.get_problem(session, actor.tenant_id, row.id)

    def _add_test(self, session: Session, actor: Actor, problem: ProblemRow, dataset_id: str) -> None:
        dataset = self._usable(session, actor, problem, dataset_id)
        if any(d == dataset.id for d, _ in repo.training_data(session, problem.id)):
            raise Conflict(f"The dataset {dataset.name!r} is training data of this problem; it cannot test it too.")
        if dataset.id in repo.get_problem(session, actor.tenant_id, problem.id).test_dataset:
            raise Conflict(f"The dataset {dataset.name!r} already tests this problem.")
        repo.add_test_dataset(session, problem.id, dataset.id)

    def add_test_data(self, actor: Actor, problem_id: str, dataset_id: str) -> LearningProblem:
        """Another test dataset (hidden from then on). Tasks finished before are not scored on it again."""
        require(actor, "problems:manage")
        with self.db.session() as session:
            problem = repo.problem_row(session, actor.tenant_id, problem_id)
            self._add_test(session, actor, problem, dataset_id)
            record(session, actor, "problem.test_data_added", "problem", problem.id, dataset=dataset_id)
            return repo.get_problem(session, actor.tenant_id, problem.id)

    def list(self, actor: Actor, filters: Mapping[str, Any] | None = None) -> Problems:
        """The tenant's problems; ``filters`` are the seed's ``?field=value`` (``uuid``, ``name``, ``metric`` …)."""
        require_read(actor)
        with self.db.session() as session:
            return repo.list_problems(session, actor.tenant_id, dict(filters or {}))

    def get(self, actor: Actor, problem_id: str) -> LearningProblem:
        require_read(actor)
        with self.db.session() as session:
            return repo.get_problem(session, actor.tenant_id, problem_id)

    # --- algorithms -----------------------------------------------------------------------------
    def add_algo(
        self,
        actor: Actor,
        problem_id: str,
        name: str,
        *,
        kind: str = "family",
        algorithm: str | None = None,
        settings: Mapping[str, Any] | None = None,
        model_id: str | None = None,
    ) -> tuple[Algorithm, int]:
        """An algorithm and its learning tasks, one per mini-batch of the problem's data: (algorithm, tasks made).

        ``kind`` family: ``algorithm`` (an ``ALGORITHMS`` name) with ``settings`` replacing its defaults (checked
        now); auto: the timed search (``settings`` {"time_budget_s": 1–3600}, optional ``algorithm``); model: the
        setup of the trained model ``model_id``, refitted on each task's rows."""
        require(actor, "models:train")
        name, settings = name.strip(), dict(settings or {})
        if kind not in ALGO_KINDS:
            raise InvalidInput(f"kind is one of {', '.join(ALGO_KINDS)}.", [Problem("unknown kind", field="kind")])
        problems = check_labels(name, None, None)
        if problems:
            raise InvalidInput("The algorithm name is not valid.", problems)
        with unique_name("algorithm", name), self.db.session() as session:
            problem = repo.problem_row(session, actor.tenant_id, problem_id)
            family = self._check_algo(session, actor, problem, kind, algorithm, settings, model_id)
            if repo.find_algo(session, problem.id, name) is not None:
                raise Conflict(f"The problem already has an algorithm named {name!r}.")
            row = ProblemAlgoRow(
                tenant_id=actor.tenant_id,
                problem_id=problem.id,
                name=name,
                kind=kind,
                family=family,
                settings=settings,
                model_id=model_id if kind == "model" else None,
                owner_id=actor.user_id,
            )
            session.add(row)
            session.flush()
            batches = [
                b for d, rows in repo.training_data(session, problem.id) for b in self._batches(problem, d, rows)
            ]
            made, todo = schedule.add_tasks(session, problem, row.id, batches, actor.user_id)
            jobs = self._start(session, actor, todo)
            record(session, actor, "problem.algo_added", "problem_algo", row.id, name=name, tasks=made)
            algo = repo.get_algo(session, actor.tenant_id, row.id)
        self._launch(actor, jobs)
        return algo, made

    def _check_algo(
        self,
        session: Session,
        actor: Actor,
        problem: ProblemRow,
        kind: str,
        algorithm: str | None,
        settings: dict[str, Any],
        model_id: str | None,
    ) -> str | None:
        """The family the algorithm trains (None: a search or a model's setup), refusing what a task would."""
        if kind == "model":
            if not model_id:
                raise InvalidInput("Name the trained model whose setup to use.", [Problem("missing", field="model")])
            model = self.models._get(session, actor, model_id)
            if model.schema is None or model.problem_type != problem.problem_type or model.target != problem.target:
                raise InvalidInput(f"{model.label} is no {problem.problem_type} of {problem.target!r}.")
            return None
        return check_configuration(kind, algorithm, problem.problem_type, settings)

    def algos(self, actor: Actor, filters: Mapping[str, Any] | None = None) -> Algorithms:
        require_read(actor)
        with self.db.session() as session:
            return repo.list_algos(session, actor.tenant_id, dict(filters or {}))

    def algo(self, actor: Actor, algo_id: str) -> Algorithm:
        require_read(actor)
        with self.db.session() as session:
            return repo.get_algo(session, actor.tenant_id, algo_id)

    # --- data -----------------------------------------------------------------------------------
    def add_data(self, actor: Actor, dataset_ids: Sequence[str], problem_ids: Sequence[str]) -> tuple[Data, int]:
        """Attach training datasets to problems: each one's mini-batches become new tasks of every algorithm of
        those problems, after their last rank. (attached data, tasks made); data attached before is skipped."""
        require(actor, "models:train")
        if not dataset_ids or not problem_ids:
            raise InvalidInput("Name at least one dataset and one problem.", [Problem("empty", field="uuid")])
        made, jobs, attached = 0, [], []  # type: ignore[var-annotated]
        with self.db.session() as session:
            for problem_id in dict.fromkeys(problem_ids):
                problem = repo.problem_row(session, actor.tenant_id, problem_id)
                tests = set(repo.get_problem(session, actor.tenant_id, problem.id).test_dataset)
                if not tests:  # its tasks would train, then fail scoring on nothing
                    raise InvalidInput(
                        f"The problem {problem.name!r} has no test data yet: add a test dataset first, since every "
                        "learning task is scored on it.",
                        [Problem("no test data", field="problems", value=problem.id)],
                    )
                for dataset_id in dict.fromkeys(dataset_ids):
                    dataset = self._usable(session, actor, problem, dataset_id)
                    if dataset.id in tests or repo.hidden_datasets(session, actor.tenant_id, [dataset.id]):
                        raise Conflict(f"The dataset {dataset.name!r} is test data; it cannot train a problem.")
                    if not repo.attach_data(session, problem.id, dataset.id, actor.user_id):
                        continue
                    attached.append(dataset.id)
                    batches = self._batches(problem, dataset.id, dataset.rows)
                    for algo in repo.list_algos(session, actor.tenant_id, {"problem": problem.id}):
                        count, todo = schedule.add_tasks(session, problem, algo.id, batches, actor.user_id)
                        made += count
                        jobs += self._start(session, actor, todo)
                    if made > MAX_TASKS_PER_CALL:
                        raise InvalidInput(f"This would make more than {MAX_TASKS_PER_CALL:,} tasks; attach less data.")
                    record(session, actor, "problem.data_added", "problem", problem.id, dataset=dataset.id)
            data = [d for d in repo.list_data(session, actor.tenant_id) if d.id in attached]
        self._launch(actor, jobs)
        return data, made

    def data(self, actor: Actor, filters: Mapping[str, Any] | None = None) -> Data:
        """Attached training datasets; filters ``uuid`` and ``problems`` (one problem id)."""
        require_read(actor)
        wanted = dict(filters or {})
        with self.db.session() as session:
            found = repo.list_data(session, actor.tenant_id, wanted.pop("uuid", None))
        problem = wanted.pop("problems", wanted.pop("problem", None))
        if wanted:
            raise InvalidInput(
                f"Unknown filter {next(iter(wanted))!r}.", [Problem("unknown filter", field=next(iter(wanted)))]
            )
        return [d for d in found if problem is None or problem in d.problems]

    def data_item(self, actor: Actor, dataset_id: str) -> ProblemData:
        found = self.data(actor, {"uuid": dataset_id})
        if not found:
            raise NotFound("That dataset is attached to no problem.")
        return found[0]

    # --- learning tasks -------------------------------------------------------------------------
    def learnuplets(self, actor: Actor, filters: Mapping[str, Any] | None = None) -> Learnuplets:
        """Learning tasks by problem, algorithm and rank; filters ``uuid``, ``problem``, ``algo``, ``status`` …"""
        require_read(actor)
        with self.db.session() as session:
            return repo.list_learnuplets(session, actor.tenant_id, dict(filters or {}))

    def learnuplet(self, actor: Actor, task_id: str) -> Learnuplet:
        require_read(actor)
        with self.db.session() as session:
            return repo.to_learnuplet(repo.learnuplet_row(session, actor.tenant_id, task_id))

    # --- prediction tasks -----------------------------------------------------------------------
    def predict(self, actor: Actor, problem_id: str, dataset_ids: Sequence[str]) -> Preduplets:
        """One prediction task per dataset with the problem's best model now (its ``champion``): internally a
        batch prediction job; for an external problem, ``todo`` for a worker."""
        require(actor, "inference:run")
        if not dataset_ids:
            raise InvalidInput("Name at least one dataset to predict.", [Problem("empty", field="data")])
        with self.db.session() as session:
            problem = repo.problem_row(session, actor.tenant_id, problem_id)
            best = schedule.champion(session, problem)
            if best is None:
                raise Conflict(f"The problem {problem.name!r} has no trained model yet; wait for a learning task.")
            model_id, compute = best.model_end, problem.compute
            for dataset_id in dataset_ids:
                self.datasets._readable(session, actor, dataset_id)
        made: Preduplets = []
        for dataset_id in dict.fromkeys(dataset_ids):
            job = (
                self.inference.predict_batch(actor, str(model_id), dataset_id=dataset_id)
                if compute == "internal"
                else None
            )
            with self.db.session() as session:
                row = PredupletRow(
                    tenant_id=actor.tenant_id,
                    problem_id=problem_id,
                    dataset_id=dataset_id,
                    model_id=model_id,
                    job_id=job.id if job else None,
                    owner_id=actor.user_id,
                )
                session.add(row)
                session.flush()
                record(session, actor, "problem.prediction", "preduplet", row.id, dataset=dataset_id)
                made.append(self._preduplet(session, actor, row))
        return made

    def _preduplet(self, session: Session, actor: Actor, row: PredupletRow) -> Preduplet:
        """The task with its batch job's state, when a job runs it."""
        task = repo.to_preduplet(row)
        if row.job_id is None or task.status in ("done", "failed"):
            return task
        from dataclasses import replace

        from core.storage.repositories import jobs as job_repo

        job = job_repo.get_job(session, actor.tenant_id, row.job_id)
        status = _JOB_STATES.get(job.status, "failed" if job.finished else task.status)
        file_id = (job.result or {}).get("file_id") if status == "done" else None
        return replace(task, status=status, prediction_file=file_id, error=job.error or "", worker="job runner")

    def preduplets(self, actor: Actor, filters: Mapping[str, Any] | None = None) -> Preduplets:
        require_read(actor)
        with self.db.session() as session:
            return [
                self._preduplet(session, actor, r)
                for r in repo.list_preduplets(session, actor.tenant_id, dict(filters or {}))
            ]

    def preduplet(self, actor: Actor, pred_id: str) -> Preduplet:
        require_read(actor)
        with self.db.session() as session:
            return self._preduplet(session, actor, repo.preduplet_row(session, actor.tenant_id, pred_id))
