"""Seed 003 (MLConnector): deployments (``/deployment/*``) served in-process, their operations, and drift checks
(``/drift/*``, not in the seed)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Query, Response, UploadFile, status

from api.deployment_schemas import (
    DeploymentOut,
    DriftCheckOut,
    DriftSubmitted,
    MLDeploymentCreate,
    MLDeploymentOposCreate,
    OperationOut,
    PredictIn,
    PredictOut,
    StatusOut,
)
from api.deps import ActorDep, EngineDep
from api.schemas import Message
from core import safe_csv

router = APIRouter(prefix="/deployment", tags=["deployment"])
drift = APIRouter(prefix="/drift", tags=["drift"])

Skip = Annotated[int, Query(ge=0, le=1_000_000_000, description="Number of items to skip.")]
Limit = Annotated[int, Query(ge=1, le=1000, description="Maximum number of items.")]


@router.get("/all", response_model=list[DeploymentOut])
def all_deployments(eng: EngineDep, actor: ActorDep, skip: Skip = 0, limit: Limit = 100) -> list[DeploymentOut]:
    """Newest first."""
    return [DeploymentOut.of(d) for d in eng.deployments.list(actor, skip=skip, limit=limit)]


@router.post("/add", response_model=DeploymentOut, status_code=status.HTTP_201_CREATED)
def add_deployment(eng: EngineDep, actor: ActorDep, body: MLDeploymentCreate) -> DeploymentOut:
    """Serve a version in this server (no container is started): status ``running`` once it loads, ``failed``
    with the reason otherwise. The seed's ``deployment_id`` becomes its name; its id is a UUID."""
    deployment = eng.deployments.create(
        actor,
        body.modelid,
        version=body.version,
        alias=body.alias,
        owner=body.ownerid,
        placement=body.placement.model_dump(),
        inference_data=bool(body.inference_data),
        name=body.deployment_id or "",
    )
    return DeploymentOut.of(deployment)


@router.post("/add/operation", response_model=OperationOut, status_code=status.HTTP_201_CREATED)
def add_operation(eng: EngineDep, actor: ActorDep, body: MLDeploymentOposCreate) -> OperationOut:
    """Record an inference made elsewhere with the deployment's model; its input rows count for drift."""
    operation = eng.deployments.add_operation(
        actor,
        body.deploymentid,
        data=body.data,
        result=body.result,
        owner=body.ownerid,
        version_id=body.modelid,
        latency_ms=body.latency_ms,
    )
    return OperationOut.of(operation)


@router.get("/get/status/{deployment_id}", response_model=StatusOut)
def deployment_status(eng: EngineDep, actor: ActorDep, deployment_id: str) -> StatusOut:
    return StatusOut.of(eng.deployments.get(actor, deployment_id))


@router.get("/get/opos/{ownerid}", response_model=list[OperationOut])
def operations_of_owner(
    eng: EngineDep, actor: ActorDep, ownerid: str, skip: Skip = 0, limit: Limit = 100
) -> list[OperationOut]:
    """The operations of deployments owned by ``ownerid``, newest first."""
    return [OperationOut.of(o) for o in eng.deployments.operations(actor, owner=ownerid, skip=skip, limit=limit)]


@router.get("/{deployment_id}", response_model=DeploymentOut)
def get_deployment(eng: EngineDep, actor: ActorDep, deployment_id: str) -> DeploymentOut:
    return DeploymentOut.of(eng.deployments.get(actor, deployment_id))


@router.get("/{deployment_id}/operations", response_model=list[OperationOut])
def operations(
    eng: EngineDep, actor: ActorDep, deployment_id: str, skip: Skip = 0, limit: Limit = 100
) -> list[OperationOut]:
    return [
        OperationOut.of(o)
        for o in eng.deployments.operations(actor, deployment_id=deployment_id, skip=skip, limit=limit)
    ]


@router.post("/{deployment_id}/stop", response_model=DeploymentOut)
def stop(eng: EngineDep, actor: ActorDep, deployment_id: str) -> DeploymentOut:
    return DeploymentOut.of(eng.deployments.stop(actor, deployment_id))


@router.post("/{deployment_id}/start", response_model=DeploymentOut)
def start(eng: EngineDep, actor: ActorDep, deployment_id: str) -> DeploymentOut:
    return DeploymentOut.of(eng.deployments.start(actor, deployment_id))


@router.delete("/{deployment_id}", response_model=Message)
def delete_deployment(eng: EngineDep, actor: ActorDep, deployment_id: str) -> Message:
    """Its operations stay in the log."""
    eng.deployments.delete(actor, deployment_id)
    return Message(message="The deployment was deleted.")


@router.post("/{deployment_id}/predict", response_model=PredictOut)
def predict(eng: EngineDep, actor: ActorDep, deployment_id: str, body: PredictIn) -> PredictOut:
    """Seed §4.1: ``{"data": [5.1, 3.5, 1.4, 0.2], "explain": true}`` answers ``{"prediction": [0],
    "explanation": {"feature_importance": [...], "method": "shap"}}``. The call is an operation in the log; 409
    while the deployment is not running."""
    return PredictOut.of(eng.deployments.predict(actor, deployment_id, body.data, explain=body.explain))


@drift.post("/check", response_model=DriftSubmitted, status_code=status.HTTP_202_ACCEPTED)
def check_drift(
    eng: EngineDep,
    actor: ActorDep,
    deployment_id: Annotated[str | None, Query(description="A deployment (its recent inputs by default).")] = None,
    model_id: Annotated[str | None, Query(description="Or a registered model, with a dataset or a file.")] = None,
    dataset_id: Annotated[str | None, Query(description="Compare this dataset.")] = None,
    window: Annotated[int | None, Query(ge=10, le=100_000, description="Latest input rows to compare.")] = None,
    file: Annotated[UploadFile | None, File(description="Or compare this table (CSV, Excel, Parquet).")] = None,
) -> DriftSubmitted:
    """A job comparing the current data with the model's reference (its data artifact, else its training data);
    read the result with ``GET /drift/checks`` or ``/drift/{check_id}`` once the job is done."""
    job = eng.drift.check(
        actor,
        deployment_id=deployment_id,
        model_id=model_id,
        dataset_id=dataset_id,
        filename=file.filename if file else None,
        data=file.file if file else None,
        window=window,
    )
    return DriftSubmitted(message="Drift check job submitted.", job_id=job.id)


@drift.get("/checks", response_model=list[DriftCheckOut])
def drift_checks(
    eng: EngineDep,
    actor: ActorDep,
    model_id: Annotated[str | None, Query()] = None,
    deployment_id: Annotated[str | None, Query()] = None,
    limit: Limit = 100,
) -> list[DriftCheckOut]:
    """Stored checks, newest first: drift over time."""
    return [DriftCheckOut.of(c) for c in eng.drift.checks(actor, model_id, deployment_id, limit)]


@drift.get("/{check_id}", response_model=DriftCheckOut)
def drift_check(eng: EngineDep, actor: ActorDep, check_id: str) -> DriftCheckOut:
    return DriftCheckOut.of(eng.drift.get(actor, check_id))


@drift.get(
    "/{check_id}/csv",
    response_class=Response,
    responses={200: {"description": "The check as CSV.", "content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def drift_csv(eng: EngineDep, actor: ActorDep, check_id: str) -> Response:
    """One row per column (the prediction last), formula-safe."""
    check = eng.drift.get(actor, check_id)
    name = quote(f"drift-{check.model_label}-{check.created_at:%Y%m%d-%H%M%S}.csv")
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{name}"}
    return Response(safe_csv(check.frame()), media_type="text/csv", headers=headers)
