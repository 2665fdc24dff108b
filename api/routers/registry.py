"""Seed 003 (MLConnector): the model registry (``/model/*``) and training a registered model's next version
(``/mltraining/add``). Every model trained here is listed too; ids are UUIDs."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status

from api.deps import ActorDep, EngineDep
from api.registry_schemas import (
    AliasIn,
    AliasMoveOut,
    ArtifactOut,
    MLModelCreate,
    MLModelOut,
    MLModelUpdate,
    MLTrainCreate,
    MLTrainOut,
    VersionNotes,
    VersionOut,
)
from api.schemas import Message

router = APIRouter(prefix="/model", tags=["model"])
training = APIRouter(prefix="/mltraining", tags=["mltraining"])

Skip = Annotated[int, Query(ge=0, le=1_000_000_000, description="Number of items to skip.")]
Limit = Annotated[int, Query(ge=1, le=1000, description="Maximum number of items.")]
FileKind = Literal["model", "data", "code", "env", "environment"]


@router.post("/add", response_model=MLModelOut, status_code=status.HTTP_201_CREATED)
def add_model(eng: EngineDep, actor: ActorDep, body: MLModelCreate) -> MLModelOut:
    """Register a model trained elsewhere (step 1: metadata); then upload its files (step 2). 409 when the name
    is already registered (a model trained here is registered by its name)."""
    return MLModelOut.of(eng.registry.register(actor, body.modelname, body.modelkind, body.metadata()))


@router.post("/{model_id}/upload", response_model=ArtifactOut, status_code=status.HTTP_201_CREATED)
def upload_file(
    eng: EngineDep,
    actor: ActorDep,
    model_id: str,
    file: Annotated[UploadFile, File(description="The file.")],
    file_kind: Annotated[FileKind, Form(description="model (a skops file), data, code or env.")],
) -> ArtifactOut:
    """``model``: a skops file (``skops.io.dump(model, "model.skops")``), the next version; a pickle (.pkl) is
    refused (422) unopened. ``data``: the training data (CSV, Excel, Parquet), the drift reference and SHAP
    background. ``code`` / ``env``: kept, never run."""
    artifact = eng.registry.upload(actor, model_id, file_kind, file.filename or "upload", file.file)
    return ArtifactOut.of(artifact)


@router.get("/all", response_model=list[MLModelOut])
def all_models(eng: EngineDep, actor: ActorDep, skip: Skip = 0, limit: Limit = 100) -> list[MLModelOut]:
    return [MLModelOut.of(m) for m in eng.registry.list(actor, skip=skip, limit=limit)]


@router.get("/getkind/{modelkind}", response_model=list[MLModelOut])
def models_of_kind(
    eng: EngineDep, actor: ActorDep, modelkind: str, skip: Skip = 0, limit: Limit = 100
) -> list[MLModelOut]:
    """classification, regression, forecast or clustering (the seed's Regressor … too); 422 for another."""
    return [MLModelOut.of(m) for m in eng.registry.list(actor, skip=skip, limit=limit, kind=modelkind)]


@router.get("/search", response_model=list[MLModelOut])
def search_models(
    eng: EngineDep,
    actor: ActorDep,
    tags: Annotated[list[str], Query(description="Every tag must be among the model's (ignoring case).")] = [],  # noqa: B006
    skip: Skip = 0,
    limit: Limit = 100,
) -> list[MLModelOut]:
    return [MLModelOut.of(m) for m in eng.registry.list(actor, skip=skip, limit=limit, tags=tags)]


@router.get("/{model_id}", response_model=MLModelOut)
def get_model(eng: EngineDep, actor: ActorDep, model_id: str) -> MLModelOut:
    return MLModelOut.of(eng.registry.get(actor, model_id))


@router.patch("/{model_id}", response_model=MLModelOut)
def update_model(eng: EngineDep, actor: ActorDep, model_id: str, body: MLModelUpdate) -> MLModelOut:
    """Partial: fields left out are kept; the updated model comes back."""
    return MLModelOut.of(eng.registry.update(actor, model_id, body.changes()))


@router.delete("/{model_id}", response_model=Message)
def delete_model(eng: EngineDep, actor: ActorDep, model_id: str) -> Message:
    """409 while a deployment serves it; its versions (trained ones too), files and aliases go with it."""
    eng.registry.delete(actor, model_id)
    return Message(message="The model was deleted.")


@router.get("/{model_id}/artifacts", response_model=list[ArtifactOut])
def artifacts(eng: EngineDep, actor: ActorDep, model_id: str) -> list[ArtifactOut]:
    return [ArtifactOut.of(a) for a in eng.registry.artifacts(actor, model_id)]


@router.get("/{model_id}/versions", response_model=list[VersionOut])
def versions(eng: EngineDep, actor: ActorDep, model_id: str) -> list[VersionOut]:
    """Newest first, each with its aliases."""
    return [VersionOut.of(v) for v in eng.registry.versions(actor, model_id)]


@router.patch("/version/{version_id}", response_model=VersionOut)
def describe_version(eng: EngineDep, actor: ActorDep, version_id: str, body: VersionNotes) -> VersionOut:
    return VersionOut.of(eng.registry.describe_version(actor, version_id, body.description, body.tags))


@router.get(
    "/version/{version_id}/card",
    response_class=Response,
    responses={200: {"description": "The model card.", "content": {"text/markdown": {"schema": {"type": "string"}}}}},
)
def model_card(eng: EngineDep, actor: ActorDep, version_id: str) -> Response:
    """A version's model card (Markdown): purpose, data, metrics, importance, limits, lineage, deployments."""
    card = eng.registry.card(actor, version_id)
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(f'model-card-{version_id}.md')}"}
    return Response(card, media_type="text/markdown", headers=headers)


@router.put("/{model_id}/alias/{alias}", response_model=VersionOut)
def set_alias(eng: EngineDep, actor: ActorDep, model_id: str, alias: str, body: AliasIn) -> VersionOut:
    """Point the alias (champion, challenger, any name) at a version; deployments following it serve that version
    from their next call, and the move is kept in the alias history."""
    return VersionOut.of(eng.registry.set_alias(actor, model_id, alias, body.version))


@router.delete("/{model_id}/alias/{alias}", response_model=Message)
def remove_alias(eng: EngineDep, actor: ActorDep, model_id: str, alias: str) -> Message:
    eng.registry.remove_alias(actor, model_id, alias)
    return Message(message="The alias was removed.")


@router.get("/{model_id}/aliases/history", response_model=list[AliasMoveOut])
def alias_history(
    eng: EngineDep, actor: ActorDep, model_id: str, alias: Annotated[str | None, Query()] = None
) -> list[AliasMoveOut]:
    """Every move of the model's aliases, oldest first: who moved which alias from which version to which."""
    return [AliasMoveOut.of(m) for m in eng.registry.alias_history(actor, model_id, alias)]


@training.post("/add", response_model=MLTrainOut, status_code=status.HTTP_201_CREATED)
def add_training(eng: EngineDep, actor: ActorDep, body: MLTrainCreate) -> MLTrainOut:
    """Train the next version of a model trained here (same target and features). The placement is kept with the
    model: trainings run as jobs on this server. Models registered from outside are not retrained (409): their
    code is never run."""
    job = eng.registry.train(
        actor,
        body.modelid,
        dataset_id=body.dataset_id,
        placement=body.placement.model_dump(),
        time_budget_s=body.time_budget_s,
    )
    return MLTrainOut(train_id=job.id, modelid=body.modelid, status=str(job.status), placement=body.placement)
