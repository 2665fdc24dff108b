"""The model registry, deployments, their operations and drift checks.

A predictor trained here needs no row to be registered: its versions are ``models`` rows of its name. A
``registered_models`` row holds what is declared of a name (and exists for every model registered from outside);
a ``registry_versions`` row is either an uploaded skops file (``file_id``) or the anchor of a trained version
(``model_id``, same id), made when the registry first needs one (a note, an alias, a deployment): it goes with its
model (``ON DELETE CASCADE``), and a deployment holding it makes that delete fail, as it should."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.entities.registry import ARTIFACT_KINDS, DEPLOYMENT_STATES, MODEL_KINDS
from core.storage.orm.base import Base, NamedMixin, created_column, id_column, sql_values, utcnow


class RegisteredModelRow(NamedMixin, Base):
    __tablename__ = "registered_models"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name_key", name="uq_registered_models_tenant_name_key"),
        CheckConstraint(f"kind IN ({sql_values(MODEL_KINDS)})", name="ck_registered_models_kind"),
        CheckConstraint("origin IN ('trained', 'external')", name="ck_registered_models_origin"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    origin: Mapped[str] = mapped_column(String(16))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)  # ModelMetadata fields that were set
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RegistryVersionRow(Base):
    __tablename__ = "registry_versions"
    __table_args__ = (
        UniqueConstraint("registered_model_id", "version", name="uq_registry_versions_model_version"),
        CheckConstraint("(model_id IS NULL) <> (file_id IS NULL)", name="ck_registry_versions_trained_or_uploaded"),
    )
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    registered_model_id: Mapped[str] = mapped_column(ForeignKey("registered_models.id", ondelete="CASCADE"), index=True)
    model_id: Mapped[str | None] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), unique=True, default=None)
    file_id: Mapped[str | None] = mapped_column(ForeignKey("files.id"), unique=True, default=None)
    version: Mapped[int] = mapped_column()
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[Any]] = mapped_column(default=list)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)  # uploaded: estimator, features, classes
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_column()


class RegistryArtifactRow(Base):
    """A data, code or environment file of a registered model (model files are versions)."""

    __tablename__ = "registry_artifacts"
    __table_args__ = (
        CheckConstraint(
            f"kind IN ({sql_values(tuple(k for k in ARTIFACT_KINDS if k != 'model'))})",
            name="ck_registry_artifacts_kind",
        ),
    )
    id: Mapped[str] = id_column()
    registered_model_id: Mapped[str] = mapped_column(ForeignKey("registered_models.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    file_id: Mapped[str] = mapped_column(ForeignKey("files.id"), unique=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_column()


class RegistryAliasRow(Base):
    """One version per alias per model: the key is (model, alias)."""

    __tablename__ = "registry_aliases"
    registered_model_id: Mapped[str] = mapped_column(
        ForeignKey("registered_models.id", ondelete="CASCADE"), primary_key=True
    )
    alias: Mapped[str] = mapped_column(String(64), primary_key=True)
    version_id: Mapped[str] = mapped_column(ForeignKey("registry_versions.id", ondelete="CASCADE"), index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AliasMoveRow(Base):
    """Every move of an alias (set, moved, removed); version numbers are copied, so the history reads the same
    after a version is deleted."""

    __tablename__ = "alias_moves"
    __table_args__ = (Index("ix_alias_moves_model_created", "registered_model_id", "created_at"),)
    id: Mapped[str] = id_column()
    registered_model_id: Mapped[str] = mapped_column(ForeignKey("registered_models.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(64))
    from_version: Mapped[int | None] = mapped_column(default=None)
    to_version: Mapped[int | None] = mapped_column(default=None)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_column()


class DeploymentRow(Base):
    __tablename__ = "deployments"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_values(DEPLOYMENT_STATES)})", name="ck_deployments_status"),
        CheckConstraint("version_id IS NOT NULL OR alias IS NOT NULL", name="ck_deployments_version_or_alias"),
    )
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    registered_model_id: Mapped[str] = mapped_column(ForeignKey("registered_models.id"), index=True)
    version_id: Mapped[str | None] = mapped_column(ForeignKey("registry_versions.id"), index=True, default=None)
    alias: Mapped[str | None] = mapped_column(String(64), default=None)
    owner: Mapped[str] = mapped_column(String(100))
    placement: Mapped[dict[str, Any]] = mapped_column(default=dict)
    inference_data: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str] = mapped_column(Text, default="")
    operations: Mapped[int] = mapped_column(default=0)
    since_check: Mapped[int] = mapped_column(default=0)  # operations since the last automatic drift check
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OperationRow(Base):
    """One inference call of a deployment; ids are plain strings: the log outlives deployments and versions."""

    __tablename__ = "deployment_operations"
    __table_args__ = (
        Index("ix_deployment_operations_deployment", "tenant_id", "deployment_id", "created_at"),
        Index("ix_deployment_operations_owner", "tenant_id", "owner", "created_at"),
    )
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    deployment_id: Mapped[str] = mapped_column(String(36))
    owner: Mapped[str] = mapped_column(String(100))
    version_id: Mapped[str | None] = mapped_column(String(36), default=None)
    model_label: Mapped[str] = mapped_column(String(120), default="")
    inputs: Mapped[list[Any] | None] = mapped_column(default=None)  # the input rows (None: not kept)
    result: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    rows: Mapped[int] = mapped_column(default=1)
    latency_ms: Mapped[float] = mapped_column(default=0.0)
    source: Mapped[str] = mapped_column(String(16), default="served")
    warnings: Mapped[list[Any] | None] = mapped_column(default=None)  # the call's warnings, bounded (None: none)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_column()


class DriftCheckRow(Base):
    __tablename__ = "drift_checks"
    __table_args__ = (Index("ix_drift_checks_model_created", "registered_model_id", "created_at"),)
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    registered_model_id: Mapped[str] = mapped_column(ForeignKey("registered_models.id", ondelete="CASCADE"))
    deployment_id: Mapped[str | None] = mapped_column(String(36), index=True, default=None)
    version_id: Mapped[str | None] = mapped_column(String(36), default=None)
    model_label: Mapped[str] = mapped_column(String(120), default="")
    job_id: Mapped[str | None] = mapped_column(String(36), default=None)
    source: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(32))
    reference_rows: Mapped[int] = mapped_column()
    current_rows: Mapped[int] = mapped_column()
    drifted: Mapped[bool] = mapped_column()
    drifted_share: Mapped[float] = mapped_column()
    columns: Mapped[list[Any]] = mapped_column()
    multivariate: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    prediction: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    rule: Mapped[dict[str, Any]] = mapped_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_column()
