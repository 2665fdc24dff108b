"""Excel .xlsx -> Arrow with openpyxl in read-only mode, after checking the zip is really a workbook.

The zip directory is inspected first (cheap, no XML parsed) so a damaged file, a zip that is not a
workbook, or a zip bomb (too big unpacked, or a part unpacking to over ``MAX_INFLATE_RATIO`` times its size) is
refused with a clear sentence before openpyxl touches it (Python's zipfile holds each part to the size the
directory declares). Sizes alone do not bound the work (a sheet of empty cells is tiny even unpacked), so reading
also stops at ``MAX_CELLS`` cells and after ``MAX_SECONDS``; the sheet's ``<dimension>`` tag is ignored (a wrong
one loses rows or makes openpyxl walk a million empty rows).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path
from time import monotonic
from typing import IO, Any
from xml.etree.ElementTree import ParseError

import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl.utils.exceptions import InvalidFileException

from core.datasets.headers import NULL_TOKENS, checked_names
from core.errors import InvalidInput, Problem

MAX_UNCOMPRESSED_BYTES = 2 << 30
MAX_INFLATE_RATIO = 100  # real workbook parts unpack to at most ~20x; a bomb (a GB of XML in a few MB) far more
INFLATE_GRACE_BYTES = 1 << 20  # small parts may compress better (an empty sheet's XML)
MAX_CELLS = 20_000_000  # cells and rows read, empty ones included
MAX_SECONDS = 120.0
# openpyxl meets damage in many ways; AttributeError / IndexError come from a workbook.xml that names no sheet
_LOAD_ERRORS = (
    KeyError,
    ValueError,
    TypeError,
    AttributeError,
    IndexError,
    OSError,
    zipfile.BadZipFile,
    InvalidFileException,
    ParseError,
)


def list_sheets(source: bytes | Path, filename: str) -> list[str]:
    """Worksheet names in workbook order."""
    with _workbook(source, filename) as workbook:
        return [worksheet.title for worksheet in workbook.worksheets]  # chart sheets hold no table


def read_xlsx(
    source: bytes | Path,
    filename: str,
    *,
    sheet: str | None,
    max_columns: int,
    text_columns: Collection[str] = (),
) -> pa.Table:
    """One worksheet (the first when ``sheet`` is None) as a table; its first non-empty row is the header.

    Empty rows are skipped, as the CSV reader skips blank lines, so row numbers mean the same thing.
    """
    with _workbook(source, filename) as workbook:
        worksheet = _worksheet(workbook, filename, sheet)
        worksheet.reset_dimensions()
        rows = (row for row in _bounded_rows(worksheet, filename) if any(v is not None for v in row))
        header = next(rows, None)
        if header is None:
            raise InvalidInput(
                f"'{filename}' is empty (sheet '{worksheet.title}' has no cells).", [Problem("empty file")]
            )
        checked_names(header[: _width(header)], filename, max_columns)  # refuse before reading rows
        records = list(rows)
    width = max([_width(header), *(_width(r) for r in records)])
    names = checked_names([header[i] if i < len(header) else None for i in range(width)], filename, max_columns)
    arrays = [
        _array([r[i] if i < len(r) else None for r in records], as_text=name in text_columns)
        for i, name in enumerate(names)
    ]
    return pa.table(arrays, names=names)


def _worksheet(workbook: Any, filename: str, sheet: str | None) -> Any:
    """The named worksheet, else the first; a workbook of chart sheets only (or none) is refused."""
    titles = [worksheet.title for worksheet in workbook.worksheets]
    if not titles:
        raise InvalidInput(
            f"'{filename}' has no worksheet (only charts, or nothing), so there is no table to read.",
            [Problem("no worksheet")],
        )
    if sheet is None:
        return workbook.worksheets[0]
    if sheet not in titles:
        listed = ", ".join(f"'{n}'" for n in titles)
        raise InvalidInput(f"'{filename}' has no worksheet named '{sheet}'; its worksheets are {listed}.")
    return workbook[sheet]


def _bounded_rows(worksheet: Any, filename: str) -> Iterator[tuple[Any, ...]]:
    """The sheet's rows, refusing the file once it holds more than ``MAX_CELLS`` or takes ``MAX_SECONDS``."""
    deadline, cells = monotonic() + MAX_SECONDS, 0
    for number, row in enumerate(worksheet.iter_rows(values_only=True)):
        cells += max(1, len(row))
        if cells > MAX_CELLS:
            raise InvalidInput(
                f"'{filename}' holds more than {MAX_CELLS:,} cells (empty ones included); it is refused.",
                [Problem("too many cells")],
            )
        if number % 256 == 0 and monotonic() > deadline:
            raise InvalidInput(
                f"'{filename}' took more than {MAX_SECONDS:.0f} seconds to read; it is refused.",
                [Problem("workbook too slow to read")],
            )
        yield row


@contextmanager
def _workbook(source: bytes | Path, filename: str) -> Iterator[Any]:
    with _stream(source) as stream:
        _check_zip(stream, filename)
        stream.seek(0)
        try:
            workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        except _LOAD_ERRORS as error:
            raise InvalidInput(f"'{filename}' is a damaged Excel workbook and cannot be read.") from error
        try:
            yield workbook
        except _LOAD_ERRORS as error:  # damage found while reading a sheet's cells
            raise InvalidInput(f"'{filename}' is a damaged Excel workbook and cannot be read.") from error
        finally:
            workbook.close()


@contextmanager
def _stream(source: bytes | Path) -> Iterator[IO[bytes]]:
    if isinstance(source, Path):
        with source.open("rb") as handle:
            yield handle
    else:
        yield io.BytesIO(source)


def _check_zip(stream: IO[bytes], filename: str) -> None:
    try:
        with zipfile.ZipFile(stream) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise InvalidInput(
            f"'{filename}' is not a valid .xlsx workbook (damaged, or another format renamed .xlsx).",
            [Problem("not an xlsx file")],
        ) from error
    if not any(e.filename == "xl/workbook.xml" for e in entries):
        raise InvalidInput(
            f"'{filename}' is a zip archive but not an Excel workbook.", [Problem("zip without a workbook")]
        )
    if sum(e.file_size for e in entries) > MAX_UNCOMPRESSED_BYTES:
        raise InvalidInput(
            f"'{filename}' expands to more than {MAX_UNCOMPRESSED_BYTES >> 30} GB; it is refused.",
            [Problem("workbook too large when unpacked")],
        )
    for entry in entries:  # openpyxl parses shared strings and styles whole, before any cell bound applies
        if entry.file_size > max(INFLATE_GRACE_BYTES, MAX_INFLATE_RATIO * entry.compress_size):
            raise InvalidInput(
                f"'{filename}' unpacks to {entry.file_size / max(1, entry.compress_size):,.0f} times its size "
                f"({entry.filename}), far more than a real workbook; it is refused.",
                [Problem("workbook compressed suspiciously well (zip bomb)", value=entry.filename)],
            )


def _width(row: Sequence[Any]) -> int:
    """Position after the last non-empty cell (Excel rows often trail empty, formatted cells)."""
    for i in range(len(row) - 1, -1, -1):
        if row[i] is not None:
            return i + 1
    return 0


def _array(values: list[Any], *, as_text: bool) -> pa.Array:
    """One column: Arrow's own type when the cells agree, text otherwise; midnight-only datetimes -> dates."""
    values = [None if isinstance(v, str) and v in NULL_TOKENS else v for v in values]
    if not as_text and not any(isinstance(v, time) for v in values):
        try:
            array = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass
        else:
            if pa.types.is_timestamp(array.type) and _all_midnight(array):
                return array.cast(pa.date32())
            return array if not pa.types.is_null(array.type) else pa.nulls(len(values), pa.string())
    return pa.array([None if v is None else _text(v) for v in values], pa.string())


def _all_midnight(array: pa.Array) -> bool:
    return pc.all(pc.equal(pc.floor_temporal(array, unit="day"), array)).as_py() is True


def _text(value: Any) -> str:
    if isinstance(value, datetime | date | time):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value)
