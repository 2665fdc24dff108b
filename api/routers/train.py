"""Seed 004 §8: training. Submit (a job, 202), check a request first, list with states, one training's result,
rename / label, delete; the model's schema, summary and SHAP feature importance. ``train_id`` is the UUID that
``POST /train/`` returns (the training job's); a model's id is accepted too."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from api.data_schemas import ColumnTypeOut
from api.deps import ActorDep, EngineDep
from api.errors import ProblemOut
from api.schemas import Message
from api.train_schemas import (
    ImportanceOut,
    ProblemType,
    SchemaOut,
    ShapJobOut,
    ShapResultOut,
    SummaryOut,
    TrainIn,
    TrainingList,
    TrainingOut,
    TrainingState,
    UpdateIn,
    schema_columns,
)
from core import Actor, Conflict, Engine, InvalidInput, NotFound, Problem, TrainRequest

router = APIRouter(prefix="/train", tags=["train"])

TrainId = Annotated[str, Query(description="The train id POST /train/ returned (or the model's id).")]
DomainFilter = Annotated[str | None, Query(description="Only this domain (ignoring case).")]
ProblemFilter = Annotated[ProblemType | None, Query(description="Only this problem type (auto: not trained yet).")]
StateFilter = Annotated[TrainingState | None, Query(alias="status", description="Only trainings in this state.")]


class DetailColumnOut(ColumnTypeOut):
    attribute_name: str = Field(
        description="What the request would use it as: Id, Target, Feature or Ignored; "
        "a forecast's Time, Series, Exogenous."
    )


class CheckOut(BaseModel):
    """What ``POST /train/`` would do with the request, or why it would refuse it (422 / 409 there)."""

    ok: bool
    problem_type: str | None = None
    reason: str | None = None
    warnings: list[str] = []
    frequency: str | None = None
    season_length: int | None = None
    horizon: int | None = None
    series: int | None = None
    detail: str | None = Field(default=None, description="Why it would be refused.")
    problems: list[ProblemOut] = []


class DetailsOut(BaseModel):
    dataset_id: str
    dataset_name: str
    predictor_name: str
    domain: str | None
    problem_type: str
    dataset_schema: list[ColumnTypeOut]
    attributes: list[str] = Field(description="The roles a column can be given (the seed's list).")
    columns: list[DetailColumnOut] = Field(description="Each column's role in this request (empty: no Target).")
    check: CheckOut | None = Field(description="The engine's verdict on the request; null without a Target.")


def _parent(eng: Engine, actor: Actor, body: TrainIn) -> str | None:
    if body.parent_train_id:
        return eng.models.of_training(actor, body.parent_train_id).id
    return eng.models.latest(actor, body.predictor_name).id if body.is_incremental else None


def _roles(request: TrainRequest, columns: list[str]) -> dict[str, str]:
    """What the request would use each column as."""
    if request.problem_type == "forecast":
        named = {request.time_column: "Time", request.series_column: "Series", request.target: "Target"}
    else:
        every = request.features is None
        named = {c: "Feature" for c in columns if every or c in (request.features or ())}
        named |= {request.id_column: "Id", request.target: "Target"}
    named |= dict.fromkeys(request.exogenous, "Exogenous")
    return {c: named.get(c, "Ignored") for c in columns}


@router.post("/", response_model=TrainingOut, status_code=status.HTTP_202_ACCEPTED)
def train(eng: EngineDep, actor: ActorDep, body: TrainIn) -> TrainingOut:
    """Seed §8.1: checks the request (as ``get_details`` does: 422 / 409 before anything is queued) and starts
    the training job; follow it with ``GET /train/result?train_id=…`` or the list."""
    job = eng.training.submit(actor, body.request(_parent(eng, actor, body)))
    return TrainingOut.of(eng.training.get(actor, job.id), actor.tenant_id)


@router.post("/get_details", response_model=DetailsOut)
def get_details(eng: EngineDep, actor: ActorDep, body: TrainIn) -> DetailsOut:
    """Seed §8.2: the dataset's columns and, when ``columns`` name a Target, each column's role and the check's
    verdict (problem type and why, warnings; for a forecast the frequency, season length, horizon inferred)."""
    dataset = eng.datasets.get(actor, body.dataset_id)
    types = {**dataset.column_types}
    check, roles = None, {}
    if any(c.attribute_name == "Target" for c in body.columns):
        request = body.request(_parent(eng, actor, body))
        types |= dict(request.column_types)
        roles = _roles(request, dataset.columns)
        try:
            verdict = eng.training.check(actor, request)
            check = CheckOut(
                ok=True, **{k: v for k, v in vars(verdict).items() if k != "warnings"}, warnings=list(verdict.warnings)
            )
        except (InvalidInput, Conflict) as refused:
            problems = [ProblemOut(**vars(p)) for p in refused.problems] if isinstance(refused, InvalidInput) else []
            check = CheckOut(ok=False, detail=refused.message, problems=problems)
    return DetailsOut(
        dataset_id=dataset.id,
        dataset_name=dataset.name,
        predictor_name=body.predictor_name,
        domain=body.domain,
        problem_type=body.problem_type,
        dataset_schema=[ColumnTypeOut(column_name=c, data_type=t) for c, t in dataset.column_types.items()],
        attributes=["Id", "Target", "Feature"],
        columns=[DetailColumnOut(column_name=c, data_type=types[c], attribute_name=r) for c, r in roles.items()],
        check=check,
    )


def _list(eng: Engine, actor: Actor, domain: str | None, problem: str | None, state: str | None) -> Response:
    found = eng.training.list(actor, domain=domain, problem_type=problem, status=state)
    body = TrainingList(total=len(found), data=[TrainingOut.of(t, actor.tenant_id) for t in found])
    return Response(body.model_dump_json(), media_type="application/json")  # rows built from engine values


@router.get("/list", response_model=TrainingList)
def list_trainings(
    eng: EngineDep,
    actor: ActorDep,
    domain: DomainFilter = None,
    problem_type: ProblemFilter = None,
    state: StateFilter = None,
) -> Response:
    """Seed §8.3: every model version (ready) and every training without a model yet, newest first."""
    return _list(eng, actor, domain, problem_type, state)


@router.get("/refresh", response_model=TrainingList)
def refresh_trainings(
    eng: EngineDep,
    actor: ActorDep,
    domain: DomainFilter = None,
    problem_type: ProblemFilter = None,
    state: StateFilter = None,
) -> Response:
    """Seed §8.4: the list again. States are read from the database on every request (workers write them),
    so there is nothing to pull from a backend first."""
    return _list(eng, actor, domain, problem_type, state)


@router.get("/result", response_model=TrainingOut)
def training_result(eng: EngineDep, actor: ActorDep, train_id: TrainId) -> TrainingOut:
    """Seed §8.7 as a read: the training's state, metrics and model id, or why it failed. The seed's callback
    (a POST of results) is not served: workers store their results themselves, so no client can post one."""
    return TrainingOut.of(eng.training.get(actor, train_id), actor.tenant_id)


@router.post("/update/", response_model=TrainingOut)
def update_training(eng: EngineDep, actor: ActorDep, body: UpdateIn) -> TrainingOut:
    """Seed §8.6 with what can change: the predictor's name (every version), the version's domain and
    description. ``preprocess_id`` is refused: there are no separate preprocessing steps to swap in."""
    if body.preprocess_id is not None:
        raise InvalidInput(
            "preprocess_id is not supported: preprocessing is part of each model.",
            [Problem("not supported", field="preprocess_id")],
        )
    model = eng.models.of_training(actor, body.train_id)
    eng.models.update(actor, model.id, name=body.predictor_name, domain=body.domain, description=body.description)
    return TrainingOut.of(eng.training.get(actor, model.id), actor.tenant_id)


@router.delete("/delete/{train_id}", response_model=Message)
def delete_training(eng: EngineDep, actor: ActorDep, train_id: str) -> Message:
    """Seed §8.5: deletes the model version and its files; 409 while the training (or a job using the model)
    is unfinished, and for a training that made no model (cancel a running one through the jobs)."""
    eng.models.delete(actor, eng.models.of_training(actor, train_id).id)
    return Message(message="The training's model was deleted.")


@router.get("/download-schema/{train_id}", response_model=SchemaOut, response_model_by_alias=True)
def download_schema(eng: EngineDep, actor: ActorDep, train_id: str) -> SchemaOut:
    """Seed §8.8: the columns the model was trained with, and its full schema."""
    model = eng.models.of_training(actor, train_id)
    document = json.loads(eng.models.schema_json(actor, model.id))
    return SchemaOut.model_validate(
        {
            "train_id": train_id,
            "model_id": model.id,
            "model": model.label,
            "schema": schema_columns(model),
            "model_schema": document,
        }
    )


@router.get("/view-feature-importance", response_model=ImportanceOut)
def view_feature_importance(eng: EngineDep, actor: ActorDep, train_id: TrainId) -> ImportanceOut:
    """Seed §8.9: the stored SHAP importance (computed while training or by ``generate-feature-importance``)."""
    model = eng.models.of_training(actor, train_id)
    return ImportanceOut.of(train_id, model.id, eng.models.importance(actor, model.id))


@router.post("/generate-feature-importance", response_model=ShapJobOut, status_code=status.HTTP_202_ACCEPTED)
def generate_feature_importance(
    eng: EngineDep,
    actor: ActorDep,
    train_id: TrainId,
    sample_rows: Annotated[int, Query(ge=10, le=50_000, description="Training rows to explain.")] = 2000,
) -> ShapJobOut:
    """Seed §8.10 as a POST (it starts a job; the seed's GET would let a link or a prefetch start one). Follow
    it with ``GET /train/shap-result?train_id=…&job_id=…``; it replaces the stored importance when done."""
    model = eng.models.of_training(actor, train_id)
    job = eng.models.explain(actor, model.id, sample_rows)
    return ShapJobOut(message="Feature importance job submitted successfully.", shap_job_id=job.id, job_id=job.id)


@router.get("/shap-result", response_model=ShapResultOut)
def shap_result(
    eng: EngineDep,
    actor: ActorDep,
    train_id: TrainId,
    job_id: Annotated[str | None, Query(description="A generate-feature-importance job, to follow it.")] = None,
) -> ShapResultOut:
    """Seed §8.11 as a read (its callback is not served: the job stores the result itself): the stored
    importance and, with ``job_id``, the state of the job computing a new one (until it succeeds, the
    importance shown is the previous one, if any)."""
    model = eng.models.of_training(actor, train_id)
    job = eng.jobs.get(actor, job_id) if job_id else None
    if job is not None and (job.kind != "explain_model" or job.params.get("model_id") != model.id):
        raise NotFound("That job does not exist.")
    base = ImportanceOut.of(train_id, model.id, eng.models.importance(actor, model.id))
    if job is None:
        return ShapResultOut(**base.model_dump())
    return ShapResultOut(
        **base.model_dump(),
        job_id=job.id,
        job_status=str(job.status),
        progress=job.progress,
        message=job.error or job.message,
    )


@router.delete("/delete-feature-importance/{train_id}", response_model=Message)
def delete_feature_importance(eng: EngineDep, actor: ActorDep, train_id: str) -> Message:
    """Seed §8.12: the stored importance and its per-row SHAP values go; the model stays."""
    eng.models.delete_importance(actor, eng.models.of_training(actor, train_id).id)
    return Message(message="The feature importance was deleted.")


@router.get("/model-summary", response_model=SummaryOut)
def model_summary(eng: EngineDep, actor: ActorDep, train_id: TrainId) -> SummaryOut:
    """Seed §10.5: held-out metrics (a classifier's precision and recall macro and per class), confusion matrix."""
    model = eng.models.of_training(actor, train_id)
    return SummaryOut.of(train_id, eng.models.summary(actor, model.id))
