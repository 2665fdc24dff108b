"""Seed 002 (Morpheo): problems, algorithms, data, learning tasks (learnuplets) and prediction tasks (preduplets)
at the seed's paths; the worker routes (``/worker``, ``/learndone``, ``/preddone``) need ``problems:work`` (the
``worker`` role)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status

from api.deps import ActorDep, EngineDep
from api.problem_schemas import (
    AlgoDoc,
    AlgoIn,
    BoardRow,
    DataDoc,
    DataIn,
    LeaderboardOut,
    LearnDoneIn,
    LearnupletDoc,
    PredDoneIn,
    PredictionIn,
    PredupletDoc,
    ProblemDoc,
    ProblemIn,
    WorkerIn,
)

router = APIRouter(tags=["problems"])
Filter = Annotated[str | None, Query(max_length=200)]


def _filters(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


@router.post("/problem", status_code=status.HTTP_201_CREATED)
def add_problem(eng: EngineDep, actor: ActorDep, body: ProblemIn) -> dict[str, ProblemDoc]:
    """A problem with its hidden test datasets (``problems:manage``)."""
    problem = eng.problems.create(
        actor,
        name=body.name,
        description=body.description,
        template_id=body.template,
        target=body.target,
        problem_type=body.problem_type,
        metric=body.metric,
        test_dataset=body.test_dataset,
        size_train_dataset=body.size_train_dataset,
        compute=body.compute,
    )
    return {"new_problem": ProblemDoc(**problem.to_seed())}


@router.get("/problem")
def problems(eng: EngineDep, actor: ActorDep, uuid: Filter = None, name: Filter = None) -> dict[str, list[ProblemDoc]]:
    found = eng.problems.list(actor, _filters(uuid=uuid, name=name))
    return {"problems": [ProblemDoc(**p.to_seed()) for p in found]}


@router.get("/problem/{uuid}")
def problem(eng: EngineDep, actor: ActorDep, uuid: str) -> ProblemDoc:
    return ProblemDoc(**eng.problems.get(actor, uuid).to_seed())


@router.get("/problem/{uuid}/leaderboard")
def leaderboard(eng: EngineDep, actor: ActorDep, uuid: str) -> LeaderboardOut:
    """Not in the seed: every algorithm's best score and history over ranks, best first, and the champion."""
    board = eng.problems.leaderboard(actor, uuid)
    rows = [
        BoardRow(
            algo=e.algo_id,
            name=e.algo_name,
            best_perf=e.best_perf,
            best_learnuplet=e.best_task_id,
            best_model=e.best_model_id,
            done=e.done,
            failed=e.failed,
            unfinished=e.unfinished,
            history=list(e.history),
        )
        for e in board.entries
    ]
    return LeaderboardOut(
        problem=board.problem.id,
        metric=board.problem.metric,
        higher_is_better=board.problem.higher_is_better,
        champion_model=board.champion_model_id,
        champion_learnuplet=board.champion_task_id,
        algos=rows,
    )


@router.post("/algo", status_code=status.HTTP_201_CREATED)
def add_algo(eng: EngineDep, actor: ActorDep, body: AlgoIn) -> dict[str, AlgoDoc | int]:
    """An algorithm and its learning tasks, one per mini-batch of the problem's data."""
    algo, made = eng.problems.add_algo(
        actor,
        body.problem,
        body.name,
        kind=body.kind,
        algorithm=body.algorithm,
        settings=body.settings,
        model_id=body.model,
    )
    return {"new_algo": AlgoDoc(**algo.to_seed()), "new_learnuplets": made}


@router.get("/algo")
def algos(
    eng: EngineDep, actor: ActorDep, uuid: Filter = None, problem: Filter = None, name: Filter = None
) -> dict[str, list[AlgoDoc]]:
    found = eng.problems.algos(actor, _filters(uuid=uuid, problem=problem, name=name))
    return {"algos": [AlgoDoc(**a.to_seed()) for a in found]}


@router.get("/algo/{uuid}")
def algo(eng: EngineDep, actor: ActorDep, uuid: str) -> AlgoDoc:
    return AlgoDoc(**eng.problems.algo(actor, uuid).to_seed())


@router.post("/data", status_code=status.HTTP_201_CREATED)
def add_data(eng: EngineDep, actor: ActorDep, body: DataIn) -> dict[str, list[DataDoc] | int]:
    """Attach datasets (uploaded with ``POST /dataset/upload``) to problems: new learning tasks for every
    algorithm of those problems."""
    datasets, problem_ids = body.ids()
    data, made = eng.problems.add_data(actor, datasets, problem_ids)
    return {"new_datas": [DataDoc(**d.to_seed()) for d in data], "new_learnuplets": made}


@router.get("/data")
def datas(eng: EngineDep, actor: ActorDep, uuid: Filter = None, problem: Filter = None) -> dict[str, list[DataDoc]]:
    found = eng.problems.data(actor, _filters(uuid=uuid, problem=problem))
    return {"datas": [DataDoc(**d.to_seed()) for d in found]}


@router.get("/data/{uuid}")
def data(eng: EngineDep, actor: ActorDep, uuid: str) -> DataDoc:
    return DataDoc(**eng.problems.data_item(actor, uuid).to_seed())


@router.get("/learnuplet")
def learnuplets(
    eng: EngineDep,
    actor: ActorDep,
    uuid: Filter = None,
    problem: Filter = None,
    algo: Filter = None,
    status: Annotated[Literal["waiting", "todo", "pending", "done", "failed"] | None, Query()] = None,
    worker: Filter = None,
) -> dict[str, list[LearnupletDoc]]:
    """Learning tasks by problem, algorithm and rank (a worker asks for ``?status=todo``)."""
    found = eng.problems.learnuplets(
        actor, _filters(uuid=uuid, problem=problem, algo=algo, status=status, worker=worker)
    )
    return {"learnuplets": [LearnupletDoc(**t.to_seed()) for t in found]}


@router.get("/learnuplet/{uuid}")
def learnuplet(eng: EngineDep, actor: ActorDep, uuid: str) -> LearnupletDoc:
    return LearnupletDoc(**eng.problems.learnuplet(actor, uuid).to_seed())


@router.post("/prediction", status_code=status.HTTP_201_CREATED)
def predict(eng: EngineDep, actor: ActorDep, body: PredictionIn) -> dict[str, int | list[PredupletDoc]]:
    """A prediction task per dataset with the problem's best model (409 before one is trained)."""
    made = eng.problems.predict(actor, body.problem, body.data)
    return {"new_preduplets": len(made), "preduplets": [PredupletDoc(**p.to_seed()) for p in made]}


@router.get("/preduplet")
def preduplets(
    eng: EngineDep, actor: ActorDep, uuid: Filter = None, problem: Filter = None, data: Filter = None
) -> dict[str, list[PredupletDoc]]:
    found = eng.problems.preduplets(actor, _filters(uuid=uuid, problem=problem, data=data))
    return {"preduplets": [PredupletDoc(**p.to_seed()) for p in found]}


@router.get("/preduplet/{uuid}")
def preduplet(eng: EngineDep, actor: ActorDep, uuid: str) -> PredupletDoc:
    return PredupletDoc(**eng.problems.preduplet(actor, uuid).to_seed())


@router.post("/worker/{uplet_type}/{uplet_uuid}")
def set_worker(
    eng: EngineDep, actor: ActorDep, uplet_type: Literal["learnuplet", "preduplet"], uplet_uuid: str, body: WorkerIn
) -> dict[str, str]:
    """A worker takes a todo task (409 when another took it first). Workers only."""
    return {f"{uplet_type}_worker_set": eng.problems.claim(actor, uplet_type, uplet_uuid, body.worker)}


@router.post("/learndone/{learnuplet_uuid}")
def learn_done(eng: EngineDep, actor: ActorDep, learnuplet_uuid: str, body: LearnDoneIn) -> dict[str, str]:
    """A worker's outcome of a pending learning task; the next rank starts from the best model. Workers only."""
    done = eng.problems.learn_done(
        actor,
        learnuplet_uuid,
        body.status,
        perf=body.perf,
        train_perf=body.train_perf,
        test_perf=body.test_perf,
        error=body.error,
    )
    return {"updated_learnuplet": done}


@router.post("/preddone/{preduplet_uuid}")
def pred_done(eng: EngineDep, actor: ActorDep, preduplet_uuid: str, body: PredDoneIn) -> dict[str, str]:
    """A worker's result file of a pending prediction task. Workers only."""
    return {
        "updated_preduplet": eng.problems.pred_done(actor, preduplet_uuid, body.status, body.prediction_storage_uuid)
    }
