"""Numeric dates at upload: day- or month-first decided by the data and said in the report; a template's date format."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import Actor, ColumnSpec, Engine, InvalidInput
from core.datasets import read_table, validate
from core.entities import TrainRequest

DATES = st.lists(st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31)), min_size=1, max_size=30)


def _csv(dates: list[dt.date], layout: str) -> bytes:
    lines = ["when,value", *(f"{d.strftime(layout)},{i}" for i, d in enumerate(dates))]
    return "\n".join(lines).encode()


def _read(dates: list[dt.date], layout: str, columns: list[ColumnSpec] | None = None) -> tuple[list[object], tuple]:
    outcome = validate(read_table(_csv(dates, layout), "dates.csv", columns=columns), columns)
    return outcome.table.column("when").to_pylist(), outcome.report.notes


@settings(max_examples=60, deadline=None)
@given(dates=DATES, day_first=st.booleans(), separator=st.sampled_from("/-"))
def test_upload_without_template_reads_numeric_dates_in_the_order_the_data_shows(
    dates: list[dt.date], day_first: bool, separator: str
) -> None:
    layout = separator.join(["%d", "%m", "%Y"] if day_first else ["%m", "%d", "%Y"])
    values, notes = _read(dates, layout)
    decided = any(d.day > 12 for d in dates)
    if decided or not day_first:
        assert values == dates
    else:  # every day ≤ 12 written day-first: nothing tells, so month-first is assumed
        assert values == [d.replace(month=d.day, day=d.month) for d in dates]
    order = "day-first" if decided and day_first else "month-first"
    assert len(notes) == 1 and f"read {order}" in notes[0]
    assert ("12 or less" in notes[0]) == (not decided)


@settings(max_examples=40, deadline=None)
@given(dates=DATES)
def test_a_template_date_format_decides_even_when_every_day_is_12_or_less(dates: list[dt.date]) -> None:
    small = [d.replace(day=min(d.day, 12)) for d in dates]
    template = [ColumnSpec("when", "date", date_format="%d/%m/%Y"), ColumnSpec("value", "integer")]
    values, notes = _read(small, "%d/%m/%Y", template)
    assert values == small
    assert notes == ()


def test_dotted_dates_are_day_first_and_an_order_mix_is_reported_not_swapped() -> None:
    values, notes = _read([dt.date(2024, 3, 4), dt.date(2024, 5, 6)], "%d.%m.%Y")
    assert values == [dt.date(2024, 3, 4), dt.date(2024, 5, 6)]
    assert notes == ("Column 'when': dates read day-first (dd.mm.yyyy).",)
    mixed = validate(pa.table({"d": ["25/12/2024", "26/12/2024", "12/27/2024"]}), [ColumnSpec("d", "date")])
    assert mixed.table.column("d").to_pylist() == [dt.date(2024, 12, 25), dt.date(2024, 12, 26), None]
    assert [(p.row, p.problem, p.expected) for p in mixed.report.problems] == [(3, "unparseable date", "date")]


def test_a_cell_not_matching_the_template_format_says_which_format_was_expected() -> None:
    template = [ColumnSpec("d", "datetime", date_format="%Y%m%d %H:%M")]
    outcome = validate(pa.table({"d": ["20240305 10:30", "2024-03-05"]}), template)
    assert outcome.table.column("d").to_pylist()[0] == dt.datetime(2024, 3, 5, 10, 30)
    assert [(p.row, p.problem, p.expected) for p in outcome.report.problems] == [
        (2, "unparseable date", "datetime (%Y%m%d %H:%M)")
    ]


def test_day_first_upload_forecasts_without_irregular_timestamps(engine: Engine, admin: Actor) -> None:
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(60)]
    ds = engine.datasets.upload(admin, name="daily", filename="daily.csv", data=_csv(days, "%d/%m/%Y"))
    assert ds.column_types["when"] == "date"
    assert ds.validation.notes == ("Column 'when': dates read day-first (dd/mm/yyyy).",)
    check = engine.forecasts.check(
        admin, TrainRequest(dataset_id=ds.id, name="f", problem_type="forecast", time_column="when", target="value")
    )
    assert check.frequency == "D"


def test_template_date_format_survives_json_export_and_import(engine: Engine, admin: Actor) -> None:
    columns = [ColumnSpec("when", "date", date_format="%d/%m/%Y"), ColumnSpec("value", "integer")]
    template = engine.templates.create(admin, "day first", columns)
    exported = engine.templates.export_json(admin, template.id)
    assert json.loads(exported)["columns"][0]["date_format"] == "%d/%m/%Y"
    copy = engine.templates.import_json(admin, exported, name="copy")
    assert copy.columns == template.columns
    ds = engine.datasets.upload(
        admin, name="d", filename="d.csv", data=b"when,value\n03/04/2024,1\n", template_id=copy.id
    )
    assert engine.datasets.frame(admin, ds.id)["when"].tolist() == [dt.date(2024, 4, 3)]


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        (ColumnSpec("d", "date", date_format="%d/%q/%Y"), "'%q' is not supported"),
        (ColumnSpec("d", "date", date_format="%d/%m"), "needs a day (%d), a month (%m or %b) and a year (%Y)"),
        (ColumnSpec("d", "integer", date_format="%d/%m/%Y"), "a date format needs a date or datetime column"),
    ],
)
def test_unusable_date_formats_are_refused_naming_the_column(
    engine: Engine, admin: Actor, spec: ColumnSpec, problem: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        engine.templates.create(admin, "bad", [spec])
    assert [p.field for p in caught.value.problems] == ["d"]
    assert problem in caught.value.problems[0].problem


def test_report_counts_file_and_template_columns_separately_and_names_the_expected_type() -> None:
    table = pa.table({"id": ["1", "x"], "extra": ["a", "b"]})
    report = validate(table, [ColumnSpec("id", "integer"), ColumnSpec("amount", "float")]).report
    assert (report.file_columns, report.template_columns) == (2, 2)
    assert [(p.row, p.column, p.problem, p.expected) for p in report.problems] == [
        (None, "amount", "missing column", "float"),
        (None, "extra", "unknown column", None),
        (2, "id", "wrong type", "integer"),
    ]
    assert type(report).from_dict(json.loads(json.dumps(report.to_dict()))) == report
    assert validate(table).report.template_columns is None
