"""Every CSV the product writes reads back cell for cell, and no cell is one a spreadsheet would evaluate.

The product has one CSV writer (``core.exports.safe_csv``; ``test_no_other_csv_writer`` keeps it that way); the
batch job appends chunks through it with a faster test of which columns need neutralizing. ``test_csv_writers``
drives each of the product's CSV downloads through the engine."""

from __future__ import annotations

import csv
import io
import re
import tomllib
from pathlib import Path

import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from core.exports import safe_csv
from core.services.inference_tasks import _CsvSink

ROOT = Path(__file__).resolve().parents[2]
_EVALUATED = re.compile(r"^[=+\-@\t\r\n]")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")

texts = st.one_of(
    st.text(alphabet=st.sampled_from(list("=+-@\t\r\n\"',;\x00 aZ9.é")), max_size=12),
    st.text(max_size=8),
    st.sampled_from(["\r=1+1", "note\r@SUM(A1)", "-3", "+1.5", '=HYPERLINK("x")', "\n-2+3", "\x00=1"]),
)
cells = st.one_of(texts, st.integers(-(10**12), 10**12), st.floats(allow_nan=False, allow_infinity=False))
frames = st.integers(1, 4).flatmap(
    lambda width: st.lists(st.lists(cells, min_size=width, max_size=width), min_size=1, max_size=8).map(
        lambda rows: pd.DataFrame(rows, columns=[f"c{i}" for i in range(width)])
    )
)


def _read_back(data: bytes) -> list[list[str]]:
    """What a spreadsheet sees: the csv module with RFC 4180 quoting."""
    return list(csv.reader(io.StringIO(data.decode(), newline="")))


def _assert_safe(rows: list[list[str]], frame: pd.DataFrame, header_rows: int = 1) -> None:
    assert len(rows) == len(frame) + header_rows
    assert all(len(row) == frame.shape[1] for row in rows)
    for row in rows:
        for cell in row:
            assert "\x00" not in cell
            assert not _EVALUATED.match(cell) or _NUMBER.fullmatch(cell), cell
    for value, cell in zip(frame.to_numpy().ravel(), [c for row in rows[header_rows:] for c in row], strict=True):
        if not isinstance(value, str):
            assert float(cell) == float(value)  # numbers stay numbers, unquoted and unprefixed
        elif not _EVALUATED.match(value) and "\x00" not in value:
            assert cell == value  # harmless text is written verbatim


@settings(max_examples=300, deadline=None)
@given(frames)
def test_safe_csv_reads_back_cell_for_cell_with_no_live_formula(frame: pd.DataFrame) -> None:
    _assert_safe(_read_back(safe_csv(frame)), frame)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(texts, st.none()), min_size=1, max_size=8))
def test_text_is_guarded_in_every_pandas_text_dtype(values: list[str | None]) -> None:
    """Arrow-backed and extension string columns, categories: text wherever pandas keeps it."""
    arrow = pa.array(values, pa.string())
    columns = [pd.Series(values, dtype=dtype) for dtype in (object, "string", pd.ArrowDtype(pa.string()))]
    # categories as Parquet gives them (pandas' own hashing takes "\x00" for "")
    columns.append(arrow.dictionary_encode().to_pandas())
    expected = pd.DataFrame({"t": ["" if v is None else v for v in values]})
    for column in columns:
        _assert_safe(_read_back(safe_csv(pd.DataFrame({"t": column}))), expected)


@settings(max_examples=150, deadline=None)
@given(st.lists(frames, min_size=1, max_size=3), st.lists(texts, min_size=1, max_size=4))
def test_batch_result_chunks_read_back_with_no_live_formula(chunks: list[pd.DataFrame], names: list[str]) -> None:
    """The batch job's sink: input columns tested through Arrow, a computed text column, a hostile header."""
    width = min(c.shape[1] for c in chunks)
    header = [*(f"{n}{i}" for i, n in enumerate(names[:width])), *(f"c{i}" for i in range(len(names), width))]
    handle = io.BytesIO()
    sink = _CsvSink(handle)
    written = []
    for chunk in chunks:
        out = chunk.iloc[:, :width].set_axis(header, axis=1).astype(object)
        arrays = [pa.array([v if isinstance(v, str) else None for v in out[c]], pa.string()) for c in header]
        batch = pa.RecordBatch.from_arrays(arrays, names=header)
        out["prediction"] = [str(v) for v in chunk.iloc[:, 0]]  # computed: not in the Arrow batch
        sink.write(batch, out.copy())
        written.append(out)
    everything = pd.concat(written, ignore_index=True)
    rows = _read_back(handle.getvalue())
    _assert_safe(rows, everything)


def test_no_other_csv_writer() -> None:
    """A second writer would miss the quoting and neutralizing rules: everything goes through ``safe_csv``, and
    every download button through ``ui.downloads`` (whose CSV helper is ``safe_csv``; the pages' other CSV
    downloads hand out engine writers' bytes, covered by ``test_csv_writers``)."""
    offenders = []
    for folder in ("core", "ui", "pages", "api"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            if path.name != "exports.py" and (".to_csv(" in text or "csv.writer" in text or "DictWriter" in text):
                offenders.append(str(path.relative_to(ROOT)))
            if path.name != "downloads.py" and "download_button" in text:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_streamlit_table_export_is_off() -> None:
    """Every table's toolbar offered Streamlit's own CSV export, which writes a bare CR unquoted and leaves
    formulas live; pages offer ``download_csv`` (``safe_csv``) instead."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["disableDataExport"] is True
