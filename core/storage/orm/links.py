"""Links between rows, as tables with foreign keys (never ids inside JSON): a model's training datasets (in
order) and its files (by role), and the rows an unfinished job names.

A model's links go with it (``ON DELETE CASCADE``); the linked dataset or file cannot be deleted while a link
holds it, so the database itself keeps every model's data and every queued job's inputs in place."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.entities.models import MODEL_FILE_ROLES
from core.storage.orm.base import Base

ROLE_VALUES = ", ".join(f"'{role}'" for role in MODEL_FILE_ROLES)


class ModelDatasetRow(Base):
    __tablename__ = "model_datasets"
    __table_args__ = (UniqueConstraint("model_id", "dataset_id", name="uq_model_datasets_model_dataset"),)
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"), index=True)


class ModelFileRow(Base):
    __tablename__ = "model_files"
    __table_args__ = (CheckConstraint(f"role IN ({ROLE_VALUES})", name="ck_model_files_role"),)
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    file_id: Mapped[str] = mapped_column(ForeignKey("files.id"), unique=True)


class JobLinkRow(Base):
    """One row an unfinished job names (exactly one of dataset, model, file); removed when the job finishes."""

    __tablename__ = "job_links"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN dataset_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN model_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN file_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="ck_job_links_one_target",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    dataset_id: Mapped[str | None] = mapped_column(ForeignKey("datasets.id"), index=True, default=None)
    model_id: Mapped[str | None] = mapped_column(ForeignKey("models.id"), index=True, default=None)
    file_id: Mapped[str | None] = mapped_column(ForeignKey("files.id"), index=True, default=None)
