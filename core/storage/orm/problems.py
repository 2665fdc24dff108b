"""Problems, their hidden test datasets, algorithms, attached training data, learning and prediction tasks.

A test dataset is hidden: the dataset service refuses its rows to anyone without ``problems:manage`` while a
``problem_test_data`` row names it. Tasks keep their scores and the model they made; a model deleted later leaves
the task's scores (``ON DELETE SET NULL``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Double, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.entities.problems import ALGO_KINDS, COMPUTE_MODES, TASK_STATES
from core.storage.orm.base import Base, NamedMixin, created_column, id_column, sql_values, utcnow


class ProblemRow(NamedMixin, Base):
    __tablename__ = "problems"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name_key", name="uq_problems_tenant_name_key"),
        CheckConstraint(f"compute IN ({sql_values(COMPUTE_MODES)})", name="ck_problems_compute"),
        CheckConstraint("size_train_dataset > 0", name="ck_problems_size_train_dataset"),
    )
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    template_id: Mapped[str] = mapped_column(ForeignKey("templates.id"))
    target: Mapped[str] = mapped_column(String(255))
    problem_type: Mapped[str] = mapped_column(String(20))
    metric: Mapped[str] = mapped_column(String(32))
    size_train_dataset: Mapped[int] = mapped_column(Integer)
    compute: Mapped[str] = mapped_column(String(16), default="internal")
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_column()


class ProblemTestDataRow(Base):
    __tablename__ = "problem_test_data"
    problem_id: Mapped[str] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column()


class ProblemDataRow(Base):
    """A training dataset attached to a problem, in attach order (its mini-batches follow that order)."""

    __tablename__ = "problem_data"
    problem_id: Mapped[str] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_column()


class ProblemAlgoRow(NamedMixin, Base):
    __tablename__ = "problem_algos"
    __table_args__ = (
        UniqueConstraint("problem_id", "name_key", name="uq_problem_algos_problem_name_key"),
        CheckConstraint(f"kind IN ({sql_values(ALGO_KINDS)})", name="ck_problem_algos_kind"),
    )
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    problem_id: Mapped[str] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    family: Mapped[str | None] = mapped_column(String(32), default=None)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    model_id: Mapped[str | None] = mapped_column(ForeignKey("models.id", ondelete="SET NULL"), default=None)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_column()


class LearnupletRow(Base):
    __tablename__ = "learnuplets"
    __table_args__ = (
        UniqueConstraint("algo_id", "rank", name="uq_learnuplets_algo_rank"),
        CheckConstraint(f"status IN ({sql_values(TASK_STATES)})", name="ck_learnuplets_status"),
        Index("ix_learnuplets_problem_status", "problem_id", "status"),
    )
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    problem_id: Mapped[str] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"))
    algo_id: Mapped[str] = mapped_column(ForeignKey("problem_algos.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column()
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"), index=True)
    row_start: Mapped[int] = mapped_column()
    row_stop: Mapped[int] = mapped_column()
    train_data: Mapped[list[Any]] = mapped_column(default=list)  # [[dataset_id, start, stop], ...]
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    start_task_id: Mapped[str | None] = mapped_column(String(36), default=None)
    model_start: Mapped[str | None] = mapped_column(ForeignKey("models.id", ondelete="SET NULL"), default=None)
    model_end: Mapped[str | None] = mapped_column(ForeignKey("models.id", ondelete="SET NULL"), default=None)
    worker: Mapped[str | None] = mapped_column(String(200), default=None)
    job_id: Mapped[str | None] = mapped_column(String(36), default=None)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))  # whose jobs run it (who created it)
    perf: Mapped[float | None] = mapped_column(Double, default=None)
    test_perf: Mapped[list[Any]] = mapped_column(default=list)
    train_perf: Mapped[list[Any]] = mapped_column(default=list)
    predictions_file_id: Mapped[str | None] = mapped_column(ForeignKey("files.id"), default=None)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PredupletRow(Base):
    __tablename__ = "preduplets"
    __table_args__ = (CheckConstraint(f"status IN ({sql_values(TASK_STATES)})", name="ck_preduplets_status"),)
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    problem_id: Mapped[str] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"), index=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"), index=True)
    model_id: Mapped[str | None] = mapped_column(ForeignKey("models.id", ondelete="SET NULL"), default=None)
    status: Mapped[str] = mapped_column(String(16), default="todo")
    worker: Mapped[str | None] = mapped_column(String(200), default=None)
    job_id: Mapped[str | None] = mapped_column(String(36), default=None)
    prediction_file_id: Mapped[str | None] = mapped_column(ForeignKey("files.id"), default=None)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_column()
