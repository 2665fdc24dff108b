"""Every file of the generated malformed corpus (``malformed_corpus.py``) is refused with one clear sentence, or
stored as a correct dataset, within a CPU-time limit, and a refusal leaves no row and no file behind."""

from __future__ import annotations

import contextlib
import time
from types import EllipsisType

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core import Actor, Engine, InvalidInput
from core.datasets import excel, read_table
from core.storage.orm import DatasetRow, FileRow
from tests.core.malformed_corpus import corpus

CPU_SECONDS = 5.0
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
    if filename == "cell-bomb.xlsx":  # below the inflate check's grace size: the cell count refuses it
        monkeypatch.setattr(excel, "MAX_CELLS", 50_000)  # (at a lower limit, so the file builds quickly)
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
        assert _counts(engine) == (before[0] + 1, before[1] + 1, before[2] + 1)
    assert time.process_time() - started < CPU_SECONDS


DEGENERATE = [c for c in CASES if c[0].endswith(".xlsx") and c[2] is None]


@pytest.mark.parametrize(("filename", "data"), [c[:2] for c in DEGENERATE], ids=[c[0] for c in DEGENERATE])
def test_every_reader_of_an_upload_refuses_a_broken_workbook_clearly(
    engine: Engine, admin: Actor, monkeypatch: pytest.MonkeyPatch, filename: str, data: bytes
) -> None:
    """The check before an upload, the sheet chooser and template inference read the same files (a workbook
    without a worksheet used to raise a raw IndexError from each)."""
    monkeypatch.setattr(excel, "MAX_CELLS", 50_000)
    for read in (engine.datasets.check, engine.templates.infer_from_file):
        with pytest.raises(InvalidInput):
            read(admin, filename, data)
    with contextlib.suppress(InvalidInput):  # listing needs no cell: a workbook of unreadable sheets may list them
        engine.datasets.sheets(admin, filename, data)


_plain = st.text(alphabet="abcXYZ019 .-", min_size=1, max_size=6)  # no quote, delimiter or line break
_quoted = st.builds(lambda a, b: f'"{a}\n{b}"', _plain, _plain)  # a well-formed quoted cell over two lines
_rows = st.lists(st.lists(st.one_of(_plain, _plain, _quoted), min_size=3, max_size=3), min_size=1, max_size=30)


@settings(max_examples=150, deadline=None)
@given(_rows, st.sampled_from(["\n", "\r\n"]), st.sampled_from(["", "end"]), st.data())
def test_a_stray_quote_is_refused_naming_its_row(
    rows: list[list[str]], newline: str, ending: str, data: st.DataObject
) -> None:
    """A quote opened and never closed where it should be makes the following lines (or the rest of the file)
    one cell; wherever it is, the file is refused naming the row the quote opens in. Without it, the same file
    reads back row for row."""

    def text(cells: list[list[str]]) -> bytes:
        return ("a,b,c" + newline + newline.join(",".join(r) for r in cells) + (newline if ending else "")).encode()

    assert read_table(text(rows), "fine.csv").num_rows == len(rows)
    plain = [(r, c) for r, cells in enumerate(rows, start=1) for c, cell in enumerate(cells) if cell[0] != '"']
    assume(plain)
    row, column = data.draw(st.sampled_from(plain), label="row and column")
    rows[row - 1][column] = '"' + rows[row - 1][column]
    with pytest.raises(InvalidInput) as refused:
        read_table(text(rows), "stray.csv")
    assert refused.value.problems and refused.value.problems[0].row == row, refused.value.message
