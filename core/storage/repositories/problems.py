"""Problems, algorithms, attached data, learnuplets and preduplets: rows in, entities out (tenant-scoped)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.entities.problems import (
    Algorithm,
    LearningProblem,
    Learnuplet,
    MiniBatch,
    Preduplet,
    ProblemData,
    higher_is_better,
)
from core.errors import NotFound
from core.storage.orm import (
    DatasetFileRow,
    DatasetRow,
    DatasetVersionRow,
    LearnupletRow,
    PredupletRow,
    ProblemAlgoRow,
    ProblemDataRow,
    ProblemRow,
    ProblemTestDataRow,
    UserRow,
    name_key,
)


def _owner(session: Session, user_id: str) -> str:
    return session.scalar(select(UserRow.username).where(UserRow.id == user_id)) or ""


def _problem(session: Session, row: ProblemRow) -> LearningProblem:
    tests = session.scalars(
        select(ProblemTestDataRow.dataset_id)
        .where(ProblemTestDataRow.problem_id == row.id)
        .order_by(ProblemTestDataRow.position)
    )
    return LearningProblem(
        id=row.id,
        name=row.name,
        description=row.description,
        template_id=row.template_id,
        target=row.target,
        problem_type=row.problem_type,
        metric=row.metric,
        higher_is_better=higher_is_better(row.metric),
        size_train_dataset=row.size_train_dataset,
        test_dataset=tuple(tests),
        compute=row.compute,
        owner=_owner(session, row.owner_id),
        created_at=row.created_at,
        model_name=row.name,
    )


def problem_row(session: Session, tenant_id: str, problem_id: str) -> ProblemRow:
    row = session.get(ProblemRow, problem_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("That problem does not exist.")
    return row


def find_problem(session: Session, tenant_id: str, name: str) -> ProblemRow | None:
    query = select(ProblemRow).where(ProblemRow.tenant_id == tenant_id, ProblemRow.name_key == name_key(name))
    return session.scalars(query).first()


def find_algo(session: Session, problem_id: str, name: str) -> ProblemAlgoRow | None:
    query = select(ProblemAlgoRow).where(
        ProblemAlgoRow.problem_id == problem_id, ProblemAlgoRow.name_key == name_key(name)
    )
    return session.scalars(query).first()


def get_problem(session: Session, tenant_id: str, problem_id: str) -> LearningProblem:
    return _problem(session, problem_row(session, tenant_id, problem_id))


def list_problems(session: Session, tenant_id: str, filters: dict[str, Any] | None = None) -> list[LearningProblem]:
    query = select(ProblemRow).where(ProblemRow.tenant_id == tenant_id).order_by(ProblemRow.created_at)
    return [_problem(session, r) for r in session.scalars(query) if _matches(r, filters)]


def _matches(row: Any, filters: dict[str, Any] | None) -> bool:
    """The seed's ``?field=value`` filters on a row's columns (``uuid`` is the id)."""
    for key, value in (filters or {}).items():
        column = "id" if key == "uuid" else key
        if str(getattr(row, column, None)) != str(value):
            return False
    return True


def add_test_dataset(session: Session, problem_id: str, dataset_id: str) -> None:
    count = session.scalar(select(func.count()).where(ProblemTestDataRow.problem_id == problem_id)) or 0
    session.add(ProblemTestDataRow(problem_id=problem_id, dataset_id=dataset_id, position=count))
    session.flush()


def hidden_datasets(session: Session, tenant_id: str, dataset_ids: Sequence[str]) -> set[str]:
    """Those of ``dataset_ids`` that are a test dataset of some problem of the tenant."""
    query = (
        select(ProblemTestDataRow.dataset_id)
        .join(ProblemRow, ProblemRow.id == ProblemTestDataRow.problem_id)
        .where(ProblemRow.tenant_id == tenant_id, ProblemTestDataRow.dataset_id.in_(list(dataset_ids)))
    )
    return set(session.scalars(query))


def datasets_of_file(session: Session, tenant_id: str, file_id: str) -> set[str]:
    """The datasets a stored file holds (a version's Parquet, the current one, or an original upload)."""
    found = set(
        session.scalars(select(DatasetRow.id).where(DatasetRow.tenant_id == tenant_id, DatasetRow.file_id == file_id))
    )
    found |= set(session.scalars(select(DatasetVersionRow.dataset_id).where(DatasetVersionRow.file_id == file_id)))
    found |= set(session.scalars(select(DatasetFileRow.dataset_id).where(DatasetFileRow.file_id == file_id)))
    return found


def is_predictions_file(session: Session, tenant_id: str, file_id: str) -> bool:
    query = select(LearnupletRow.id).where(
        LearnupletRow.tenant_id == tenant_id, LearnupletRow.predictions_file_id == file_id
    )
    return session.scalars(query).first() is not None


def problems_using_dataset(session: Session, tenant_id: str, dataset_id: str) -> list[str]:
    """Names of the problems that test on, or train on, the dataset."""
    names = set()
    for link in (ProblemTestDataRow, ProblemDataRow):
        query = (
            select(ProblemRow.name)
            .join(link, link.problem_id == ProblemRow.id)
            .where(ProblemRow.tenant_id == tenant_id, link.dataset_id == dataset_id)
        )
        names |= set(session.scalars(query))
    return sorted(names)


def _algo(session: Session, row: ProblemAlgoRow) -> Algorithm:
    return Algorithm(
        id=row.id,
        problem_id=row.problem_id,
        name=row.name,
        kind=row.kind,
        family=row.family,
        settings=dict(row.settings),
        model_id=row.model_id,
        owner=_owner(session, row.owner_id),
        created_at=row.created_at,
    )


def get_algo(session: Session, tenant_id: str, algo_id: str) -> Algorithm:
    row = session.get(ProblemAlgoRow, algo_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("That algorithm does not exist.")
    return _algo(session, row)


def list_algos(session: Session, tenant_id: str, filters: dict[str, Any] | None = None) -> list[Algorithm]:
    query = select(ProblemAlgoRow).where(ProblemAlgoRow.tenant_id == tenant_id).order_by(ProblemAlgoRow.created_at)
    return [_algo(session, r) for r in session.scalars(query) if _matches(r, _rename(filters, problem="problem_id"))]


def _rename(filters: dict[str, Any] | None, **names: str) -> dict[str, Any]:
    """Seed filter names (``problem``, ``algo``) as our column names."""
    return {names.get(k, k): v for k, v in (filters or {}).items()}


def attach_data(session: Session, problem_id: str, dataset_id: str, owner_id: str) -> bool:
    """Attach a training dataset (last in order); False when it already was."""
    if session.get(ProblemDataRow, (problem_id, dataset_id)) is not None:
        return False
    count = session.scalar(select(func.count()).where(ProblemDataRow.problem_id == problem_id)) or 0
    session.add(ProblemDataRow(problem_id=problem_id, dataset_id=dataset_id, position=count, owner_id=owner_id))
    session.flush()
    return True


def training_data(session: Session, problem_id: str) -> list[tuple[str, int]]:
    """(dataset id, rows) of the problem's training datasets in attach order."""
    query = (
        select(ProblemDataRow.dataset_id, DatasetRow.rows)
        .join(DatasetRow, DatasetRow.id == ProblemDataRow.dataset_id)
        .where(ProblemDataRow.problem_id == problem_id)
        .order_by(ProblemDataRow.position)
    )
    return [(d, int(n)) for d, n in session.execute(query)]


def list_data(session: Session, tenant_id: str, dataset_id: str | None = None) -> list[ProblemData]:
    query = (
        select(DatasetRow.id, DatasetRow.name, DatasetRow.rows, ProblemDataRow.problem_id)
        .join(ProblemDataRow, ProblemDataRow.dataset_id == DatasetRow.id)
        .where(DatasetRow.tenant_id == tenant_id)
        .order_by(ProblemDataRow.created_at)
    )
    if dataset_id is not None:
        query = query.where(DatasetRow.id == dataset_id)
    found: dict[str, ProblemData] = {}
    for did, name, rows, problem in session.execute(query):
        before = found.get(did)
        problems = (*before.problems, problem) if before else (problem,)
        found[did] = ProblemData(id=did, name=name, rows=int(rows), problems=problems)
    return list(found.values())


def _batch(item: Sequence[Any]) -> MiniBatch:
    return MiniBatch(str(item[0]), int(item[1]), int(item[2]))


def to_learnuplet(row: LearnupletRow) -> Learnuplet:
    return Learnuplet(
        id=row.id,
        problem_id=row.problem_id,
        algo_id=row.algo_id,
        rank=row.rank,
        batch=MiniBatch(row.dataset_id, row.row_start, row.row_stop),
        train_data=tuple(_batch(b) for b in row.train_data),
        status=row.status,
        start_task_id=row.start_task_id,
        model_start=row.model_start,
        model_end=row.model_end,
        worker=row.worker,
        job_id=row.job_id,
        perf=row.perf,
        test_perf=tuple(row.test_perf),
        train_perf=tuple(row.train_perf),
        error=row.error,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def learnuplet_row(session: Session, tenant_id: str, task_id: str) -> LearnupletRow:
    row = session.get(LearnupletRow, task_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("That learning task does not exist.")
    return row


def algo_tasks(session: Session, algo_id: str) -> list[LearnupletRow]:
    """An algorithm's tasks in rank order."""
    return list(
        session.scalars(select(LearnupletRow).where(LearnupletRow.algo_id == algo_id).order_by(LearnupletRow.rank))
    )


def list_learnuplets(session: Session, tenant_id: str, filters: dict[str, Any] | None = None) -> list[Learnuplet]:
    query = (
        select(LearnupletRow)
        .join(ProblemAlgoRow, ProblemAlgoRow.id == LearnupletRow.algo_id)
        .where(LearnupletRow.tenant_id == tenant_id)
        .order_by(LearnupletRow.problem_id, ProblemAlgoRow.created_at, LearnupletRow.rank)
    )
    wanted = _rename(filters, problem="problem_id", algo="algo_id")
    return [to_learnuplet(r) for r in session.scalars(query) if _matches(r, wanted)]


def pending_of_jobs(session: Session, job_ids: list[str]) -> list[LearnupletRow]:
    query = select(LearnupletRow).where(LearnupletRow.job_id.in_(job_ids), LearnupletRow.status == "pending")
    return list(session.scalars(query))


def claim_learnuplet(session: Session, task_id: str, worker: str, job_id: str | None) -> bool:
    """todo → pending for one worker, atomically: False when another worker took it first (or it is not todo)."""
    result = session.execute(
        update(LearnupletRow)
        .where(LearnupletRow.id == task_id, LearnupletRow.status == "todo")
        .values(status="pending", worker=worker, job_id=job_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def to_preduplet(row: PredupletRow) -> Preduplet:
    return Preduplet(
        id=row.id,
        problem_id=row.problem_id,
        dataset_id=row.dataset_id,
        model_id=row.model_id,
        status=row.status,
        worker=row.worker,
        job_id=row.job_id,
        prediction_file=row.prediction_file_id,
        error=row.error,
        created_at=row.created_at,
    )


def preduplet_row(session: Session, tenant_id: str, pred_id: str) -> PredupletRow:
    row = session.get(PredupletRow, pred_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("That prediction task does not exist.")
    return row


def list_preduplets(session: Session, tenant_id: str, filters: dict[str, Any] | None = None) -> list[PredupletRow]:
    query = select(PredupletRow).where(PredupletRow.tenant_id == tenant_id).order_by(PredupletRow.created_at)
    wanted = _rename(filters, problem="problem_id", data="dataset_id")
    return [r for r in session.scalars(query) if _matches(r, wanted)]
