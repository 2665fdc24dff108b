"""Builds the corpus of malformed (and a few valid but odd) CSV, XLSX and Parquet files the upload must survive.

Nothing binary is committed: ``corpus()`` makes every file in memory. Each case says what the upload must do:
``None`` = refuse with ``InvalidInput``; an int = store a dataset of that many rows; ``...`` = either."""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable, Iterator, Sequence
from types import EllipsisType

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq

Expect = int | EllipsisType | None
Case = tuple[str, bytes, Expect]


def _xlsx(rows: Sequence[Sequence[object]], *, sheet_xml: Callable[[str], str] | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _rezip(buffer.getvalue(), {"xl/worksheets/sheet1.xml": sheet_xml}) if sheet_xml else buffer.getvalue()


def _rezip(data: bytes, changes: dict[str, Callable[[str], str] | None]) -> bytes:
    """The zip with entries rewritten (or dropped when the change is None)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            text = source.read(info).decode()
            if info.filename in changes:
                change = changes[info.filename]
                if change is None:
                    continue
                text = change(text)
            target.writestr(info.filename, text)
    return out.getvalue()


def _chart_only() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.create_chartsheet("Chart")
    workbook.remove(workbook["Sheet"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _dimension(ref: str) -> Callable[[str], str]:
    def change(xml: str) -> str:
        start = xml.index("<dimension")
        return xml[:start] + f'<dimension ref="{ref}"/>' + xml[xml.index("/>", start) + 2 :]

    return change


def _cell_bomb(cells: int) -> Callable[[str], str]:
    """A sheet of ``cells`` empty-valued cells: deflates to almost nothing, parses for as long as it is big."""

    def change(xml: str) -> str:
        row = "".join("<c/>" for _ in range(100))
        rows = "".join(f'<row r="{r}">{row}</row>' for r in range(2, cells // 100 + 2))
        return xml.replace("</sheetData>", rows + "</sheetData>")

    return change


def _inflating(data: bytes, part: str, head: str, unit: str, tail: str, megabytes: int) -> bytes:
    """The workbook with ``part`` replaced by ``head + unit * n + tail`` of about ``megabytes`` MB, written in
    chunks: a zip bomb that unpacks to hundreds of times its size, as the issue's 2.5 MB -> 1 GB workbook."""
    out = io.BytesIO()
    chunk = (unit * ((1 << 20) // len(unit))).encode()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != part:
                target.writestr(info.filename, source.read(info))
        with target.open(part, "w") as stream:
            stream.write(head.encode())
            for _ in range(megabytes):
                stream.write(chunk)
            stream.write(tail.encode())
    return out.getvalue()


def _with_shared_strings(data: bytes) -> bytes:
    """The workbook declaring a shared-strings part (openpyxl reads it whole when it opens the workbook)."""
    relation = (
        '<Relationship Id="rIdStrings" Target="sharedStrings.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>'
    )
    content = (
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )
    return _rezip(
        data,
        {
            "xl/_rels/workbook.xml.rels": lambda x: x.replace("</Relationships>", relation),
            "[Content_Types].xml": lambda x: x.replace("</Types>", content),
        },
    )


def _entity_bomb(xml: str) -> str:
    """Billion laughs: ten nested entities, each ten of the one before, used in a cell."""
    entities = ['<!ENTITY e0 "lol">'] + [f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10)]
    doctype = f"<!DOCTYPE worksheet [{''.join(entities)}]>"
    return doctype + xml.replace(">n1<", ">&e9;<", 1)


def _parquet(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def _csv_cases() -> Iterator[Case]:
    rows = "\n".join(f"{i},x{i}" for i in range(300))
    yield "empty.csv", b"", None
    yield "bom-only.csv", b"\xef\xbb\xbf", None
    yield "blank-lines.csv", b"\n\n\r\n  \n", None
    yield "nul-bytes.csv", b"a,b\n1,\x002\n", None
    yield "random-binary.csv", random.Random(1).randbytes(4096), None
    yield "header-only.csv", b"a,b\n", ...
    yield "ragged-early.csv", b"a,b\n1,2\n3,4,5\n6,7\n", None
    yield "ragged-late.csv", f"a,b\n{rows}\n1,2,3\n".encode(), None
    yield "unterminated-quote-early.csv", b'a,b\n1,"open\n2,y\n3,z\n', None
    yield "unterminated-quote-late.csv", f'a,b\n{rows}\n301,"oops\n302,y\n303,z\n'.encode(), None
    yield "unterminated-quote-last-line.csv", f'a,b\n{rows}\n301,"oops\n'.encode(), None
    yield "unterminated-quote-no-line-end.csv", f'a,b\n{rows}\n301,"oops'.encode(), None
    yield "unterminated-quote-huge-cell.csv", f'a,b\n1,"open\n{rows * 5}\n'.encode(), None  # past csv's field limit
    yield "stray-quote-closed-later.csv", f'a,b\n{rows}\n301,"oops\n302,y\n303,"z\n304,w\n'.encode(), None
    yield "stray-quote-closed-at-end.csv", f'a,b\n{rows}\n301,"oops\n302,y\n303,"z"\n'.encode(), None
    yield "quoted-newlines-ok.csv", b'a,b\n1,"two\nlines"\n2,"x\r\ny"\n', 2
    yield "late-quoted-newline-ok.csv", f'a,b\n{rows}\n301,"two\nlines"\n302,z\n'.encode(), 302
    yield "duplicate-header.csv", b"a,a\n1,2\n", None
    yield "empty-header-names.csv", b",\n1,2\n", ...
    yield "too-many-columns.csv", (",".join(f"c{i}" for i in range(20_000)) + "\n").encode(), None
    yield "latin1.csv", "name,city\nJos\xe9,K\xf6ln\n".encode("latin-1"), 1
    yield "utf16.csv", "a,b\n1,2\n".encode("utf-16"), 1
    yield "semicolon-decimal-comma.csv", b"a;b\n1,5;2\n3,25;4\n", 2
    yield "sep-hint.csv", b"sep=;\na;b\n1;2\n", 1
    yield "cr-only-line-ends.csv", b"a,b\r1,2\r3,4\r", 2
    yield "long-line.csv", b"a,b\n1," + b"x" * 3_000_000 + b"\n", ...  # Arrow refuses cells past its block size
    yield "invalid-utf8-late.csv", f"a,b\n{rows}\n1,\xff\xfe\n".encode("latin-1"), ...
    yield "formula-cells.csv", b'a,b\n=1+1,"\r=2"\n@SUM(A1),-3\n', 2
    yield "quote-in-header.csv", b'"a""x",b\n1,2\n', 1
    yield "only-delimiters.csv", b",,,\n,,,\n", ...
    yield "control-chars.csv", bytes(range(1, 32)) * 10, None


def _xlsx_cases() -> Iterator[Case]:
    good: list[list[object]] = [["id", "name"], *([i, f"n{i}"] for i in range(50))]
    workbook = _xlsx(good)
    yield "not-a-zip.xlsx", b"id,name\n1,a\n", None
    yield "empty.xlsx", b"", None
    yield "truncated.xlsx", workbook[: len(workbook) // 2], None
    yield "zip-without-workbook.xlsx", _rezip(workbook, {"xl/workbook.xml": None}), None
    yield "no-worksheet-chart-only.xlsx", _chart_only(), None
    yield "sheet-xml-missing.xlsx", _rezip(workbook, {"xl/worksheets/sheet1.xml": None}), None
    yield "sheet-xml-broken.xlsx", _xlsx(good, sheet_xml=lambda x: x[: len(x) // 2]), None
    yield "workbook-xml-broken.xlsx", _rezip(workbook, {"xl/workbook.xml": lambda x: x[:40]}), None
    yield "content-types-missing.xlsx", _rezip(workbook, {"[Content_Types].xml": None}), None
    yield "dimension-too-small.xlsx", _xlsx(good, sheet_xml=_dimension("A1:B2")), 50
    yield "dimension-huge.xlsx", _xlsx(good, sheet_xml=_dimension("A1:XFD1048576")), 50
    yield "dimension-garbage.xlsx", _xlsx(good, sheet_xml=_dimension("nonsense")), None
    yield "cell-bomb.xlsx", _xlsx(good, sheet_xml=_cell_bomb(60_000)), None
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>',
        "</sheetData></worksheet>",
    )
    yield (
        "xml-bomb-sheet.xlsx",
        _inflating(workbook, "xl/worksheets/sheet1.xml", sheet[0], "<row><c/><c/><c/></row>", sheet[1], 64),
        None,
    )
    strings = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">', "</sst>")
    yield (
        "shared-strings-bomb.xlsx",
        _inflating(
            _with_shared_strings(workbook), "xl/sharedStrings.xml", strings[0], "<si><t>x</t></si>", strings[1], 64
        ),
        None,
    )
    yield "entity-bomb.xlsx", _xlsx(good, sheet_xml=_entity_bomb), ...
    yield (
        "row-far-below.xlsx",
        _xlsx(
            good,
            sheet_xml=lambda x: x.replace(
                "</sheetData>", '<row r="1048576"><c r="A1048576"><v>7</v></c></row></sheetData>'
            ),
        ),
        51,
    )
    yield (
        "cell-far-right.xlsx",
        _xlsx(
            good,
            sheet_xml=lambda x: x.replace("</sheetData>", '<row r="60"><c r="XFD60"><v>7</v></c></row></sheetData>'),
        ),
        None,
    )
    yield "empty-sheet.xlsx", _xlsx([]), None
    yield "header-only.xlsx", _xlsx([["id", "name"]]), ...
    yield "duplicate-columns.xlsx", _xlsx([["a", "a"], [1, 2]]), None
    yield "blank-rows-between.xlsx", _xlsx([["a"], [1], [None], [None], [2]]), 2
    yield "formula-text.xlsx", _xlsx([["a"], ["=1+1"], ["@x"]]), 1  # a formula without a cached value is empty
    yield "random-bytes.xlsx", random.Random(2).randbytes(2048), None
    yield "zip-of-junk.xlsx", _rezip(workbook, {"xl/styles.xml": lambda x: "<<<"}), ...


def _parquet_cases() -> Iterator[Case]:
    good = _parquet(pa.table({"a": [1, 2, 3], "b": ["x", "y", "z"]}))
    yield "empty.parquet", b"", None
    yield "magic-only.parquet", b"PAR1PAR1", None
    yield "truncated.parquet", good[: len(good) // 2], None
    yield "footer-cut.parquet", good[:-10], None
    yield "random.parquet", random.Random(3).randbytes(1024), None
    yield "csv-renamed.parquet", b"a,b\n1,2\n", None
    yield "zero-rows.parquet", _parquet(pa.table({"a": pa.array([], pa.int64())})), ...
    yield "zero-columns.parquet", _parquet(pa.table({})), None
    yield "duration-column.parquet", _parquet(pa.table({"d": pa.array([1, 2], pa.duration("s"))})), None
    yield "nested-column.parquet", _parquet(pa.table({"n": [[1, 2], [3]]})), None
    yield "binary-column.parquet", _parquet(pa.table({"b": pa.array([b"\x00", b"\x01"])})), None
    yield "struct-column.parquet", _parquet(pa.table({"s": [{"x": 1}, {"x": 2}]})), None
    yield "duplicate-names.parquet", _parquet(pa.Table.from_arrays([pa.array([1]), pa.array([2])], ["a", "a"])), None
    yield "float16.parquet", _parquet(pa.table({"f": pa.array([1.5, 2.5], pa.float16())})), 2
    yield "uint64-big.parquet", _parquet(pa.table({"u": pa.array([2**64 - 1, 1], pa.uint64())})), ...
    yield "valid.parquet", good, 3


def corpus() -> list[Case]:
    return [*_csv_cases(), *_xlsx_cases(), *_parquet_cases()]
