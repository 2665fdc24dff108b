"""CSV -> Arrow: sniff encoding, delimiter and quirks from the first bytes, then one pyarrow.csv parse.

The sniffing reads at most a few KB (a few MB for a giant header) so a bad file is refused before it
is parsed, and the parse itself is Arrow's multithreaded reader on the caller's buffer or path, with
no decoded copy of the file (only Latin-1 / cp1252 / UTF-16 files are transcoded while streaming).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv

from core.datasets.headers import checked_names
from core.errors import InvalidInput, Problem

SAMPLE_BYTES = 1 << 16
MAX_HEADER_BYTES = 1 << 22
SNIFF_ROWS = 200
MAX_REPORTED_ROWS = 20
DELIMITERS = (",", ";", "\t", "|")
_CONTROL_BYTES = bytes([*range(0, 9), 11, 12, *range(14, 32), 127])
_FALLBACK_ENCODINGS = {"utf-8": ("cp1252", "latin-1"), "cp1252": ("latin-1",)}
_RAGGED = re.compile(r"Expected (\d+) columns, got (\d+)")
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")
_DECIMAL_POINT = re.compile(r"^-?\d+\.\d+$")
_SEPARATOR_HINT = re.compile(r"^sep=(.)\r?\n")


@dataclass(frozen=True)
class Dialect:
    """What sniffing found out about a CSV file."""

    encoding: str
    delimiter: str
    multiline: bool
    decimal_comma: bool
    header: list[str]
    header_complete: bool
    skip_rows: int = 0  # 1 when Excel's "sep=;" hint line comes first


def read_csv(source: bytes | Path, filename: str, *, max_columns: int, text_columns: Collection[str] = ()) -> pa.Table:
    """Parse a CSV file; ``text_columns`` are kept verbatim as strings (e.g. codes with leading zeros)."""
    head, whole = _head(source)
    dialect = sniff(head, whole, filename)
    checked_names(dialect.header, filename, max_columns, complete=dialect.header_complete)
    encodings = (dialect.encoding, *_FALLBACK_ENCODINGS.get(dialect.encoding, ()))
    for encoding in encodings:
        try:
            table = _parse(source, replace(dialect, encoding=encoding), filename, text_columns)
        except UnicodeDecodeError as error:  # e.g. cp1252 meets one of its five undefined bytes further in
            if encoding == encodings[-1]:
                raise InvalidInput(f"'{filename}' could not be decoded as {encoding} text.") from error
            continue
        if encoding == encodings[-1] or not any(pa.types.is_binary(f.type) for f in table.schema):
            break  # a binary column is Arrow's sign of text that is not UTF-8: try the next encoding
    if table.num_columns == 0:
        raise InvalidInput(f"'{filename}' is empty.", [Problem("empty file")])
    names = checked_names(table.column_names, filename, max_columns)
    return table.rename_columns(names) if names != table.column_names else table


def sniff(head: bytes, whole: bool, filename: str) -> Dialect:
    """Guess the dialect from the first bytes; refuse empty and binary files with a clear sentence."""
    encoding = _encoding(head)
    if encoding != "utf-16":
        if not head.removeprefix(codecs.BOM_UTF8).strip():
            raise InvalidInput(f"'{filename}' is empty.", [Problem("empty file")])
        if b"\x00" in head or len(head) - len(head.translate(None, _CONTROL_BYTES)) > len(head) // 100:
            raise InvalidInput(
                f"'{filename}' does not look like a CSV text file: it contains binary data.",
                [Problem("binary content")],
            )
    text = head.decode(encoding, errors="replace").removeprefix("\ufeff")
    header_complete = whole or "\n" in text
    if not whole and "\n" in text:
        text = text[: text.rindex("\n")]  # the last line may be cut in the middle
    if not text.strip():
        raise InvalidInput(f"'{filename}' is empty.", [Problem("empty file")])
    hint = _SEPARATOR_HINT.match(text)
    if hint:
        text = text[hint.end() :]
    delimiter, records = (hint.group(1), _records(text, hint.group(1))) if hint else _delimiter(text)
    if not records:
        raise InvalidInput(f"'{filename}' is empty.", [Problem("empty file")])
    fields = [f for record in records[1:] for f in record]
    return Dialect(
        encoding=encoding,
        delimiter=delimiter,
        multiline=any("\n" in f or "\r" in f for record in records for f in record),
        decimal_comma=delimiter == ";"
        and any(_DECIMAL_COMMA.match(f) for f in fields)
        and not any(_DECIMAL_POINT.match(f) for f in fields),
        header=records[0],
        header_complete=header_complete,
        skip_rows=1 if hint else 0,
    )


def _encoding(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "cp1252"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def _delimiter(text: str) -> tuple[str, list[list[str]]]:
    """The candidate giving the most consistent field count (then the most fields) over the first rows."""
    best: tuple[tuple[float, int], str, list[list[str]]] | None = None
    for delimiter in DELIMITERS:
        try:
            records = _records(text, delimiter)
        except csv.Error:  # e.g. a field longer than the csv module allows: not this delimiter
            continue
        width = len(records[0]) if records else 0
        if width < 2:
            continue
        score = (sum(len(r) == width for r in records) / len(records), width)
        if best is None or score > best[0]:
            best = (score, delimiter, records)
    if best is None:
        return ",", [[line] for line in itertools.islice(text.splitlines(), SNIFF_ROWS) if line]
    return best[1], best[2]


def _records(text: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [r for r in itertools.islice(reader, SNIFF_ROWS) if r]


def _head(source: bytes | Path) -> tuple[bytes, bool]:
    """The first bytes (enough to hold the header line) and whether they are the whole file."""
    with _binary(source) as stream:
        head = stream.read(SAMPLE_BYTES)
        if b"\n" not in head and len(head) == SAMPLE_BYTES:
            head += stream.read(MAX_HEADER_BYTES - SAMPLE_BYTES)
        return head, not stream.read(1)


@contextmanager
def _binary(source: bytes | Path) -> Iterator[IO[bytes]]:
    if isinstance(source, Path):
        with source.open("rb") as handle:
            yield handle
    else:
        yield io.BytesIO(source)


def _parse(source: bytes | Path, dialect: Dialect, filename: str, text_columns: Collection[str]) -> pa.Table:
    arrow_input = str(source) if isinstance(source, Path) else pa.BufferReader(pa.py_buffer(source))
    try:
        table = pv.read_csv(
            arrow_input,
            read_options=pv.ReadOptions(encoding=dialect.encoding, skip_rows=dialect.skip_rows),
            parse_options=pv.ParseOptions(delimiter=dialect.delimiter, newlines_in_values=dialect.multiline),
            convert_options=pv.ConvertOptions(
                strings_can_be_null=True,
                column_types={raw: pa.string() for raw in dialect.header if raw.strip() in text_columns},
                decimal_point="," if dialect.decimal_comma else ".",
            ),
        )
    except pa.ArrowInvalid as error:
        ragged = _RAGGED.search(str(error))
        if ragged is None:
            first_line = str(error).splitlines()[0]
            raise InvalidInput(f"'{filename}' could not be read as CSV: {first_line}.") from error
        if not dialect.multiline:  # a quoted line break past the sniffed rows looks like a ragged row
            return _parse(source, replace(dialect, multiline=True), filename, text_columns)
        width = int(ragged.group(1))
        _check_quotes_closed(source, dialect, filename)  # a stray quote (the likelier cause) is named at its row
        raise InvalidInput(
            f"'{filename}' has rows whose number of fields differs from its header ({width} columns).",
            _ragged_rows(source, dialect, width) or [Problem(str(error).splitlines()[0])],
        ) from error
    # A stray quote makes the lines up to the next quote (or the rest of the file) one cell, or ends the file
    if _some_cell_spans_lines(table) or _last_line_has_quote(source):
        _check_quotes_closed(source, dialect, filename)
    return table


def _some_cell_spans_lines(table: pa.Table) -> bool:
    """Whether a text cell holds a line break, searched in the columns' character buffers (milliseconds for
    millions of cells; a buffer may hold bytes past its cells, which at worst asks for the exact check)."""
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            for chunk in column.chunks:
                data = chunk.buffers()[2]
                characters = np.frombuffer(data, np.uint8) if data is not None else np.empty(0, np.uint8)
                if (characters == ord("\n")).any() or (characters == ord("\r")).any():
                    return True
    return False


def _last_line_has_quote(source: bytes | Path) -> bool:
    """Whether the file ends without a line break on a line holding a quote (where a quote opened on the last
    line and never closed leaves no line break in the cell to notice it by). Reads the last bytes only."""
    with _binary(source) as stream:
        stream.seek(0, io.SEEK_END)
        stream.seek(max(0, stream.tell() - SAMPLE_BYTES))
        tail = stream.read()
    return not tail.endswith((b"\n", b"\r")) and b'"' in tail.rsplit(b"\n", 1)[-1]


def _check_quotes_closed(source: bytes | Path, dialect: Dialect, filename: str) -> None:
    """Refuse a file where a quoted field runs over lines it should not (never closed, or closed in the middle
    of a field), naming the data row where that field starts. Run only when that may have happened (a cell
    spanning lines, or a quote on an unfinished last line): Arrow's parser is lenient about both."""
    with _text(source, dialect) as text:
        records = (r for r in csv.reader(text, delimiter=dialect.delimiter, strict=True) if r)
        row = -dialect.skip_rows  # the hint line, then the header, come before data row 1
        try:
            for _ in records:
                row += 1
        except csv.Error as error:
            if "unexpected end of data" in str(error):
                what, fix = "a quote opened in row {} that is never closed, so the rest of the file", "close the quote"
            elif "expected after" in str(error):  # '"a"b': text after a closing quote
                what, fix = (
                    "a quoted field in row {} that goes on after its closing quote, so several lines",
                    "fix its quotes",
                )
            elif "field limit" in str(error):  # a cell of over 128 KB among cells spanning lines: a quote not closed
                what = f"a field in row {{}} longer than {csv.field_size_limit():,} characters, likely a quote never"
                what, fix = what + " closed, so many lines", "close the quote"
            else:
                return  # other oddities were for Arrow to judge; it accepted them
            raise InvalidInput(
                f"'{filename}' has {what.format(row)} would be read as one cell; {fix} or remove it.",
                [Problem(f"unterminated or misplaced quote ({error})", row=row)],
            ) from None


@contextmanager
def _text(source: bytes | Path, dialect: Dialect) -> Iterator[IO[str]]:
    """The file decoded as the dialect says, for the csv module (line ends kept, as it needs)."""
    encoding = "utf-8-sig" if dialect.encoding == "utf-8" else dialect.encoding
    with _binary(source) as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
        try:
            yield text
        finally:
            text.detach()


def _ragged_rows(source: bytes | Path, dialect: Dialect, width: int) -> list[Problem]:
    """Row numbers (1-based data rows, blank lines skipped as Arrow does) of the first ragged rows."""
    problems: list[Problem] = []
    with _text(source, dialect) as text:
        records = (r for r in csv.reader(text, delimiter=dialect.delimiter) if r)
        for _ in range(dialect.skip_rows + 1):  # the hint line, then the header
            next(records, None)
        try:
            for row, record in enumerate(records, start=1):
                if len(record) != width:
                    problems.append(
                        Problem(
                            f"ragged row: expected {width} fields, found {len(record)}",
                            row=row,
                            value=dialect.delimiter.join(record)[:80],
                        )
                    )
                    if len(problems) == MAX_REPORTED_ROWS:
                        break
        except csv.Error:  # a malformed record the csv module cannot follow: report what was found
            pass
    return problems
