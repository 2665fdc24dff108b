"""Every file of the generated malformed corpus (``malformed_corpus.py``) is refused with one clear sentence, or
stored as a correct dataset, within a CPU-time limit, and a refusal leaves no row and no file behind."""

from __future__ import annotations

import time
from types import EllipsisType

import pytest
from sqlalchemy import func, select

from core import Actor, Engine, InvalidInput
from core.datasets import excel
from core.storage.orm import DatasetRow, FileRow
from tests.core.malformed_corpus import corpus

CPU_SECONDS = 10.0
CASES = corpus()


def _counts(engine: Engine) -> tuple[int, int, int]:
    with engine.db.session() as session:
        rows = session.scalar(select(func.count()).select_from(DatasetRow)) or 0
        files = session.scalar(select(func.count()).select_from(FileRow)) or 0
    return int(rows), int(files), sum(p.is_file() for p in engine.store.root.rglob("*"))


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 60 and len({name for name, _, _ in CASES}) == len(CASES)


@pytest.mark.parametrize(("filename", "data", "expected"), CASES, ids=[c[0] for c in CASES])
def test_malformed_upload_is_refused_clearly_or_stored_correctly(
    engine: Engine,
    admin: Actor,
    monkeypatch: pytest.MonkeyPatch,
    filename: str,
    data: bytes,
    expected: int | EllipsisType | None,
) -> None:
    monkeypatch.setattr(excel, "MAX_CELLS", 50_000)  # the cell bomb stays small enough to build quickly
    before = _counts(engine)
    started = time.process_time()
    try:
        dataset = engine.datasets.upload(admin, filename=filename, data=data)
    except InvalidInput as error:
        assert expected is None or expected is ..., f"refused: {error.message}"
        assert error.message.endswith(".") and "\n" not in error.message and "Traceback" not in error.message
        assert _counts(engine) == before  # nothing half-written
    else:
        assert expected is not None, f"stored {dataset.rows} rows"
        if isinstance(expected, int):
            assert dataset.rows == expected
        assert _counts(engine) == (before[0] + 1, before[1] + 2, before[2] + 2)  # its Parquet file and the original
    assert time.process_time() - started < CPU_SECONDS
