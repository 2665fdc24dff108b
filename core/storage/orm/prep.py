"""Recipes and dataset lineage (which recipe made which dataset version from which source version)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.orm.base import Base, NamedMixin, created_column, id_column, utcnow


class RecipeRow(NamedMixin, Base):
    __tablename__ = "recipes"
    __table_args__ = (UniqueConstraint("tenant_id", "name_key", name="uq_recipes_tenant_name_key"),)
    id: Mapped[str] = id_column()
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    dataset_id: Mapped[str | None] = mapped_column(ForeignKey("datasets.id", ondelete="SET NULL"), index=True)
    steps: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DatasetLineageRow(Base):
    """One dataset version a recipe made; the steps as they ran are kept, so editing or deleting the recipe, or
    deleting the source, never changes what a model trained on this version replays."""

    __tablename__ = "dataset_lineage"
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    recipe_id: Mapped[str | None] = mapped_column(ForeignKey("recipes.id", ondelete="SET NULL"), index=True)
    recipe_name: Mapped[str] = mapped_column(String(100))
    source_id: Mapped[str | None] = mapped_column(ForeignKey("datasets.id", ondelete="SET NULL"), index=True)
    source_name: Mapped[str] = mapped_column(String(100))
    source_version: Mapped[int] = mapped_column()
    steps: Mapped[dict[str, Any]] = mapped_column()
    reports: Mapped[list[Any]] = mapped_column()
    replay: Mapped[dict[str, Any]] = mapped_column()
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_column()
