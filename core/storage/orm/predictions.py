"""The predictions log: one row per form prediction, batch file or forecast.

Model, file and dataset ids are plain strings, not foreign keys: the log outlives deleted models and files."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.entities import JobStatus
from core.storage.orm.base import Base, created_column, id_column


class PredictionRow(Base):
    __tablename__ = "predictions"
    __table_args__ = (Index("ix_predictions_tenant_created", "tenant_id", "created_at"),)
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    model_id: Mapped[str] = mapped_column(String(36), index=True)
    model_label: Mapped[str] = mapped_column(String(120))
    model_version: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(16))  # form | batch | forecast
    inputs: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    input_file_id: Mapped[str | None] = mapped_column(String(36), default=None)
    outputs: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    output_file_id: Mapped[str | None] = mapped_column(String(36), default=None)
    job_id: Mapped[str | None] = mapped_column(String(36), default=None)
    rows: Mapped[int] = mapped_column(default=1)
    duration_s: Mapped[float] = mapped_column(default=0.0)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.SUCCEEDED)  # the outcome of its job
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = created_column()
    # How the predictions compared with true values learnt later (``eng.predictions.evaluate``): the metric
    # (accuracy | mae), its value over ``outcome_rows`` matched rows, the labelled dataset and when.
    outcome_metric: Mapped[str | None] = mapped_column(String(16), default=None)
    outcome_value: Mapped[float | None] = mapped_column(default=None)
    outcome_rows: Mapped[int | None] = mapped_column(default=None)
    outcome_dataset_id: Mapped[str | None] = mapped_column(String(36), default=None)
    outcome_at: Mapped[datetime | None] = mapped_column(default=None)
