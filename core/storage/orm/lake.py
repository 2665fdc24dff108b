"""What the product records about each lake table (issue 20); the tables themselves are in pyiceberg's catalog
tables (``iceberg_tables``, ``iceberg_namespace_properties``, created by pyiceberg, not by these revisions).

A table outlives the dataset or model that wrote it (the link is set to NULL): the lake is the history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.entities.lake import LAKE_SCHEMAS, LAKE_STATES
from core.storage.orm.base import Base, created_column, id_column

_SCHEMA_VALUES = ", ".join(f"'{s}'" for s in LAKE_SCHEMAS)
_STATE_VALUES = ", ".join(f"'{s}'" for s in LAKE_STATES)


class LakeTableRow(Base):
    __tablename__ = "lake_tables"
    __table_args__ = (
        UniqueConstraint("tenant_id", "schema_name", "table_name", name="uq_lake_tables_name"),
        CheckConstraint(f"schema_name IN ({_SCHEMA_VALUES})", name="ck_lake_tables_schema"),
        CheckConstraint(f"status IN ({_STATE_VALUES})", name="ck_lake_tables_status"),
    )
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    schema_name: Mapped[str] = mapped_column(String(16))
    table_name: Mapped[str] = mapped_column(String(100))
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    owner_name: Mapped[str] = mapped_column(String(100))
    dataset_id: Mapped[str | None] = mapped_column(ForeignKey("datasets.id", ondelete="SET NULL"), index=True)
    model_id: Mapped[str | None] = mapped_column(ForeignKey("models.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_column()
    last_access_at: Mapped[datetime] = created_column()
