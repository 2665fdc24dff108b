"""How learning tasks follow each other (the seed's ``model_start`` rule), as session-level functions.

An algorithm's tasks run in rank order: the first unfinished one becomes ``todo`` once every earlier rank is
finished, starting from the best model of those ranks (a rank that did not improve on the best, or failed, is
skipped as a start) and training on that start's mini-batches plus its own. The problem's champion is its best
finished task with a model."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from core.entities.problems import MiniBatch
from core.storage.orm import LearnupletRow, ProblemRow
from core.storage.repositories import problems as repo


def best(tasks: Iterable[LearnupletRow], higher: bool) -> LearnupletRow | None:
    """The done task with the best score; an equal score never replaces an earlier best (strictly better only)."""
    found: LearnupletRow | None = None
    for task in tasks:
        if task.status != "done" or task.perf is None:
            continue
        if found is None or (task.perf > found.perf if higher else task.perf < found.perf):  # type: ignore[operator]
            found = task
    return found


def advance(session: Session, algo_id: str, higher: bool) -> list[str]:
    """Make the algorithm's next task ``todo`` when its turn has come; returns its id ([] when none is ready)."""
    tasks = repo.algo_tasks(session, algo_id)
    for position, task in enumerate(tasks):
        if task.status in ("done", "failed"):
            continue
        if task.status != "waiting":
            return []  # todo or pending: it already runs
        start = best(tasks[:position], higher)
        own = [task.dataset_id, task.row_start, task.row_stop]
        task.train_data = [*(start.train_data if start else []), own]
        task.start_task_id = start.id if start else None
        task.model_start = start.model_end if start else None
        task.status = "todo"
        session.flush()
        return [task.id]
    return []


def add_tasks(
    session: Session, problem: ProblemRow, algo_id: str, batches: Sequence[MiniBatch], owner_id: str
) -> tuple[int, list[str]]:
    """Tasks for ``batches`` after the algorithm's last rank; (how many were made, ids now todo)."""
    existing = repo.algo_tasks(session, algo_id)
    rank = existing[-1].rank + 1 if existing else 0
    for offset, batch in enumerate(batches):
        session.add(
            LearnupletRow(
                tenant_id=problem.tenant_id,
                problem_id=problem.id,
                algo_id=algo_id,
                rank=rank + offset,
                dataset_id=batch.dataset_id,
                row_start=batch.start,
                row_stop=batch.stop,
                owner_id=owner_id,
            )
        )
    session.flush()
    return len(batches), advance(session, algo_id, _higher(problem))


def _higher(problem: ProblemRow) -> bool:
    from core.entities.problems import higher_is_better

    return higher_is_better(problem.metric)


def champion(session: Session, problem: ProblemRow) -> LearnupletRow | None:
    """The problem's best done task that made a model (tasks finished by an outside worker may have none)."""
    tasks = [t for t in session.query(LearnupletRow).filter(LearnupletRow.problem_id == problem.id) if t.model_end]
    tasks.sort(key=lambda t: (t.updated_at, t.rank))
    return best(tasks, _higher(problem))
