"""Counts what an action costs, from real events: database transactions begun (SQLAlchemy's ``after_begin`` on
every ``Session``, savepoints left out), among them a job's heartbeats (the statements that read a job's cancel
flag, once per progress write or cancel check), and Parquet reads (``pyarrow.parquet.read_table``, wrapped so
each call still reads)."""

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
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction


@dataclass
class Counts:
    sessions: int = 0
    heartbeats: int = 0
    parquet: Counter[str] = field(default_factory=Counter)  # file name -> reads

    def reads_of(self, path: Path | str) -> int:
        return self.parquet[Path(path).name]


@contextmanager
def counting(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counts]:
    counts = Counts()
    original = pq.read_table

    def began(_session: Session, transaction: SessionTransaction, _connection: Any) -> None:
        if not transaction.nested:  # a savepoint inside a session is not another session
            counts.sessions += 1

    def executed(state: ORMExecuteState) -> None:
        columns = getattr(state.statement, "selected_columns", ())
        if [(c.table.name, c.name) for c in columns if hasattr(c, "table")] == [("jobs", "cancel_requested")]:
            counts.heartbeats += 1

    def read_table(source: Any, *args: Any, **kwargs: Any) -> Any:
        counts.parquet[Path(str(source)).name] += 1
        return original(source, *args, **kwargs)

    event.listen(Session, "after_begin", began)
    event.listen(Session, "do_orm_execute", executed)
    monkeypatch.setattr(pq, "read_table", read_table)
    try:
        yield counts
    finally:
        event.remove(Session, "after_begin", began)
        event.remove(Session, "do_orm_execute", executed)
        monkeypatch.setattr(pq, "read_table", original)
