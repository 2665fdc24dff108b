"""Sample attribution: the reference library, its built indexes, submitted samples and their model runs.

Samples are unique per tenant by SHA-256 (the id users see); the same bytes in two tenants are two rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.orm.base import Base, created_column, id_column


class ReferenceRow(Base):
    """A labeled file of the reference library; its phase-1 features are cached at ``features_key``."""

    __tablename__ = "attribution_references"
    __table_args__ = (UniqueConstraint("tenant_id", "sha256"),)
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    family: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    file_id: Mapped[str] = mapped_column(ForeignKey("files.id"))
    features_key: Mapped[str | None] = mapped_column(String(300), default=None)
    features_tag: Mapped[str | None] = mapped_column(String(32), default=None)
    functions: Mapped[int | None] = mapped_column(default=None)
    notes: Mapped[dict[str, Any]] = mapped_column(default=dict)  # model name -> why it cannot read the file
    created_at: Mapped[datetime] = created_column()


class LibraryIndexRow(Base):
    """One built index (a directory in the file store); the newest row of a tenant is the current one."""

    __tablename__ = "attribution_indexes"
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    revision: Mapped[str] = mapped_column(String(32))
    storage_key: Mapped[str] = mapped_column(String(300))
    library_digest: Mapped[str] = mapped_column(String(64))
    samples: Mapped[int] = mapped_column()
    families: Mapped[int] = mapped_column()
    functions: Mapped[int] = mapped_column(BigInteger)
    job_id: Mapped[str | None] = mapped_column(String(36), default=None)
    built_at: Mapped[datetime] = created_column()


class SampleRow(Base):
    __tablename__ = "attribution_samples"
    __table_args__ = (UniqueConstraint("tenant_id", "sha256"),)
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    file_id: Mapped[str] = mapped_column(ForeignKey("files.id"))
    created_at: Mapped[datetime] = created_column()


class RunRow(Base):
    """One model on one sample: the state of each phase and, once done, the model's result."""

    __tablename__ = "attribution_runs"
    __table_args__ = (UniqueConstraint("sample_row_id", "model"),)
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    sample_row_id: Mapped[str] = mapped_column(ForeignKey("attribution_samples.id", ondelete="CASCADE"), index=True)
    model: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    job_id: Mapped[str | None] = mapped_column(String(36), default=None)
    phase_1: Mapped[str] = mapped_column(String(16), default="pending")
    phase_2: Mapped[str] = mapped_column(String(16), default="pending")
    error: Mapped[str | None] = mapped_column(Text, default=None)
    result: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    index_revision: Mapped[str | None] = mapped_column(String(32), default=None)
    predicted_at: Mapped[datetime | None] = mapped_column(default=None)
