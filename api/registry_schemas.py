"""Request and response models of the registry, deployments and drift in the seed's shape (seed 003: MLConnector),
with UUIDs: ``modelname``, ``modelkind``, ``hyperparameter`` [{parameter, value}], ``modelperformance`` [{metric,
order, threshold}], ``trainingresource`` / ``runresource`` [{resource_name, value, deploy}], ``featurelist``,
``inference`` [{type, value}], ``modeltags``, ``drift_detection`` [{is_true, method}] (method 0 auto, 1 test,
2 distance)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.schemas import UtcDatetime
from core import (
    DRIFT_METHODS,
    AliasMove,
    Artifact,
    InvalidInput,
    ModelVersion,
    Problem,
    RegisteredModel,
)


class Hyperparameter(BaseModel):
    parameter: str = Field(max_length=200)
    value: Any = None


class PerformanceIn(BaseModel):
    metric: str = Field(max_length=100)
    order: int = Field(default=1, ge=0, le=1000, description="The metric's rank among the declared ones (1 first).")
    threshold: float | None = Field(default=None, description="The value the model is expected to reach.")


class ResourceIn(BaseModel):
    resource_name: str = Field(max_length=100)
    value: float | str | None = None
    deploy: str = Field(default="", max_length=200)


class InferenceIn(BaseModel):
    type: str = Field(max_length=100)
    value: Any = None


class DriftIn(BaseModel):
    is_true: int | bool = Field(default=0, description="1: check drift by itself every `every` operations.")
    method: int | str = Field(
        default=0,
        description="0 auto (a test for small samples, a distance for large), "
        "1 test (KS / chi-squared), 2 distance (Wasserstein / Jensen–Shannon); names too.",
    )
    every: int | None = Field(default=None, description="Operations of a deployment between automatic checks.")
    window: int | None = Field(default=None, description="Latest input rows a check compares.")
    share: float | None = Field(default=None, description="Share of drifted columns that makes the data drift.")

    def settings(self) -> dict[str, Any]:
        values = {"enabled": bool(self.is_true), "method": self.method}
        return values | {
            k: v for k, v in {"every": self.every, "window": self.window, "share": self.share}.items() if v is not None
        }


class _Metadata(BaseModel):
    description: str | None = Field(default=None, max_length=10_000)
    hyperparameter: list[Hyperparameter] | None = None
    modelperformance: list[PerformanceIn] | None = None
    trainingresource: list[ResourceIn] | None = None
    runresource: list[ResourceIn] | None = None
    featurelist: list[str | dict[str, Any]] | None = Field(
        default=None, description="Input columns in model order: names, or objects with `feature_name` (or `name`)."
    )
    inference: list[InferenceIn] | None = None
    modeltags: list[str] | None = None
    drift_detection: list[DriftIn] | None = Field(default=None, description="One setting (the seed's list of one).")

    def metadata(self) -> dict[str, Any]:
        """The engine's metadata fields of what was sent (fields left out are not changed)."""
        out: dict[str, Any] = {}
        if self.description is not None:
            out["description"] = self.description
        if self.hyperparameter is not None:
            out["hyperparameters"] = {h.parameter: h.value for h in self.hyperparameter}
        if self.modelperformance is not None:
            out["performance"] = [p.model_dump() for p in self.modelperformance]
        for field, name in (("trainingresource", "training_resources"), ("runresource", "run_resources")):
            if (resources := getattr(self, field)) is not None:
                out[name] = [{"name": r.resource_name, "value": r.value, "deploy": r.deploy} for r in resources]
        if self.featurelist is not None:
            out["features"] = [_feature(f) for f in self.featurelist]
        if self.inference is not None:
            out["inference"] = {i.type: i.value for i in self.inference}
        if self.modeltags is not None:
            out["tags"] = self.modeltags
        if self.drift_detection:
            out["drift"] = self.drift_detection[0].settings()
        return out


def _feature(value: str | dict[str, Any]) -> str:
    name = value if isinstance(value, str) else value.get("feature_name", value.get("name"))
    if not isinstance(name, str):
        raise InvalidInput(
            "A feature is a name, or an object with feature_name.", [Problem("no name", field="featurelist")]
        )
    return name


class MLModelCreate(_Metadata):
    modelname: str = Field(max_length=100)
    modelkind: str = Field(
        max_length=40,
        description="classification, regression, forecast or clustering (the seed's Classifier / Regressor too).",
    )


class MLModelUpdate(_Metadata):
    """Partial: what is left out is kept. ``modelname`` / ``modelkind`` only for models registered from outside."""

    modelname: str | None = Field(default=None, max_length=100)
    modelkind: str | None = Field(default=None, max_length=40)

    def changes(self) -> dict[str, Any]:
        extra = {"name": self.modelname, "kind": self.modelkind}
        return self.metadata() | {k: v for k, v in extra.items() if v is not None}


class DriftOut(BaseModel):
    is_true: int
    method: int
    method_name: str
    every: int
    window: int
    share: float


class MLModelOut(BaseModel):
    """A registered model. ``origin``: trained (here; its versions are trained models) or external."""

    id: str
    modelname: str
    modelkind: str
    origin: str
    description: str
    hyperparameter: list[Hyperparameter]
    modelperformance: list[PerformanceIn]
    trainingresource: list[ResourceIn]
    runresource: list[ResourceIn]
    featurelist: list[str]
    inference: list[InferenceIn]
    modeltags: list[str]
    drift_detection: list[DriftOut]
    training_placement: dict[str, Any]
    versions: int
    latest_version: int | None
    aliases: dict[str, int] = Field(description="alias -> version number")
    deployments: int
    reference: str | None = Field(description="What drift is measured against: data artifact, training data, none.")
    owner: str
    created_at: UtcDatetime
    updated_at: UtcDatetime

    @classmethod
    def of(cls, model: RegisteredModel) -> MLModelOut:
        meta, drift = model.metadata, model.metadata.drift
        return cls(
            id=model.id,
            modelname=model.name,
            modelkind=model.kind,
            origin=model.origin,
            description=meta.description,
            hyperparameter=[Hyperparameter(parameter=k, value=v) for k, v in meta.hyperparameters.items()],
            modelperformance=[PerformanceIn(**vars(p)) for p in meta.performance],
            trainingresource=[
                ResourceIn(resource_name=r.name, value=r.value, deploy=r.deploy) for r in meta.training_resources
            ],
            runresource=[ResourceIn(resource_name=r.name, value=r.value, deploy=r.deploy) for r in meta.run_resources],
            featurelist=list(meta.features),
            inference=[InferenceIn(type=k, value=v) for k, v in meta.inference.items()],
            modeltags=list(meta.tags),
            drift_detection=[
                DriftOut(
                    is_true=int(drift.enabled),
                    method=DRIFT_METHODS.index(drift.method),
                    method_name=drift.method,
                    every=drift.every,
                    window=drift.window,
                    share=drift.share,
                )
            ],
            training_placement=dict(meta.training_placement),
            versions=model.versions,
            latest_version=model.latest_version,
            aliases=dict(model.aliases),
            deployments=model.deployments,
            reference=model.reference,
            owner=model.owner,
            created_at=model.created_at,
            updated_at=model.updated_at,
        )


class ArtifactOut(BaseModel):
    """The seed's FileSchema: a file of a registered model (a ``model`` file is a version's)."""

    id: str
    model_id: str
    file_kind: str
    file_id: str = Field(description="Download with GET /files/download/?file_id=… (model files: models:download).")
    file_name: str
    size: int
    version: int | None
    owner: str
    created_at: UtcDatetime

    @classmethod
    def of(cls, a: Artifact) -> ArtifactOut:
        return cls(
            id=a.id,
            model_id=a.model_id,
            file_kind=a.kind,
            file_id=a.file_id,
            file_name=a.name,
            size=a.size,
            version=a.version,
            owner=a.owner,
            created_at=a.created_at,
        )


class VersionOut(BaseModel):
    id: str = Field(description="A trained model's id, or an uploaded version's.")
    model_id: str
    modelname: str
    version: int
    origin: str
    modelkind: str
    description: str
    tags: list[str]
    aliases: list[str]
    metrics: dict[str, float | None]
    estimator: str
    featurelist: list[str]
    owner: str
    created_at: UtcDatetime

    @classmethod
    def of(cls, v: ModelVersion) -> VersionOut:
        return cls(
            id=v.id,
            model_id=v.model_id,
            modelname=v.name,
            version=v.version,
            origin=v.origin,
            modelkind=v.kind,
            description=v.description,
            tags=list(v.tags),
            aliases=list(v.aliases),
            metrics=dict(v.metrics),
            estimator=v.estimator,
            featurelist=list(v.features),
            owner=v.owner,
            created_at=v.created_at,
        )


class VersionNotes(BaseModel):
    description: str | None = Field(default=None, max_length=10_000)
    tags: list[str] | None = None


class AliasIn(BaseModel):
    version: int | str = Field(description="A version number, or a version's id.")


class AliasMoveOut(BaseModel):
    alias: str
    from_version: int | None = Field(description="null: the alias was set.")
    to_version: int | None = Field(description="null: the alias was removed.")
    user: str
    created_at: UtcDatetime

    @classmethod
    def of(cls, m: AliasMove) -> AliasMoveOut:
        return cls(
            alias=m.alias, from_version=m.from_version, to_version=m.to_version, user=m.user, created_at=m.created_at
        )


class Placement(BaseModel):
    clusterID: str = Field(default="*", min_length=1, max_length=100)
    node: str = Field(default="*", min_length=1, max_length=100)
    continuum: bool = False


class MLTrainCreate(BaseModel):
    modelid: str = Field(description="A registered model trained here (its next version is trained).")
    placement: Placement = Field(default_factory=Placement, description="Kept as metadata: jobs run on this server.")
    dataset_id: str | None = Field(default=None, description="Train on this dataset (default: the latest version's).")
    time_budget_s: float = Field(default=60, ge=1, le=3600)


class MLTrainOut(BaseModel):
    train_id: str = Field(description="The training job's id (follow it with the jobs routes).")
    modelid: str
    status: str
    placement: Placement
