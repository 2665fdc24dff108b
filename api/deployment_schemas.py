"""Request and response models of deployments, their operations and drift checks (seed 003's
``MLDeploymentCreate``, ``MLDeploymentReturn``, ``MLDeploymentOposCreate``, ``MLDeploymentOposReturn``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.registry_schemas import Placement
from api.schemas import UtcDatetime
from core import Deployment, DriftCheck, Operation, ServedPrediction


class MLDeploymentCreate(BaseModel):
    modelid: str = Field(description="A registered model (its newest version, or `version` / `alias`) or a version id.")
    ownerid: str | None = Field(default=None, max_length=100, description="Who the deployment is for (default: you).")
    placement: Placement = Field(default_factory=Placement, description="Kept as metadata: served on this server.")
    deployment_id: str | None = Field(
        default=None, max_length=100, description="A name for it; the deployment's id is a UUID the server gives."
    )
    inference_data: int | bool = Field(default=1, description="1: keep each call's input rows (drift needs them).")
    version: int | None = Field(default=None, ge=1, description="Serve this version number (pinned).")
    alias: str | None = Field(
        default=None, max_length=64, description="Follow this alias (champion, …; latest: the newest version)."
    )


class DeploymentOut(BaseModel):
    """The seed's MLDeploymentReturn."""

    deployment_id: str
    name: str
    modelid: str
    modelname: str
    alias: str | None
    version_id: str | None = Field(description="The version served now.")
    version: int | None
    ownerid: str
    placement: Placement
    inference_data: int
    status: str = Field(description="pending, running, stopped or failed (reason says why).")
    reason: str
    operations: int
    created_by: str
    created_at: UtcDatetime
    updated_at: UtcDatetime

    @classmethod
    def of(cls, d: Deployment) -> DeploymentOut:
        return cls(
            deployment_id=d.id,
            name=d.name,
            modelid=d.model_id,
            modelname=d.model_name,
            alias=d.alias,
            version_id=d.version_id,
            version=d.version,
            ownerid=d.owner,
            placement=Placement(**d.placement),
            inference_data=int(d.inference_data),
            status=d.status,
            reason=d.reason,
            operations=d.operations,
            created_by=d.created_by,
            created_at=d.created_at,
            updated_at=d.updated_at,
        )


class StatusOut(BaseModel):
    deployment_id: str
    status: str
    reason: str
    modelid: str
    version: int | None
    alias: str | None

    @classmethod
    def of(cls, d: Deployment) -> StatusOut:
        return cls(
            deployment_id=d.id, status=d.status, reason=d.reason, modelid=d.model_id, version=d.version, alias=d.alias
        )


class MLDeploymentOposCreate(BaseModel):
    ownerid: str | None = Field(default=None, max_length=100, description="Default: the deployment's owner.")
    deploymentid: str
    modelid: str | None = Field(default=None, description="The version used (default: the one served now).")
    data: Any = Field(default=None, description="The input: rows, or JSON text of them.")
    result: Any = Field(default=None, description="The output, or JSON text of it.")
    latency_ms: float = Field(default=0, ge=0, le=86_400_000)


class OperationOut(BaseModel):
    """The seed's MLDeploymentOposReturn."""

    id: str
    ownerid: str
    deploymentid: str
    modelid: str | None = Field(description="The version used.")
    model_label: str
    data: Any = Field(description="The input rows (null when the deployment keeps no inference data).")
    result: Any
    rows: int
    latency_ms: float
    source: str = Field(description="served (by this server) or external (recorded).")
    user: str
    created_at: UtcDatetime
    warnings: list[str] = Field(
        default_factory=list,
        description="The warnings the call returned (raw values the recipe could not cast first); of many, the "
        "first, each cut short.",
    )

    @classmethod
    def of(cls, o: Operation) -> OperationOut:
        return cls(
            id=o.id,
            ownerid=o.owner,
            deploymentid=o.deployment_id,
            modelid=o.version_id,
            model_label=o.model_label,
            data=o.inputs,
            result=o.result,
            rows=o.rows,
            latency_ms=o.latency_ms,
            source=o.source,
            user=o.user,
            created_at=o.created_at,
            warnings=list(o.warnings),
        )


class PredictIn(BaseModel):
    data: Any = Field(
        description="One row (an object by feature name, or a list of values in feature order) or a list of rows."
    )
    explain: bool = False


class ExplanationOut(BaseModel):
    feature_importance: list[Any] = Field(description="SHAP values in feature order (a list per row for several).")
    method: str = "shap"
    features: list[str]
    base_value: float | list[float] = Field(description="What the values add up from (per row for several).")
    output_space: str | None = None


class PredictOut(BaseModel):
    prediction: list[Any]
    probabilities: list[dict[str, float]] | None = None
    explanation: ExplanationOut | None = None
    model_version: str
    version_id: str
    latency_ms: float
    operation_id: str
    warnings: list[str] = Field(
        description="Notes on the rows: per column, raw values the recipe could not cast (scored as missing) first."
    )

    @classmethod
    def of(cls, p: ServedPrediction) -> PredictOut:
        return cls(
            prediction=p.prediction,
            probabilities=p.probabilities,
            explanation=ExplanationOut(**p.explanation) if p.explanation else None,
            model_version=p.model_label,
            version_id=p.version_id,
            latency_ms=p.latency_ms,
            operation_id=p.operation_id,
            warnings=list(p.warnings),
        )


class DriftSubmitted(BaseModel):
    status: str = "success"
    message: str
    job_id: str


class DriftCheckOut(BaseModel):
    id: str
    model_id: str
    deployment_id: str | None
    version_id: str | None
    model_label: str
    job_id: str | None
    source: str = Field(description="operations, dataset or file: what was compared with the reference.")
    reference: str = Field(description="data artifact or training data.")
    reference_rows: int
    current_rows: int
    drifted: bool
    drifted_share: float
    drifted_columns: list[str]
    columns: list[dict[str, Any]] = Field(description="Per column (the prediction last): test, statistic, threshold, …")
    multivariate: dict[str, Any] | None
    prediction: dict[str, Any] | None
    rule: dict[str, Any]
    user: str
    created_at: UtcDatetime

    @classmethod
    def of(cls, c: DriftCheck) -> DriftCheckOut:
        return cls(
            id=c.id,
            model_id=c.model_id,
            deployment_id=c.deployment_id,
            version_id=c.version_id,
            model_label=c.model_label,
            job_id=c.job_id,
            source=c.source,
            reference=c.reference,
            reference_rows=c.reference_rows,
            current_rows=c.current_rows,
            drifted=c.drifted,
            drifted_share=c.drifted_share,
            drifted_columns=c.drifted_columns,
            columns=list(c.columns),
            multivariate=c.multivariate,
            prediction=c.prediction,
            rule=c.rule,
            user=c.user,
            created_at=c.created_at,
        )
