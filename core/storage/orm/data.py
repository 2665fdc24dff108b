"""Templates, datasets and models (the rows other features hang off)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.orm.base import Base, NamedMixin, created_column, id_column, utcnow


class TemplateRow(NamedMixin, Base):
    __tablename__ = "templates"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        UniqueConstraint("tenant_id", "name_key", name="uq_templates_tenant_name_key"),
    )
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    columns: Mapped[list[Any]] = mapped_column()
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DatasetRow(NamedMixin, Base):
    __tablename__ = "datasets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        UniqueConstraint("tenant_id", "name_key", name="uq_datasets_tenant_name_key"),
    )
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    source_name: Mapped[str] = mapped_column(String(255))
    template_id: Mapped[str | None] = mapped_column(ForeignKey("templates.id"), default=None)
    file_id: Mapped[str] = mapped_column(ForeignKey("files.id"))
    status: Mapped[str] = mapped_column(String(20))
    rows: Mapped[int] = mapped_column(BigInteger)
    column_types: Mapped[dict[str, Any]] = mapped_column()
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    report: Mapped[dict[str, Any]] = mapped_column()
    statistics: Mapped[list[Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = created_column()
    usage: Mapped[str] = mapped_column(String(20), default="training", server_default="training")
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class ModelRow(NamedMixin, Base):
    """One trained model version; ``name`` (ignoring case) groups versions of one predictor. ``dataset_id`` is the
    dataset this version added; every dataset and file it uses is in ``model_datasets`` / ``model_files``."""

    __tablename__ = "models"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", "version"),
        UniqueConstraint("tenant_id", "name_key", "version", name="uq_models_tenant_name_key_version"),
    )
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column()
    problem_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="ready")
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("models.id"), default=None)
    job_id: Mapped[str | None] = mapped_column(String(36), default=None)
    target: Mapped[str] = mapped_column(String(255))
    schema: Mapped[dict[str, Any]] = mapped_column()
    metrics: Mapped[dict[str, Any]] = mapped_column()
    details: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = created_column()
    domain: Mapped[str] = mapped_column(String(100), default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
