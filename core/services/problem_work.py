"""The worker side of problems (the seed's Compute routes) and the leaderboard: a worker claims a task (todo →
pending, its id recorded), finishes it with scores (``learn_done``) or a result file (``pred_done``); finishing a
learning task starts the algorithm's next rank and moves the problem's ``champion`` alias to its best model."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy.orm import Session

from core.entities import Actor
from core.entities.problems import BoardEntry, Leaderboard
from core.errors import Conflict, CoreError, InvalidInput, Problem
from core.services import problem_schedule as schedule
from core.services.base import Service, record, require
from core.services.registry_versions import point_alias
from core.storage.orm import LearnupletRow, ProblemRow
from core.storage.repositories import files as file_repo
from core.storage.repositories import problems as repo
from core.storage.repositories import registry as registry_repo
from core.storage.repositories import registry_links as links
from core.storage.repositories import registry_versions as versions_repo

if TYPE_CHECKING:
    from core.services.jobs import JobService
    from core.services.users import UserService

log = logging.getLogger("dataml.problems")
UPLET_TYPES = ("learnuplet", "preduplet")
CHAMPION = "champion"


def _scores(values: Sequence[Any], count: int, field: str) -> list[float | None]:
    """A list of ``count`` finite numbers (or nulls: undefined scores)."""
    if not isinstance(values, list | tuple) or len(values) != count:
        raise InvalidInput(f"{field} needs {count} value(s), one per file.", [Problem("wrong length", field=field)])
    for value in values:
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
        ):
            raise InvalidInput(
                f"{field} holds numbers.", [Problem("not a finite number", field=field, value=str(value)[:40])]
            )
    return [None if v is None else float(v) for v in values]


def require_read(actor: Actor) -> None:
    """Problems, algorithms, data and tasks are read by whoever sees models, and by compute workers (the tasks
    they take name them)."""
    if not actor.can("problems:work"):
        require(actor, "models:read")


class ProblemWork(Service):
    jobs: JobService
    users: UserService

    # --- session-level helpers ------------------------------------------------------------------
    def _start(self, session: Session, actor: Actor, task_ids: Sequence[str]) -> list[str]:
        """Queue a ``problem_learn`` job per task now ``todo`` of an internal problem; their ids, to start after
        the commit (``_launch``)."""
        jobs = []
        for task_id in task_ids:
            row = repo.learnuplet_row(session, actor.tenant_id, task_id)
            problem = repo.problem_row(session, actor.tenant_id, row.problem_id)
            if problem.compute == "internal":
                title = f"Learn {problem.name}: rank {row.rank}"
                jobs.append(self.jobs._queue(session, actor, "problem_learn", title, {"learnuplet_id": task_id}).id)
        return jobs

    def _launch(self, actor: Actor, job_ids: Sequence[str]) -> None:
        for job_id in job_ids:
            self.jobs._start(self.jobs.get(actor, job_id), actor)

    def _finish(
        self,
        session: Session,
        actor: Actor,
        row: LearnupletRow,
        *,
        status: str,
        perf: float | None = None,
        test_perf: Sequence[float | None] = (),
        train_perf: Sequence[float | None] = (),
        model_end: str | None = None,
        predictions_file_id: str | None = None,
        error: str = "",
    ) -> tuple[Actor | None, list[str]]:
        """Record a task's outcome, make the next rank todo (queued as a job of its owner on an internal problem)
        and crown the best model; (that owner, job ids to start after the commit)."""
        row.status, row.perf, row.error = status, perf if status == "done" else None, error[:2000]
        row.test_perf, row.train_perf = list(test_perf), list(train_perf)
        row.model_end, row.predictions_file_id = model_end, predictions_file_id
        session.flush()
        problem = repo.problem_row(session, row.tenant_id, row.problem_id)
        todo = schedule.advance(
            session, row.algo_id, repo.get_problem(session, row.tenant_id, problem.id).higher_is_better
        )
        self._crown(session, actor, problem)
        record(session, actor, "problem.task_finished", "learnuplet", row.id, status=status, perf=row.perf)
        if not todo or problem.compute != "internal":
            return None, []
        owner = self.users._live_actor(session, repo.learnuplet_row(session, row.tenant_id, todo[0]).owner_id)
        return owner, self._start(session, owner, todo)

    def _crown(self, session: Session, actor: Actor, problem: ProblemRow) -> None:
        """Point the problem's predictor's ``champion`` alias at its best model (every move kept)."""
        best = schedule.champion(session, problem)
        if best is None or best.model_end is None:
            return
        model_id = registry_repo.registry_id(problem.tenant_id, problem.name)
        if links.alias_target(session, model_id, CHAMPION) == best.model_end:
            return  # still the champion (an alias only points at a stored version: the rows exist)
        model = registry_repo.get_registered(session, problem.tenant_id, model_id)
        version = versions_repo.trained_version(session, problem.tenant_id, model, best.model_end)
        assert version is not None  # a task's model is a version of its problem's predictor
        registry_repo.ensure_row(session, problem.tenant_id, model, problem.owner_id)
        versions_repo.ensure_version(session, problem.tenant_id, model, version, problem.owner_id)
        point_alias(session, actor, model.id, CHAMPION, version)

    def _recover(self, job_ids: Sequence[str]) -> int:
        """Learning tasks left ``pending`` by jobs that were interrupted (their process stopped) finish
        ``failed``, so their algorithm's next rank starts; how many there were."""
        if not job_ids:
            return 0
        launches = []
        with self.db.session() as session:
            rows = repo.pending_of_jobs(session, list(job_ids))
            for row in rows:
                message = "The learning task's job was interrupted (its process stopped)."
                try:
                    with session.begin_nested():  # an owner deactivated since stays pending; the rest go on
                        actor = self.users._live_actor(session, row.owner_id)
                        launches.append(self._finish(session, actor, row, status="failed", error=message))
                except CoreError:
                    log.warning("learning task %s stays pending: its owner cannot act any more", row.id)
        for owner, jobs in launches:
            if owner is not None:
                self._launch(owner, jobs)
        return len(rows)

    # --- worker routes --------------------------------------------------------------------------
    def claim(self, actor: Actor, uplet_type: str, uplet_id: str, worker: str) -> str:
        """The seed's ``/worker/<type>/<uuid>``: a todo task becomes pending for ``worker`` (Conflict when another
        worker took it first)."""
        require(actor, "problems:work")
        worker = str(worker).strip()
        if uplet_type not in UPLET_TYPES:
            raise InvalidInput(
                "The task type is learnuplet or preduplet.", [Problem("unknown type", field="uplet_type")]
            )
        if not 1 <= len(worker) <= 200:
            raise InvalidInput("worker is 1–200 characters.", [Problem("invalid", field="worker")])
        with self.db.session() as session:
            if uplet_type == "learnuplet":
                row = repo.learnuplet_row(session, actor.tenant_id, uplet_id)
                if not repo.claim_learnuplet(session, row.id, worker, None):
                    raise Conflict(f"That learning task is {row.status}, not todo; another worker may have taken it.")
            else:
                pred = repo.preduplet_row(session, actor.tenant_id, uplet_id)
                if pred.status != "todo" or pred.job_id is not None:
                    raise Conflict("That prediction task is not waiting for a worker.")
                pred.status, pred.worker = "pending", worker
            record(session, actor, "problem.task_claimed", uplet_type, uplet_id, worker=worker)
        return uplet_id

    def learn_done(
        self,
        actor: Actor,
        task_id: str,
        status: str,
        perf: float | None = None,
        train_perf: Sequence[float | None] = (),
        test_perf: Sequence[float | None] = (),
        error: str = "",
    ) -> str:
        """The seed's ``/learndone/<uuid>``: a pending task's outcome from its worker; ``done`` needs ``perf`` (all
        test data), ``test_perf`` (one per test dataset) and ``train_perf`` (one per training mini-batch)."""
        require(actor, "problems:work")
        if status not in ("done", "failed"):
            raise InvalidInput("status is done or failed.", [Problem("unknown status", field="status")])
        with self.db.session() as session:
            row = repo.learnuplet_row(session, actor.tenant_id, task_id)
            if row.status != "pending":
                raise Conflict(f"That learning task is {row.status}; only a pending task can be finished.")
            scores: dict[str, Any] = {}
            if status == "done":
                tests = len(repo.get_problem(session, actor.tenant_id, row.problem_id).test_dataset)
                scores = {
                    "perf": _scores([perf], 1, "perf")[0],
                    "test_perf": _scores(list(test_perf), tests, "test_perf"),
                    "train_perf": _scores(list(train_perf), len(row.train_data), "train_perf"),
                }
                if scores["perf"] is None:
                    raise InvalidInput("perf is needed for a done task.", [Problem("missing", field="perf")])
            owner, jobs = self._finish(session, actor, row, status=status, error=error, **scores)
        if owner is not None:
            self._launch(owner, jobs)
        return task_id

    def pred_done(self, actor: Actor, pred_id: str, status: str, prediction_file_id: str | None = None) -> str:
        """The seed's ``/preddone/<uuid>``: a pending prediction task's result file (a file of the tenant)."""
        require(actor, "problems:work")
        if status not in ("done", "failed"):
            raise InvalidInput("status is done or failed.", [Problem("unknown status", field="status")])
        with self.db.session() as session:
            row = repo.preduplet_row(session, actor.tenant_id, pred_id)
            if row.status != "pending":
                raise Conflict(f"That prediction task is {row.status}; only a pending task can be finished.")
            if status == "done":
                if not prediction_file_id:
                    raise InvalidInput(
                        "A done prediction names its stored file.",
                        [Problem("missing", field="prediction_storage_uuid")],
                    )
                row.prediction_file_id = file_repo.get_file(session, actor.tenant_id, prediction_file_id).id
            row.status = status
            record(session, actor, "problem.prediction_finished", "preduplet", row.id, status=status)
        return pred_id

    # --- results --------------------------------------------------------------------------------
    def leaderboard(self, actor: Actor, problem_id: str) -> Leaderboard:
        """Every algorithm's best score and history over ranks, best first, and the champion model."""
        require_read(actor)
        with self.db.session() as session:
            problem = repo.get_problem(session, actor.tenant_id, problem_id)
            row = repo.problem_row(session, actor.tenant_id, problem_id)
            crowned = schedule.champion(session, row)
            entries = []
            for algo in repo.list_algos(session, actor.tenant_id, {"problem": problem.id}):
                tasks = repo.algo_tasks(session, algo.id)
                top = schedule.best(tasks, problem.higher_is_better)
                entries.append(
                    BoardEntry(
                        algo_id=algo.id,
                        algo_name=algo.name,
                        best_perf=top.perf if top else None,
                        best_task_id=top.id if top else None,
                        best_model_id=top.model_end if top else None,
                        done=sum(t.status == "done" for t in tasks),
                        failed=sum(t.status == "failed" for t in tasks),
                        unfinished=sum(t.status not in ("done", "failed") for t in tasks),
                        history=tuple((t.rank, t.perf) for t in tasks if t.status in ("done", "failed")),
                    )
                )
        sign = -1.0 if problem.higher_is_better else 1.0
        entries.sort(key=lambda e: (e.best_perf is None, sign * (e.best_perf or 0.0)))
        return Leaderboard(
            problem=problem,
            entries=tuple(entries),
            champion_model_id=crowned.model_end if crowned else None,
            champion_task_id=crowned.id if crowned else None,
        )

    def test_predictions(self, actor: Actor, task_id: str) -> pd.DataFrame:
        """The stored predictions of a task on the test data (``test``: the test dataset's position, ``row``),
        from which its scores can be recomputed; test data is hidden, so ``problems:manage`` only."""
        require(actor, "problems:manage")
        with self.db.session() as session:
            row = repo.learnuplet_row(session, actor.tenant_id, task_id)
            if row.predictions_file_id is None:
                raise Conflict("That task stored no predictions (it is unfinished, failed or ran elsewhere).")
            key = file_repo.storage_key(session, actor.tenant_id, row.predictions_file_id)
        return pd.read_parquet(self.store.path(key))
