"""The ``Database``: one SQLAlchemy engine and a ``session()`` that commits, rolls back, translates."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import Conflict, InvalidInput
from core.storage.migrate import upgrade


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def json_text(value: Any) -> str:
    """JSON columns store NaN and infinities as null: Postgres refuses them, and so does strict JSON."""
    return json.dumps(_finite(value))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    """Owns the SQLAlchemy engine and the schema (``migrate`` on open)."""

    def __init__(self, url: str) -> None:
        self.url = url
        is_sqlite = url.startswith("sqlite")
        connect_args = {"timeout": 30, "check_same_thread": False} if is_sqlite else {}
        self.engine = create_engine(
            url, connect_args=connect_args, pool_pre_ping=not is_sqlite, json_serializer=json_text
        )
        if is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        """Create or upgrade the schema to the code's revision; a newer database raises ``CoreError``."""
        upgrade(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commit on success, roll back on error, integrity errors become ``Conflict`` and
        values the database refuses ``InvalidInput``."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except IntegrityError as exc:
            session.rollback()
            raise Conflict("That conflicts with something that already exists.", str(exc.orig)) from exc
        except DataError as exc:  # e.g. a NUL character, which Postgres text refuses (SQLite stores it)
            session.rollback()
            raise InvalidInput("A value cannot be stored or looked up as given.", details=str(exc.orig)) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
