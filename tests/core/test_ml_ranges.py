"""Inputs unlike the training data are flagged (never refused): numbers and dates outside the training range,
categories unseen or too rare in training."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.ml import check_input, infer_schema, input_warnings, unusual_inputs, warnings_column
from core.ml.schema import ModelSchema

pytestmark = pytest.mark.database_free  # no Engine, no database: the Postgres run of CI skips it


@pytest.fixture(scope="module")
def schema() -> ModelSchema:
    frame = pd.DataFrame(
        {
            "bill_length_mm": [32.1, 40.0, 45.5, 59.6] * 10,
            "island": ["Biscoe"] * 20 + ["Dream"] * 17 + ["Torgersen"] * 3,
            "seen": pd.date_range("2020-01-01", periods=40, freq="D").strftime("%Y-%m-%d"),
            "species": ["a", "b"] * 20,
        }
    )
    return infer_schema(frame, "species")


def _row(schema: ModelSchema, **values: object) -> pd.DataFrame:
    return check_input(schema, pd.DataFrame([{**schema.defaults(), **values}]))[0]


def test_schema_keeps_ranges_and_category_counts(schema: ModelSchema) -> None:
    bill, island = schema.feature("bill_length_mm"), schema.feature("island")
    assert (bill.min, bill.max) == (32.1, 59.6)
    assert dict(zip(island.categories, island.counts, strict=True)) == {"Biscoe": 20, "Dream": 17, "Torgersen": 3}
    assert ModelSchema.from_dict(schema.to_dict()) == schema


def test_out_of_range_number_is_flagged_with_the_value_and_the_range(schema: ModelSchema) -> None:
    (flag,) = input_warnings(schema, _row(schema, bill_length_mm=120))
    assert (flag.field, flag.value, flag.problem) == ("bill_length_mm", "120", "above range")
    assert "bill_length_mm = 120 is above the training range 32.1 – 59.6" in flag.message


def test_unseen_rare_categories_and_late_dates_are_flagged(schema: ModelSchema) -> None:
    flags = input_warnings(schema, _row(schema, island="Atlantis", seen="2031-05-01"))
    assert {(f.field, f.problem) for f in flags} == {("island", "unseen category"), ("seen", "above range")}
    assert any("after the training range 2020-01-01 – 2020-02-09" in f.message for f in flags)
    (rare,) = input_warnings(schema, _row(schema, island="Torgersen"))
    assert rare.problem == "rare category" and "only 3 times" in rare.message
    assert input_warnings(schema, _row(schema)) == ()  # the defaults are typical


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_a_number_is_flagged_exactly_when_it_leaves_the_training_range(schema: ModelSchema, value: float) -> None:
    flags = input_warnings(schema, _row(schema, bill_length_mm=value))
    expected = "above range" if value > 59.6 else "below range" if value < 32.1 else None
    assert [f.problem for f in flags] == ([expected] if expected else [])
    if expected:
        assert flags[0].value == f"{value:g}" and math.isfinite(float(flags[0].value))


def test_batch_column_joins_each_rows_flags_and_leaves_typical_rows_blank(schema: ModelSchema) -> None:
    rows = pd.DataFrame([{**schema.defaults(), "bill_length_mm": v} for v in (40.0, 120.0, 10.0)])
    rows.loc[2, "island"] = "Atlantis"
    aligned = check_input(schema, rows)[0]
    column = warnings_column(unusual_inputs(schema, aligned), aligned.index)
    assert column.iloc[0] == "" and column.iloc[1].startswith("bill_length_mm = 120 is above")
    assert "bill_length_mm = 10 is below" in column.iloc[2] and "; island = 'Atlantis' never occurred" in column.iloc[2]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(["\x00", "=", "a", "Dream"]), max_size=4).map("".join), min_size=1, max_size=6)
)
def test_every_unseen_category_of_a_batch_gets_its_message(schema: ModelSchema, islands: list[str]) -> None:
    """Categories that differ only after a NUL ('a' and 'a\\x00b') are distinct values (pd.unique merged them and
    the batch failed joining a missing message)."""
    rows = pd.concat([_row(schema, island=island) for island in islands], ignore_index=True)
    flags = unusual_inputs(schema, rows)
    assert flags["message"].map(lambda m: isinstance(m, str)).all()
    column = warnings_column(flags, rows.index)
    unseen = [i for i, island in enumerate(islands) if island not in ("Biscoe", "Dream", "Torgersen", "")]
    assert all("never occurred in training" in column[i] for i in unseen)
