"""Validation against templates: each problem kind at the right row and column, defaults, usable rows."""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction
from pathlib import Path

import pyarrow as pa
import pytest

from core.datasets import PROBLEM_KINDS, ValidationReport, keep_valid, read_table, validate
from core.entities import ColumnSpec
from core.errors import InvalidInput

pytestmark = pytest.mark.database_free  # no Engine, no database: the Postgres run of CI skips it

ORDERS_CSV = """order_id,customer,amount,placed,paid,channel,note
1,ana,10.5,2024-01-05,yes,web,first
2,,12,2024-01-06,no,shop,
3,bob,twelve,2024-01-07,true,web,
4,cyd,7.25,2024-02-30,false,,late
5,dan,3,,1,phone,
6,eve,8,07/01/2024,maybe,web,
7,fay,9.75,2024-01-09,0,shop,
"""
TEMPLATE = [
    ColumnSpec("order_id", "integer"),
    ColumnSpec("customer", "string"),
    ColumnSpec("amount", "float"),
    ColumnSpec("placed", "date"),
    ColumnSpec("paid", "boolean"),
    ColumnSpec("channel", "category", default="web"),
    ColumnSpec("region", "string", required=False, default="north"),
]


def _problems(report: ValidationReport) -> list[tuple[int | None, str | None, str | None, str]]:
    return [(p.row, p.column, p.value, p.problem) for p in report.problems]


@pytest.fixture
def orders(tmp_path: Path) -> pa.Table:
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS_CSV)
    return read_table(path, "orders.csv", columns=TEMPLATE)


def test_validation_finds_each_problem_at_its_row_and_column(orders: pa.Table) -> None:
    report = validate(orders, TEMPLATE).report
    assert _problems(report) == [
        (None, "region", None, "missing column"),
        (None, "note", None, "unknown column"),
        (2, "customer", None, "missing required"),
        (3, "amount", "twelve", "wrong type"),
        (4, "placed", "2024-02-30", "unparseable date"),
        (5, "placed", None, "missing required"),
        (6, "paid", "maybe", "wrong type"),
    ]
    assert report.summary() == {
        "missing required": 2,
        "wrong type": 2,
        "unparseable date": 1,
        "unknown column": 1,
        "missing column": 1,
        "duplicate column name": 0,
    }
    assert (report.rows, report.columns) == (7, 8)


def test_validation_applies_template_types_and_defaults(orders: pa.Table) -> None:
    outcome = validate(orders, TEMPLATE)
    table = outcome.table
    assert table.column_names == [s.name for s in TEMPLATE] + ["note"]
    assert [table.schema.field(s.name).type for s in TEMPLATE] == [
        pa.int64(),
        pa.string(),
        pa.float64(),
        pa.date32(),
        pa.bool_(),
        pa.dictionary(pa.int32(), pa.string()),
        pa.string(),
    ]
    assert table.column("amount").to_pylist() == [10.5, 12.0, None, 7.25, 3.0, 8.0, 9.75]
    assert table.column("paid").to_pylist() == [True, False, True, False, True, None, False]
    assert table.column("placed")[5].as_py() == dt.date(2024, 7, 1)  # 07/01: nothing decides, so month-first
    assert outcome.report.notes == (
        "Column 'placed': every day is 12 or less, so the dates were read month-first (mm/dd/yyyy); "
        "if they are day-first, give the template column the date format %d/%m/%Y.",
    )
    assert table.column("channel").to_pylist() == ["web", "shop", "web", "web", "phone", "web", "shop"]
    assert table.column("region").to_pylist() == ["north"] * 7
    assert outcome.report.defaults_applied == {"channel": 1, "region": 7}


def test_usable_fraction_is_exact_and_keep_valid_keeps_those_rows(orders: pa.Table) -> None:
    outcome = validate(orders, TEMPLATE)
    assert outcome.row_ok.to_pylist() == [True, False, False, False, False, False, True]
    assert outcome.report.usable_rows == 2
    assert Fraction(outcome.report.usable_fraction).limit_denominator(100) == Fraction(2, 7)
    assert outcome.report.usable_fraction == 2 / 7
    kept = keep_valid(outcome)
    assert kept.column("order_id").to_pylist() == [1, 7]
    assert kept.schema == outcome.table.schema


def test_validation_without_template_only_reports_structure() -> None:
    table = pa.table({"a": [1, None], "b": ["x", "y"]})
    outcome = validate(table, None)
    assert outcome.table is table
    assert outcome.report.problems == ()
    assert outcome.report.usable_fraction == 1.0
    assert outcome.report.summary() == dict.fromkeys(PROBLEM_KINDS, 0)


def test_duplicate_column_names_make_every_row_unusable() -> None:
    table = pa.Table.from_arrays([pa.array([1, 2]), pa.array([3, 4])], names=["x", "x"])
    outcome = validate(table, [ColumnSpec("x", "integer")])
    assert _problems(outcome.report) == [(None, "x", None, "duplicate column name")]
    assert outcome.report.usable_rows == 0
    assert keep_valid(outcome).num_rows == 0


def test_missing_required_column_makes_every_row_unusable_and_is_reported_once() -> None:
    table = pa.table({"a": [1, 2, 3]})
    outcome = validate(table, [ColumnSpec("a", "integer"), ColumnSpec("b", "float")])
    assert _problems(outcome.report) == [(None, "b", None, "missing column")]
    assert outcome.row_ok.to_pylist() == [False, False, False]
    assert outcome.table.column("b").type == pa.float64()


def test_missing_optional_column_is_added_empty_without_harm() -> None:
    outcome = validate(pa.table({"a": [1, 2]}), [ColumnSpec("a", "integer"), ColumnSpec("d", "date", required=False)])
    assert outcome.report.usable_rows == 2
    assert outcome.table.column("d").to_pylist() == [None, None]
    assert outcome.table.column("d").type == pa.date32()


def test_missing_optional_values_are_not_problems() -> None:
    outcome = validate(pa.table({"a": [1, None]}), [ColumnSpec("a", "integer", required=False)])
    assert outcome.report.ok
    assert outcome.report.usable_rows == 2


@pytest.mark.parametrize(
    ("dtype", "values", "expected", "bad_rows"),
    [
        ("integer", [" 12", "+3", "-4", "1.5", "x", "99999999999999999999"], [12, 3, -4, None, None, None], [4, 5, 6]),
        ("integer", [1.0, 2.5, -3.0], [1, None, -3], [2]),
        ("float", ["1e3", ".5", "-2.", "abc", "1,5"], [1000.0, 0.5, -2.0, None, None], [4, 5]),
        ("boolean", ["Yes", "no", "TRUE", "0", "1", "maybe"], [True, False, True, False, True, None], [6]),
        ("boolean", [0, 1, 2], [False, True, None], [3]),
        ("string", [7, 8], ["7", "8"], []),
    ],
)
def test_wrong_type_cells_are_found(dtype: str, values: list, expected: list, bad_rows: list[int]) -> None:
    outcome = validate(pa.table({"v": values}), [ColumnSpec("v", dtype)])
    assert outcome.table.column("v").to_pylist() == expected
    assert [p.row for p in outcome.report.problems] == bad_rows
    assert {p.problem for p in outcome.report.problems} <= {"wrong type"}


def test_dates_parse_in_common_layouts_and_impossible_ones_are_reported() -> None:
    values = [
        "2024-03-05",
        "5/3/2024",
        "05.03.2024",
        "2024/03/05",
        "5 Mar 2024",
        "March 5, 2024",
        "2024-02-29",
        "2023-02-29",
        "2024-13-01",
        "soon",
        None,
    ]
    outcome = validate(pa.table({"d": values}), [ColumnSpec("d", "date", required=False)])
    parsed = outcome.table.column("d").to_pylist()
    assert parsed[:7] == [dt.date(2024, 3, 5)] * 6 + [dt.date(2024, 2, 29)]
    assert parsed[7:] == [None] * 4
    assert _problems(outcome.report) == [
        (8, "d", "2023-02-29", "unparseable date"),
        (9, "d", "2024-13-01", "unparseable date"),
        (10, "d", "soon", "unparseable date"),
    ]


def test_month_first_dates_follow_the_rest_of_their_column() -> None:
    outcome = validate(pa.table({"d": ["12/31/2024", "01/02/2024"]}), [ColumnSpec("d", "date")])
    assert outcome.table.column("d").to_pylist() == [dt.date(2024, 12, 31), dt.date(2024, 1, 2)]


def test_datetimes_parse_with_time_and_fraction() -> None:
    values = ["2024-03-05T10:11:12.25", "2024-03-05 10:11", "03/05/2024 23:59:59", "2024-03-05 24:00"]
    outcome = validate(pa.table({"t": values}), [ColumnSpec("t", "datetime")])
    assert outcome.table.column("t").to_pylist()[:3] == [
        dt.datetime(2024, 3, 5, 10, 11, 12, 250_000),
        dt.datetime(2024, 3, 5, 10, 11),
        dt.datetime(2024, 3, 5, 23, 59, 59),
    ]
    assert _problems(outcome.report) == [(4, "t", "2024-03-05 24:00", "unparseable date")]


def test_typed_date_and_timestamp_columns_convert_without_parsing() -> None:
    table = pa.table({"d": pa.array([dt.datetime(2024, 1, 1, 5)]), "t": pa.array([dt.date(2024, 1, 2)])})
    outcome = validate(table, [ColumnSpec("d", "date"), ColumnSpec("t", "datetime")])
    assert outcome.table.column("d").to_pylist() == [dt.date(2024, 1, 1)]
    assert outcome.table.column("t").to_pylist() == [dt.datetime(2024, 1, 2)]


def test_validated_tables_of_one_template_share_one_schema() -> None:
    template = [ColumnSpec(n, t) for n, t in [("i", "integer"), ("t", "datetime"), ("c", "category")]]
    typed = pa.table({"i": pa.array([1], pa.int8()), "t": pa.array([0], pa.timestamp("s")), "c": ["a"]})
    text = pa.table({"i": ["2"], "t": ["2024-01-01 10:00"], "c": ["b"]})
    first, second = validate(typed, template).table, validate(text, template).table
    assert first.schema == second.schema
    assert pa.concat_tables([first, second]).num_rows == 2


def test_a_default_that_does_not_fit_its_type_is_a_template_error() -> None:
    with pytest.raises(InvalidInput, match="default value 'abc' of column 'n' is not a valid integer"):
        validate(pa.table({"n": [1, None]}), [ColumnSpec("n", "integer", default="abc")])


def test_an_unknown_type_or_repeated_column_is_a_template_error() -> None:
    with pytest.raises(InvalidInput, match="template is not valid") as error:
        validate(pa.table({"n": [1]}), [ColumnSpec("n", "money"), ColumnSpec("m", "float"), ColumnSpec("m", "float")])
    assert [(p.field, p.problem) for p in error.value.problems] == [
        ("n", "unknown type 'money'"),
        ("m", "column named twice in the template"),
    ]


def test_timestamps_are_stored_in_one_unit_as_naive_utc() -> None:
    instants = pa.array([1_700_000_000_123_456_789], pa.timestamp("ns", tz="Europe/Paris"))
    outcome = validate(pa.table({"t": instants}), [ColumnSpec("t", "datetime")])
    assert outcome.table.schema.field("t").type == pa.timestamp("us")
    assert outcome.table.column("t").to_pylist() == [dt.datetime(2023, 11, 14, 22, 13, 20, 123_456)]


def test_defaults_fill_only_missing_cells_not_wrong_ones() -> None:
    outcome = validate(pa.table({"n": ["1", None, "x"]}), [ColumnSpec("n", "integer", default=0)])
    assert outcome.table.column("n").to_pylist() == [1, 0, None]
    assert outcome.report.defaults_applied == {"n": 1}
    assert _problems(outcome.report) == [(3, "n", "x", "wrong type")]


def test_stored_problems_are_capped_but_counts_are_complete() -> None:
    rows = 30_000
    table = pa.table({"a": ["x"] * rows, "b": [None] * rows})
    outcome = validate(table, [ColumnSpec("a", "integer"), ColumnSpec("b", "string")], max_problems=1_000)
    report = outcome.report
    assert len(report.problems) == 1_000
    assert report.problem_counts == {"wrong type": rows, "missing required": rows}
    assert report.truncated
    assert [(p.row, p.column) for p in report.problems[:4]] == [(1, "a"), (1, "b"), (2, "a"), (2, "b")]


def test_report_round_trips_through_json_and_frames(orders: pa.Table) -> None:
    report = validate(orders, TEMPLATE).report
    restored = ValidationReport.from_dict(json.loads(json.dumps(report.to_dict())))
    assert restored == report
    frame = report.to_frame()
    assert list(frame.columns) == ["row", "column", "value", "problem", "expected"]
    assert frame["row"].isna().sum() == 2
    assert frame.loc[frame["problem"] == "wrong type", "row"].tolist() == [3, 6]
