"""Counts what an action costs, from real events: database transactions begun (SQLAlchemy's ``after_begin`` on
every ``Session``) and Parquet reads (``pyarrow.parquet.read_table``, wrapped so each call still reads)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session


@dataclass
class Counts:
    sessions: int = 0
    parquet: Counter[str] = field(default_factory=Counter)  # file name -> reads

    def reads_of(self, path: Path | str) -> int:
        return self.parquet[Path(path).name]


@contextmanager
def counting(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counts]:
    counts = Counts()
    original = pq.read_table

    def began(_session: Session, _transaction: Any, _connection: Any) -> None:
        counts.sessions += 1

    def read_table(source: Any, *args: Any, **kwargs: Any) -> Any:
        counts.parquet[Path(str(source)).name] += 1
        return original(source, *args, **kwargs)

    event.listen(Session, "after_begin", began)
    monkeypatch.setattr(pq, "read_table", read_table)
    try:
        yield counts
    finally:
        event.remove(Session, "after_begin", began)
        monkeypatch.setattr(pq, "read_table", original)
