"""Seeds 000/001: sample attribution. Submit a file, follow each model's phases, read the results, revoke, delete a
model's result, run failed or revoked models again, versions, ping. The engine does the queueing and storage the
seed's internal routes expose, so those are not served."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile

from api.attribution_schemas import (
    ModelName,
    PingOut,
    ResultOut,
    RevokedOut,
    SampleOut,
    SampleStateOut,
    Sha256,
    StatusOut,
    VersionsOut,
)
from api.deps import ActorDep, EngineDep
from api.schemas import Message
from core import APP_VERSION

router = APIRouter(prefix="/attribution", tags=["attribution"])


@router.get("/ping", response_model=PingOut)
def ping(eng: EngineDep) -> PingOut:
    """Seed: Ping. Open without a token; ``check`` is false when the database or the file store fails."""
    return PingOut(check=eng.health.alive())


@router.post("/sample", response_model=SampleStateOut)
def submit_sample(
    eng: EngineDep,
    actor: ActorDep,
    sample: Annotated[UploadFile, File(description="Any file; function similarity reads x86-64 ELF binaries.")],
) -> SampleStateOut:
    """Seed: Submit Sample. One job per model starts; the same bytes again answer the same ``sample_id`` (the models
    that failed or were revoked run again). 422 without a reference index, or for an empty file."""
    return SampleStateOut.of(eng.attribution.submit(actor, sample.filename or "sample", sample.file))


@router.get("/samples", response_model=list[SampleOut])
def list_samples(eng: EngineDep, actor: ActorDep) -> list[SampleOut]:
    """Not in the seed: the tenant's samples, newest first (the Samples page's list)."""
    return [SampleOut.of(sample) for sample in eng.attribution.list_samples(actor)]


@router.get("/status/{sha256_hash}", response_model=StatusOut)
def get_status(eng: EngineDep, actor: ActorDep, sha256_hash: Sha256) -> StatusOut:
    """Seed: Get Status: each model's state, and each of its phases'."""
    return StatusOut.model_validate(eng.attribution.status(actor, sha256_hash))


@router.get("/results/{sha256_hash}", response_model=list[ResultOut])
def get_all_results(eng: EngineDep, actor: ActorDep, sha256_hash: Sha256) -> list[ResultOut]:
    """Seed: Read Predictions, for users: the consensus verdict first, then each model's result."""
    return [ResultOut.of(entry) for entry in eng.attribution.results(actor, sha256_hash)]


@router.get("/results/{model_name}/{sha256_hash}", response_model=ResultOut)
def get_results(eng: EngineDep, actor: ActorDep, model_name: ModelName, sha256_hash: Sha256) -> ResultOut:
    """Seed: Get Results of one model (or of the consensus); 404 for a model the sample has no result of."""
    return ResultOut.of(eng.attribution.result(actor, sha256_hash, model_name))


@router.post("/revoke/{sha256_hash}", response_model=SampleStateOut)
def revoke_sample(eng: EngineDep, actor: ActorDep, sha256_hash: Sha256) -> SampleStateOut:
    """Seed: Revoke Task: stops every model still at work (they keep no result); 409 once all have finished."""
    return SampleStateOut.of(eng.attribution.revoke(actor, sha256_hash))


@router.post("/revoke/{model_name}/{sha256_hash}", response_model=RevokedOut)
def revoke_model(eng: EngineDep, actor: ActorDep, model_name: ModelName, sha256_hash: Sha256) -> RevokedOut:
    """Seed: Revoke Prediction Task: stops one model (409 once it has finished)."""
    sample = eng.attribution.revoke(actor, sha256_hash, model_name)
    job_id = next(run.job_id for run in sample.runs if run.model == model_name)
    return RevokedOut(detail=f"Prediction task {job_id} revoked")


@router.delete("/prediction/{model_name}/{sha256_hash}", response_model=Message)
def delete_prediction(eng: EngineDep, actor: ActorDep, model_name: ModelName, sha256_hash: Sha256) -> Message:
    """Seed: Delete prediction: the model's result is dropped (stopped first if still at work); its status becomes
    revoked until it is run again."""
    eng.attribution.delete_prediction(actor, sha256_hash, model_name)
    return Message(message=f"The prediction of {model_name} was deleted.")


@router.post("/rerun/{sha256_hash}", response_model=SampleStateOut)
def rerun_sample(eng: EngineDep, actor: ActorDep, sha256_hash: Sha256) -> SampleStateOut:
    """Not in the seed (the Samples page's Run again): queues again the models that failed, were revoked or whose
    prediction was deleted; 409 when there are none."""
    return SampleStateOut.of(eng.attribution.rerun(actor, sha256_hash))


@router.delete("/sample/{sha256_hash}", response_model=Message)
def delete_sample(eng: EngineDep, actor: ActorDep, sha256_hash: Sha256) -> Message:
    """Not in the seed (the Samples page's Delete): the sample, its results and its file."""
    eng.attribution.delete(actor, sha256_hash)
    return Message(message="The sample was deleted.")


@router.get("/versions", response_model=VersionsOut)
def get_versions(eng: EngineDep, actor: ActorDep) -> VersionsOut:
    """Seed: Get Versions: this API's, the engine's and each model's version, and the reference index revision."""
    versions = eng.attribution.versions(actor)
    return VersionsOut.model_validate(
        {"description": "DataML Studio sample attribution", "attribution-api": APP_VERSION, **versions}
    )
