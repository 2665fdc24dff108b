"""The raw prediction form's fields (``core.prep.form``): one per column the recipe reads, typed as uploaded, starting
at the source sample's median or most frequent value."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.prep.form import MAX_OPTIONS, raw_fields

pytestmark = pytest.mark.database_free

TYPES = {"n": "integer", "x": "float", "day": "date", "at": "datetime", "ok": "boolean", "city": "string"}


def test_each_product_type_gets_its_widget_kind_and_a_typed_default() -> None:
    sample = pd.DataFrame(
        {
            "n": [1, 5, 9, None],
            "x": [0.5, 1.5, 2.5, 3.5],
            "day": [dt.date(2024, 1, d) for d in (1, 2, 3, 4)],
            "at": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 11:00", "2024-01-03 12:00", None]),
            "ok": [True, True, False, None],
            "city": ["Oslo", "Oslo", "Rome", None],
        }
    )
    fields = {f.name: f for f in raw_fields(TYPES, sample)}
    assert (fields["n"].kind, fields["n"].default, fields["n"].minimum, fields["n"].maximum) == ("numeric", 5, 1, 9)
    assert isinstance(fields["n"].default, int) and fields["x"].default == 2.0
    assert fields["day"].kind == "datetime" and fields["day"].default == dt.date(2024, 1, 3)
    assert fields["at"].default == dt.datetime(2024, 1, 2, 11, 0)
    assert fields["ok"].default is True and fields["city"].options == ("Oslo", "Rome")
    assert fields["city"].default == "Oslo" and fields["city"].kind == "categorical"


def test_without_a_sample_every_field_is_there_without_a_default() -> None:
    fields = raw_fields(TYPES, None)
    assert [f.name for f in fields] == list(TYPES)
    assert {f.source for f in fields} == {"no default"}


@given(st.lists(st.text(max_size=5), min_size=1, max_size=300))
def test_text_options_are_the_most_frequent_values_first(values: list[str]) -> None:
    (field,) = raw_fields({"t": "string"}, pd.DataFrame({"t": values}))
    counts = pd.Series([v for v in values if v.strip()], dtype=object).value_counts()  # blanks are no value
    assert len(field.options) == min(MAX_OPTIONS, counts.size)
    if counts.empty:
        assert field.default is None and field.source == "no default"
        return
    assert field.default == field.options[0] and counts[field.default] == counts.max()
    assert [counts[o] for o in field.options] == sorted((counts[o] for o in field.options), reverse=True)


def test_text_flags_infinities_blanks_and_date_ranges_read_as_a_user_expects() -> None:
    sample = pd.DataFrame(
        {
            "ok": ["false", "False", "yes", "no"],  # a boolean column the source now keeps as text
            "x": [1.0, float("inf"), 3.0, float("-inf")],
            "city": ["", "", "", "Rome"],
            "day": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-02-01", None]),
        }
    )
    types = {"ok": "boolean", "x": "float", "city": "string", "day": "date"}
    fields = {f.name: f for f in raw_fields(types, sample)}
    assert fields["ok"].default is False and fields["ok"].source == "source mode"
    assert (fields["x"].minimum, fields["x"].maximum, fields["x"].default) == (1.0, 3.0, 2.0)  # finite only
    assert fields["city"].default == "Rome" and fields["city"].options == ("Rome",)  # blanks are no value
    assert (fields["day"].minimum, fields["day"].maximum) == ("2024-01-01", "2024-03-01")
