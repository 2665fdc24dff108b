"""Readers and template inference on real files written to tmp_path (CSV dialects, xlsx, parquet, bad input)."""

from __future__ import annotations

import datetime as dt
import time
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.datasets import infer_columns, list_sheets, read_table
from core.entities import ColumnSpec
from core.errors import InvalidInput

pytestmark = pytest.mark.database_free  # no Engine, no database: the Postgres run of CI skips it


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _workbook(path: Path) -> Path:
    """A real two-sheet workbook: typed cells on 'orders', a small second sheet 'notes'."""
    book = openpyxl.Workbook()
    orders = book.active
    orders.title = "orders"
    orders.append(["id", "amount", "placed", "at", "label", "mixed", None])
    orders.append([1, 9.5, dt.datetime(2024, 1, 31), dt.datetime(2024, 1, 31, 8, 30), "a", 1, None])
    orders.append([None] * 6)  # an empty row, skipped like a blank CSV line
    orders.append([2, 3, dt.datetime(2024, 2, 1), dt.datetime(2024, 2, 1, 9, 0), "N/A", "x", None])
    notes = book.create_sheet("notes")
    notes.append(["note"])
    notes.append(["hello"])
    book.save(path)
    return path


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semi.csv"), ("\t", "tab.tsv"), ("|", "pipe.csv")])
def test_reader_detects_delimiter(tmp_path: Path, delimiter: str, name: str) -> None:
    text = delimiter.join(["city", "population", "note"]) + "\n"
    text += delimiter.join(["Paris", "2100000", '"big, old"']) + "\n"
    text += delimiter.join(["Lyon", "520000", "river"]) + "\n"
    table = read_table(_write(tmp_path, name, text.encode()), name)
    assert table.column_names == ["city", "population", "note"]
    assert table.column("population").to_pylist() == [2100000, 520000]
    assert table.column("note").to_pylist() == ["big, old", "river"]


def test_reader_reads_decimal_commas_in_semicolon_files(tmp_path: Path) -> None:
    data = "produit;prix\nthé;2,50\ncafé;1,75\n".encode()
    table = read_table(_write(tmp_path, "prix.csv", data), "prix.csv")
    assert table.schema.field("prix").type == pa.float64()
    assert table.column("prix").to_pylist() == [2.5, 1.75]


def test_reader_decodes_latin1_accents(tmp_path: Path) -> None:
    data = "nom;ville\nJosé;São Paulo\nRenée;Zürich\n".encode("latin-1")
    table = read_table(_write(tmp_path, "latin.csv", data), "latin.csv")
    assert table.to_pylist() == [{"nom": "José", "ville": "São Paulo"}, {"nom": "Renée", "ville": "Zürich"}]


def test_reader_decodes_windows_1252_euro_sign(tmp_path: Path) -> None:
    data = "item,price\nbook,€12\n".encode("cp1252")
    assert read_table(data, "euro.csv").column("price").to_pylist() == ["€12"]


def test_reader_finds_latin1_bytes_after_a_utf8_looking_start(tmp_path: Path) -> None:
    lines = ["name,n"] + [f"row{i},{i}" for i in range(20_000)]
    data = ("\n".join(lines) + "\n").encode() + "Zoé,1\n".encode("latin-1")
    table = read_table(_write(tmp_path, "late.csv", data), "late.csv")
    assert table.num_rows == 20_001
    assert table.column("name")[-1].as_py() == "Zoé"


def test_reader_strips_utf8_bom(tmp_path: Path) -> None:
    data = "\ufeffid,name\n1,Ünal\n".encode()
    table = read_table(_write(tmp_path, "bom.csv", data), "bom.csv")
    assert table.column_names == ["id", "name"]
    assert table.column("name").to_pylist() == ["Ünal"]


def test_reader_decodes_utf16_with_bom(tmp_path: Path) -> None:
    data = "id\tname\n1\tÅsa\n".encode("utf-16")
    assert read_table(data, "excel-unicode.txt").to_pylist() == [{"id": 1, "name": "Åsa"}]


def test_reader_gives_same_table_from_bytes_and_path(tmp_path: Path) -> None:
    data = b"a,b\n1,x\n2,y\n"
    assert read_table(data, "t.csv").equals(read_table(_write(tmp_path, "t.csv", data), "t.csv"))


def test_reader_infers_types_once(tmp_path: Path) -> None:
    data = b"i,f,d,ts,b,s\n1,1.5,2024-01-31,2024-01-31 10:00:00,true,x\n2,,2024-02-01,2024-02-01 11:30:00,false,\n"
    schema = read_table(data, "types.csv").schema
    assert [schema.field(n).type for n in schema.names] == [
        pa.int64(),
        pa.float64(),
        pa.date32(),
        pa.timestamp("s"),
        pa.bool_(),
        pa.string(),
    ]


def test_reader_reads_template_text_columns_verbatim(tmp_path: Path) -> None:
    data = b"zip,amount\n00710,5\n01000,6\n"
    table = read_table(data, "zips.csv", columns=[ColumnSpec("zip", "string"), ColumnSpec("amount", "integer")])
    assert table.column("zip").to_pylist() == ["00710", "01000"]
    assert table.schema.field("amount").type == pa.int64()


def test_reader_keeps_line_breaks_inside_quoted_cells(tmp_path: Path) -> None:
    filler = "".join(f"{i},plain\n" for i in range(10_000))  # the quoted break comes after the sniffed bytes
    data = ("id,comment\n" + filler + '10000,"two\nlines"\n10001,end\n').encode()
    table = read_table(_write(tmp_path, "multi.csv", data), "multi.csv")
    assert table.num_rows == 10_002
    assert table.column("comment")[10_000].as_py() == "two\nlines"


def test_reader_follows_excels_separator_hint_line() -> None:
    assert read_table(b"sep=;\r\nname;n\r\nann;1\r\n", "hint.csv").to_pylist() == [{"name": "ann", "n": 1}]


def test_reader_trims_header_names_so_templates_match() -> None:
    table = read_table(b" zip , n\n007,1\n", "padded.csv", columns=[ColumnSpec("zip", "string")])
    assert table.to_pylist() == [{"zip": "007", "n": 1}]


def test_reader_names_blank_header_cells(tmp_path: Path) -> None:
    table = read_table(b",value\n0,10\n1,20\n", "index.csv")
    assert table.column_names == ["column_1", "value"]


def test_reader_treats_common_missing_markers_as_missing() -> None:
    table = read_table(b"n,s\n1,NA\n,x\nnan,\n", "na.csv")
    assert table.column("n").to_pylist() == [1, None, None]
    assert table.column("s").to_pylist() == [None, "x", None]


def test_xlsx_lists_sheets_and_reads_the_chosen_one(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "book.xlsx")
    assert list_sheets(path, "book.xlsx") == ["orders", "notes"]
    assert read_table(path, "book.xlsx", sheet="notes").to_pylist() == [{"note": "hello"}]


def test_xlsx_reads_typed_cells_of_the_first_sheet(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "book.xlsx")
    table = read_table(path.read_bytes(), "book.xlsx")
    assert table.column_names == ["id", "amount", "placed", "at", "label", "mixed"]
    types = {name: table.schema.field(name).type for name in table.column_names}
    assert types == {
        "id": pa.int64(),
        "amount": pa.float64(),
        "placed": pa.date32(),
        "at": pa.timestamp("us"),
        "label": pa.string(),
        "mixed": pa.string(),
    }
    assert table.column("placed").to_pylist() == [dt.date(2024, 1, 31), dt.date(2024, 2, 1)]
    assert table.column("label").to_pylist() == ["a", None]
    assert table.column("mixed").to_pylist() == ["1", "x"]


def test_xlsx_refuses_unknown_sheet_naming_the_real_ones(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "book.xlsx")
    with pytest.raises(InvalidInput, match="'orders', 'notes'"):
        read_table(path, "book.xlsx", sheet="missing")


def test_parquet_is_read_with_its_types(tmp_path: Path) -> None:
    original = pa.table({"n": [1, 2], "when": pa.array([dt.date(2024, 1, 1), None]), "s": ["a", "b"]})
    pq.write_table(original, tmp_path / "t.parquet")
    assert read_table(tmp_path / "t.parquet", "t.parquet").equals(original)
    assert list_sheets(tmp_path / "t.parquet", "t.parquet") == []


def test_parquet_with_nested_columns_is_refused(tmp_path: Path) -> None:
    pq.write_table(pa.table({"tags": [["a"], ["b", "c"]]}), tmp_path / "nested.parquet")
    with pytest.raises(InvalidInput, match="not plain values: tags") as error:
        read_table(tmp_path / "nested.parquet", "nested.parquet")
    assert error.value.problems[0].field == "tags"


def test_parquet_half_floats_small_unsigned_integers_and_string_views_become_common_types(tmp_path: Path) -> None:
    big = 2**53 + 1  # beyond exact float64, still within int64
    original = pa.table(
        {
            "half": pa.array(np.array([0.5, 1.25, None], dtype=np.float16), from_pandas=True),
            "count": pa.array([big, 7, None], pa.uint64()),
            "name": pa.array(["a", "b", None], pa.string_view()),
        }
    )  # how Polars writes text
    pq.write_table(original, tmp_path / "t.parquet")
    table = read_table(tmp_path / "t.parquet", "t.parquet")
    assert [table.schema.field(c).type for c in ("half", "count", "name")] == [pa.float32(), pa.int64(), pa.string()]
    assert table.column("half").to_pylist() == [0.5, 1.25, None]
    assert table.column("count").to_pylist() == [big, 7, None]
    assert table.column("name").to_pylist() == ["a", "b", None]


def test_parquet_refuses_unsigned_integers_beyond_int64_naming_the_column(tmp_path: Path) -> None:
    pq.write_table(pa.table({"id": pa.array([1, 2**63 + 5], pa.uint64()), "ok": [1, 2]}), tmp_path / "u.parquet")
    with pytest.raises(InvalidInput, match="whole numbers above 9,223,372,036,854,775,807 in id") as error:
        read_table(tmp_path / "u.parquet", "u.parquet")
    assert [(p.field, p.value) for p in error.value.problems] == [("id", str(2**63 + 5))]


def test_parquet_refuses_durations_times_and_binary_naming_them(tmp_path: Path) -> None:
    pq.write_table(
        pa.table(
            {
                "took": pa.array([1, 2], pa.duration("s")),
                "at": pa.array([dt.time(8, 30), dt.time(9)], pa.time64("us")),
                "blob": pa.array([b"a", b"b"], pa.binary()),
                "n": [1, 2],
            }
        ),
        tmp_path / "odd.parquet",
    )
    message = r"not plain values: took \(duration\[s\]\), at \(time64\[us\]\), blob \(binary\)"
    with pytest.raises(InvalidInput, match=message) as error:
        read_table(tmp_path / "odd.parquet", "odd.parquet")
    assert [p.field for p in error.value.problems] == ["took", "at", "blob"]


def _zip_renamed(tmp_path: Path) -> bytes:
    with zipfile.ZipFile(tmp_path / "archive.zip", "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return (tmp_path / "archive.zip").read_bytes()


def _corrupt_xlsx(tmp_path: Path) -> bytes:
    data = _workbook(tmp_path / "good.xlsx").read_bytes()
    return data[: len(data) // 2]


def _damaged_xml_xlsx(tmp_path: Path) -> bytes:
    good = _workbook(tmp_path / "good.xlsx")
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(tmp_path / "bad.xlsx", "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, b"<workbook><unclosed" if item.filename == "xl/workbook.xml" else data)
    return (tmp_path / "bad.xlsx").read_bytes()


def _header_only_xlsx(tmp_path: Path) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["a", "b"])
    book.save(tmp_path / "header.xlsx")
    return (tmp_path / "header.xlsx").read_bytes()


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("empty.csv", lambda p: b"", "is empty"),
        ("blank.csv", lambda p: b"\n\n  \n", "is empty"),
        ("empty.parquet", lambda p: b"", "is empty"),
        ("header.csv", lambda p: b"a,b,c\n", "header but no data rows"),
        ("header.xlsx", _header_only_xlsx, "header but no data rows"),
        ("junk.csv", lambda p: bytes(range(256)) * 64, "binary data"),
        ("elf.csv", lambda p: b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "binary data"),
        ("broken.xlsx", _corrupt_xlsx, "not a valid .xlsx workbook"),
        ("damaged.xlsx", _damaged_xml_xlsx, "damaged Excel workbook"),
        ("archive.xlsx", _zip_renamed, "zip archive but not an Excel workbook"),
        ("text.xlsx", lambda p: b"a,b\n1,2\n", "not a valid .xlsx workbook"),
        ("junk.parquet", lambda p: b"PAR1 not really", "not a valid Parquet file"),
        ("data.json", lambda p: b"{}", "unsupported file type (.json)"),
        ("old.xls", lambda p: b"\xd0\xcf\x11\xe0", "Save it as .xlsx"),
    ],
)
def test_reader_refuses_bad_input_with_a_sentence(tmp_path: Path, name: str, make, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")) as error:
        read_table(_write(tmp_path, name, make(tmp_path)), name)
    assert error.value.message.startswith(f"'{name}'")


def test_reader_refuses_duplicate_column_names_naming_them(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="duplicate column names: 'a', 'b'") as error:
        read_table(b"a,b,a,b,c\n1,2,3,4,5\n", "dup.csv")
    assert [(p.problem, p.field) for p in error.value.problems] == [
        ("duplicate column name", "a"),
        ("duplicate column name", "b"),
    ]


def test_xlsx_refuses_duplicate_column_names(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["x", "x"])
    book.active.append([1, 2])
    book.save(tmp_path / "dup.xlsx")
    with pytest.raises(InvalidInput, match="duplicate column names: 'x'"):
        read_table(tmp_path / "dup.xlsx", "dup.xlsx")


def test_reader_refuses_ten_thousand_columns_quickly(tmp_path: Path) -> None:
    header = ",".join(f"column_number_{i}" for i in range(10_000))
    rows = "\n".join(",".join(["1"] * 10_000) for _ in range(50))
    path = _write(tmp_path, "wide.csv", f"{header}\n{rows}\n".encode())
    started = time.perf_counter()
    with pytest.raises(InvalidInput, match="10,000 columns; at most 2,000 are allowed"):
        read_table(path, "wide.csv")
    assert time.perf_counter() - started < 0.5


def test_column_limit_is_a_parameter() -> None:
    with pytest.raises(InvalidInput, match="at most 2 are allowed"):
        read_table(b"a,b,c\n1,2,3\n", "t.csv", max_columns=2)


def test_reader_reports_ragged_rows_with_their_row_numbers(tmp_path: Path) -> None:
    data = b"a,b,c\n1,2,3\n4,5\n\n6,7,8\n9,10,11,12\n"
    with pytest.raises(InvalidInput, match="differs from its header") as error:
        read_table(_write(tmp_path, "ragged.csv", data), "ragged.csv")
    assert [(p.row, p.problem) for p in error.value.problems] == [
        (2, "ragged row: expected 3 fields, found 2"),
        (4, "ragged row: expected 3 fields, found 4"),
    ]


def test_infer_columns_proposes_a_template() -> None:
    data = (
        "id,price,day,seen,flag,colour,comment,unknown\n"
        + "".join(
            f"{i},{i * 1.5},{1 + i % 28:02d}/03/2024,2024-03-01 {i % 24:02d}:15,{'yes' if i % 2 else 'no'},"
            f"{['red', 'blue'][i % 2]},free text {i},\n"
            for i in range(40)
        )
    ).encode()
    specs = infer_columns(read_table(data, "sample.csv"))
    assert [(s.name, s.dtype) for s in specs] == [
        ("id", "integer"),
        ("price", "float"),
        ("day", "date"),
        ("seen", "datetime"),
        ("flag", "boolean"),
        ("colour", "category"),
        ("comment", "string"),
        ("unknown", "string"),
    ]
    assert [s.required for s in specs] == [True] * 7 + [False]


def test_infer_columns_looks_only_at_the_sample_rows() -> None:
    table = pa.table({"code": ["A", "B"] * 10 + [f"u{i}" for i in range(200)]})
    assert infer_columns(table, sample_rows=20)[0].dtype == "category"
    assert infer_columns(table, sample_rows=220)[0].dtype == "string"
