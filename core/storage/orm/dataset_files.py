"""The files a dataset is made of, and its versions (each with its own Parquet file)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.orm.base import Base, created_column, id_column


class DatasetVersionRow(Base):
    """One state of a dataset's rows. ``datasets.file_id`` is the newest version's file; older ones are kept."""

    __tablename__ = "dataset_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "version"),)
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"), index=True)
    version: Mapped[int] = mapped_column()
    file_id: Mapped[str] = mapped_column(ForeignKey("files.id"))
    rows: Mapped[int] = mapped_column(BigInteger)
    change: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_column()


class DatasetFileRow(Base):
    """One uploaded file of a dataset: its original and report. The dataset's rows are its files' rows in
    ``position`` order, so removing a file removes a known range of rows."""

    __tablename__ = "dataset_files"
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"), index=True)
    file_id: Mapped[str] = mapped_column(ForeignKey("files.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column()
    version: Mapped[int] = mapped_column()
    rows: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))
    report: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = created_column()
