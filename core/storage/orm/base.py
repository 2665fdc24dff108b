"""Declarative base and column helpers shared by every ORM module."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """Naive UTC: SQLite drops time zones, so every stored time is UTC without one."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON, datetime: DateTime()}


def id_column() -> Mapped[str]:
    return mapped_column(String(36), primary_key=True, default=new_id)


def created_column() -> Mapped[datetime]:
    return mapped_column(default=utcnow)


def sql_values(names: tuple[str, ...]) -> str:
    """``'a', 'b'``: the values of a CHECK constraint's ``IN (...)``."""
    return ", ".join(f"'{name}'" for name in names)


def name_key(name: str) -> str:
    """The form a name is unique in: "Sales" and "SALES" are the same name (casefold: "Straße" = "STRASSE")."""
    return name.casefold()


class NamedMixin:
    """A user-given ``name`` unique ignoring case: ``name_key`` follows it and carries the unique constraint,
    so the database, not a check in Python, settles two creates racing with "Sales" and "sales"."""

    name: Mapped[str] = mapped_column(String(100))
    # casefold at most triples a name's length
    name_key: Mapped[str] = mapped_column(String(300))

    @validates("name")
    def _follow_name(self, _key: str, value: str) -> str:
        self.name_key = name_key(value)
        return value
