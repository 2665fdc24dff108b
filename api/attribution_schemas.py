"""Request and response models of sample attribution in the shapes of seeds 000/001 (Attribution Engine v2)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, Field

from api.schemas import UtcDatetime
from core import AttributionSample

HASH_EXAMPLE = "b8af48fc5dc8371d6b00b16029e9ab9027e2da86fa6d8dbda181df464226a3a8"
STATES = "pending, running, done, failed, revoked or not_applicable"

Sha256 = Annotated[
    str,
    Path(
        pattern="^[0-9a-fA-F]{64}$",
        description="The sample's id: the SHA-256 of its bytes, 64 hexadecimal characters.",
        examples=[HASH_EXAMPLE],
    ),
]
ModelName = Annotated[
    str,
    Path(
        description="function_similarity, strings_similarity or tlsh_similarity (results: also consensus).",
        examples=["strings_similarity"],
    ),
]


class SampleStateOut(BaseModel):
    """The seed's ``{"sample_id": …}``, with the sample's state."""

    sample_id: str = Field(description="The SHA-256 of the file.", examples=[HASH_EXAMPLE])
    status: str = Field(description=f"The sample's state, summing up its models': {STATES}.")

    @classmethod
    def of(cls, sample: AttributionSample) -> SampleStateOut:
        return cls(sample_id=sample.id, status=sample.state)


class SampleOut(SampleStateOut):
    name: str = Field(description="The file name it was first submitted with.")
    size: int = Field(description="Bytes.")
    submitted_by: str
    submitted_at: UtcDatetime

    @classmethod
    def of(cls, sample: AttributionSample) -> SampleOut:
        return cls(
            sample_id=sample.id,
            status=sample.state,
            name=sample.name,
            size=sample.size,
            submitted_by=sample.owner,
            submitted_at=sample.created_at,
        )


class PhasesOut(BaseModel):
    phase_1: str = Field(description=f"Extraction: {STATES}.")
    phase_2: str = Field(description=f"Similarity search: {STATES}.")


class StatusOut(BaseModel):
    """Seed: Get Status."""

    status: dict[str, str] = Field(description=f"Model name -> its state: {STATES}.")
    detailed_status: dict[str, PhasesOut] = Field(description="Model name -> the state of each phase.")


class FamilyScoreOut(BaseModel):
    family: str
    score: float = Field(description="Similarity, 0 to 1 (the consensus: its calibrated ranking score).")


class ExplanationOut(BaseModel):
    summary: str | None = Field(default=None, description="The result in one or two plain sentences.")
    evidence: dict[str, Any] = Field(default_factory=dict, description="What the model found, by model.")
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per phase.")
    index_revision: str | None = Field(default=None, description="The reference index it was compared with.")


class ResultOut(BaseModel):
    """Seed: Get Results (``model``, ``error_details``, ``sha256_hash``, ``predicted_at``, ``celery_task_id``,
    ``prediction_results``, ``explanation_results``), with the model's version and state."""

    model: str = Field(description="A model name, or consensus: the verdict combining them.")
    error_details: str | None = Field(description="Why there is no result: failed, revoked, or not applicable.")
    sha256_hash: str = Field(examples=[HASH_EXAMPLE])
    predicted_at: UtcDatetime | None
    celery_task_id: str | None = Field(
        description="The job that runs the model (a UUID, for the jobs routes); null for the consensus."
    )
    prediction_results: list[FamilyScoreOut] = Field(description="Families of the reference library, best first.")
    explanation_results: ExplanationOut
    model_version: str
    status: str = Field(description=STATES)
    detailed_status: dict[str, str] = Field(description="phase_1 and phase_2 (empty for the consensus).")

    @classmethod
    def of(cls, entry: dict[str, Any]) -> ResultOut:
        fields = {key: value for key, value in entry.items() if key != "task_id"}
        return cls(**fields, celery_task_id=entry["task_id"])


class RevokedOut(BaseModel):
    """Seed: Revoke Prediction Task."""

    detail: str = Field(examples=["Prediction task 1f0c… revoked"])


class VersionsOut(BaseModel):
    """Seed: Get Versions, for what this product has (one engine, no containers)."""

    description: str
    attribution_api: str = Field(alias="attribution-api", description="This API's version.")
    engine: str = Field(description="The engine's version (the same release as the API).")
    models: dict[str, str] = Field(description="Model name -> its version.")
    library_revision: str | None = Field(description="The tenant's current reference index (null before one).")


class PingOut(BaseModel):
    check: bool = Field(description="Whether the database and the file store work.")
