"""The model registry: registered models (a predictor name) with their metadata, versions, aliases and the history
of every alias move, artifacts; deployments serving a version, their operations; drift checks.

A model trained here is registered by its name without any extra step (its versions are its ``Model`` rows);
a model registered from outside gets its versions from uploaded skops files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

MODEL_KINDS = ("classification", "regression", "forecast", "clustering")
ARTIFACT_KINDS = ("model", "data", "code", "env")
DRIFT_METHODS = ("auto", "test", "distance")  # the seed's integers 0, 1, 2, in this order
DEPLOYMENT_STATES = ("pending", "running", "stopped", "failed")


@dataclass(frozen=True)
class Performance:
    """A declared performance: ``metric`` (e.g. accuracy), its ``order`` among the declared ones (1 first) and the
    ``threshold`` the model is expected to reach."""

    metric: str
    order: int = 1
    threshold: float | None = None


@dataclass(frozen=True)
class Resource:
    """A training or run resource (``GPU``, 16, where it is deployed)."""

    name: str
    value: float | str | None = None
    deploy: str = ""


@dataclass(frozen=True)
class DriftSettings:
    """``enabled``: a drift check runs by itself every ``every`` operations of a deployment (its ``window``
    latest input rows against the reference). ``method``: ``auto`` (a test for small samples, a distance for large,
    see ``core.monitoring``), ``test`` (always KS / chi-squared), ``distance`` (always Wasserstein /
    Jensen–Shannon); ``share``: the share of drifted columns that makes the data drift."""

    enabled: bool = False
    method: str = "auto"
    every: int = 100
    window: int = 1000
    share: float = 0.5

    def to_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "method": self.method,
            "every": self.every,
            "window": self.window,
            "share": self.share,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> DriftSettings:
        data = data or {}
        return cls(
            enabled=bool(data.get("enabled", False)),
            method=str(data.get("method") or "auto"),
            every=int(data.get("every") or 100),
            window=int(data.get("window") or 1000),
            share=float(data.get("share") or 0.5),
        )


@dataclass(frozen=True)
class ModelMetadata:
    """What a registered model declares (the seed's ``MLModelCreate`` fields). For a model trained here, the
    fields nobody set are derived from its latest version (features, hyperparameters, measured metrics)."""

    description: str = ""
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    performance: tuple[Performance, ...] = ()
    training_resources: tuple[Resource, ...] = ()
    run_resources: tuple[Resource, ...] = ()
    features: tuple[str, ...] = ()
    inference: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    drift: DriftSettings = field(default_factory=DriftSettings)
    training_placement: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "hyperparameters": dict(self.hyperparameters),
            "performance": [p.__dict__ for p in self.performance],
            "training_resources": [r.__dict__ for r in self.training_resources],
            "run_resources": [r.__dict__ for r in self.run_resources],
            "features": list(self.features),
            "inference": dict(self.inference),
            "tags": list(self.tags),
            "drift": self.drift.to_dict(),
            "training_placement": dict(self.training_placement),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelMetadata:
        return cls(
            description=str(data.get("description") or ""),
            hyperparameters=dict(data.get("hyperparameters") or {}),
            performance=tuple(Performance(**p) for p in data.get("performance") or ()),
            training_resources=tuple(Resource(**r) for r in data.get("training_resources") or ()),
            run_resources=tuple(Resource(**r) for r in data.get("run_resources") or ()),
            features=tuple(str(f) for f in data.get("features") or ()),
            inference=dict(data.get("inference") or {}),
            tags=tuple(str(t) for t in data.get("tags") or ()),
            drift=DriftSettings.from_dict(data.get("drift")),
            training_placement=dict(data.get("training_placement") or {}),
        )


@dataclass(frozen=True)
class RegisteredModel:
    """A predictor name and what is known of it. ``origin``: ``trained`` (its versions are trained here) or
    ``external`` (registered from outside; its versions are uploaded skops files). ``aliases``: alias → version
    number. ``reference``: what drift is measured against (``data artifact``, ``training data`` or None)."""

    id: str
    name: str
    kind: str
    origin: str
    metadata: ModelMetadata
    versions: int
    latest_version: int | None
    aliases: dict[str, int]
    deployments: int
    reference: str | None
    owner: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ModelVersion:
    """One version of a registered model: a trained model (``id`` is the ``Model`` id) or an uploaded skops file."""

    id: str
    model_id: str
    name: str
    version: int
    origin: str
    kind: str
    description: str
    tags: tuple[str, ...]
    aliases: tuple[str, ...]
    metrics: dict[str, float | None]
    estimator: str
    features: tuple[str, ...]
    file_id: str | None
    owner: str
    created_at: datetime

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"


@dataclass(frozen=True)
class AliasMove:
    """One move of an alias: set (``from_version`` None), moved, or removed (``to_version`` None)."""

    model_id: str
    alias: str
    from_version: int | None
    to_version: int | None
    user: str
    created_at: datetime


@dataclass(frozen=True)
class Artifact:
    """A file registered with a model by kind (``ARTIFACT_KINDS``); a ``model`` artifact is a version's file."""

    id: str
    model_id: str
    kind: str
    file_id: str
    name: str
    size: int
    version: int | None
    owner: str
    created_at: datetime


@dataclass(frozen=True)
class Deployment:
    """A version served in-process: pinned (``alias`` None) or following an alias (then ``version_id`` is the
    version the alias points at now). ``status``: pending | running | stopped | failed (``reason`` says why)."""

    id: str
    name: str
    model_id: str
    model_name: str
    alias: str | None
    version_id: str | None
    version: int | None
    owner: str
    placement: dict[str, Any]
    inference_data: bool
    status: str
    reason: str
    operations: int
    created_by: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Operation:
    """One inference call of a deployment (``source`` ``served``) or one recorded from outside (``external``).
    ``warnings``: those the call returned (values the recipe could not read first); the first of many, each cut
    short, so a bad call cannot bloat the log."""

    id: str
    deployment_id: str
    owner: str
    version_id: str | None
    model_label: str
    inputs: Any
    result: Any
    rows: int
    latency_ms: float
    source: str
    user: str
    created_at: datetime
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServedPrediction:
    """The seed's answer ``{"prediction": [...], "explanation": {...}}`` plus what was served and how fast."""

    deployment_id: str
    version_id: str
    model_label: str
    prediction: list[Any]
    probabilities: list[dict[str, float]] | None
    explanation: dict[str, Any] | None
    warnings: tuple[str, ...]
    latency_ms: float
    operation_id: str


@dataclass(frozen=True)
class DriftCheck:
    """A stored drift report: per column (``columns``: one dict per column as ``DriftReport.frame`` has them),
    the multivariate MMD and the prediction drift; ``source`` says what was compared with the ``reference``."""

    id: str
    model_id: str
    deployment_id: str | None
    version_id: str | None
    model_label: str
    job_id: str | None
    source: str
    reference: str
    reference_rows: int
    current_rows: int
    drifted: bool
    drifted_share: float
    columns: tuple[dict[str, Any], ...]
    multivariate: dict[str, Any] | None
    prediction: dict[str, Any] | None
    rule: dict[str, Any]
    user: str
    created_at: datetime

    @property
    def drifted_columns(self) -> list[str]:
        return [str(c["column"]) for c in self.columns if c.get("drifted") and c["column"] != "prediction"]

    def frame(self) -> pd.DataFrame:
        """One row per column (the prediction last), as ``DriftReport.frame`` (without the histograms)."""
        return pd.DataFrame([{k: v for k, v in c.items() if k != "histogram"} for c in self.columns])
