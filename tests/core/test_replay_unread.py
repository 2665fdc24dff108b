"""A case whose raw value the model's recipe cannot cast (text to a number or a date) is scored with that value
missing, as a batch is — and says so: one input warning per such column, kept in the log. A readable value, or one
that was blank or missing to begin with, says nothing."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import Engine
from core.entities import Actor
from core.prep import Cast, Drop, Fill, Recipe, Rename, Step
from core.prep.replay import Replay
from tests.core.test_recipes_service import _train, prepared, raw_orders

CASE = {"order_day": "03/02/2024", "price": "12,50", "region": "north"}
SAYS = "could not be read as"
# Characters no number DuckDB reads can hold (not in nan, inf, infinity, hex digits, 0x or an exponent).
NOT_NUMERIC = "ghjkmopqrsuvwz@#?!%&$"


@pytest.fixture
def orders_model(engine: Engine, analyst: Actor) -> str:
    """A model trained on orders whose recipe casts the text price (decimal comma) to a number and the text
    order_day (day first) to a date."""
    _, made = prepared(engine, analyst, raw_orders())
    return _train(engine, analyst, made)


def unread(warnings: tuple[str, ...]) -> list[str]:
    return [w for w in warnings if SAYS in w]


def test_a_raw_value_the_cast_cannot_read_is_scored_as_missing_and_warned_about(
    engine: Engine, analyst: Actor, orders_model: str
) -> None:
    bad = engine.inference.predict_one(analyst, orders_model, {**CASE, "price": "12abc"}, raw=True)
    message = "price: '12abc' could not be read as a number by the recipe's cast; it was scored as missing."
    assert unread(bad.warnings) == [message]
    assert [(w.field, w.value, w.problem) for w in bad.input_warnings if w.problem == "unreadable value"] == [
        ("price", "12abc", "unreadable value")
    ]
    missing = engine.inference.predict_one(analyst, orders_model, {**CASE, "price": None}, raw=True)
    assert bad.prediction == missing.prediction
    assert bad.probabilities == pytest.approx(missing.probabilities)
    assert bad.contributions == pytest.approx(missing.contributions)
    assert unread(missing.warnings) == []  # missing to begin with: nothing to say

    logged = engine.predictions.result(analyst, bad.log_id)
    assert message in logged.warnings  # the log keeps it with the prediction


@pytest.mark.parametrize("price", ["12,50", "7", "", "   "])
def test_a_readable_or_blank_raw_value_gives_no_warning(
    engine: Engine, analyst: Actor, orders_model: str, price: str
) -> None:
    scored = engine.inference.predict_one(analyst, orders_model, {**CASE, "price": price}, raw=True)
    assert unread(scored.warnings) == []
    assert all(w.problem != "unreadable value" for w in scored.input_warnings)


def test_each_unreadable_column_warns_once_and_values_not_in_the_prepared_shape_warn_too(
    engine: Engine, analyst: Actor, orders_model: str
) -> None:
    both = engine.inference.predict_one(
        analyst, orders_model, {**CASE, "order_day": "32/13/2024", "price": "lots"}, raw=True, explain=False
    )
    assert sorted(unread(both.warnings)) == [
        "order_day: '32/13/2024' could not be read as a date by the recipe's cast; it was scored as missing.",
        "price: 'lots' could not be read as a number by the recipe's cast; it was scored as missing.",
    ]
    # Not the raw form: a text price is not in the prepared shape, so the recipe replays it all the same.
    typed = engine.inference.predict_one(analyst, orders_model, {**CASE, "price": "n/a"}, explain=False)
    assert unread(typed.warnings) == [
        "price: 'n/a' could not be read as a number by the recipe's cast; it was scored as missing."
    ]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    before=st.text(max_size=6),
    letter=st.sampled_from(NOT_NUMERIC),
    after=st.text(max_size=6),
)
def test_any_text_that_is_not_a_number_warns_naming_the_column_and_the_value(
    engine: Engine, analyst: Actor, orders_model: str, before: str, letter: str, after: str
) -> None:
    price = before + letter + after
    scored = engine.inference.predict_one(analyst, orders_model, {**CASE, "price": price}, raw=True, explain=False)
    flags = [w for w in scored.input_warnings if w.problem == "unreadable value"]
    assert [(w.field, w.value) for w in flags] == [("price", price)]
    assert flags[0].message.startswith(f"price: {price!r} could not be read as a number")
    assert flags[0].message in scored.warnings


def replay(*steps: Step) -> Replay:
    return Replay(None, "r", Recipe(steps), {}, {})


def test_the_warning_says_what_the_rest_of_the_recipe_made_of_the_missing_value() -> None:
    rows = pa.table({"s": ["1.5", "12abc", " ", None, "x"], "d": ["2024-01-02", "2024-01-02", "", None, "soon"]})
    steps = replay(Rename({"s": "sales"}), Cast("sales", "float"), Cast("d", "date"), Fill("sales", "constant", 0.0))
    prepared = steps.prepare(rows, {}, "rows")
    found = {(u.row, u.column): u.message for u in steps.unread(rows, {}, prepared)}
    assert found == {
        (1, "sales"): "sales: '12abc' could not be read as a number by the recipe's cast; it became missing, and the "
        "recipe filled it with 0.0.",
        (4, "sales"): "sales: 'x' could not be read as a number by the recipe's cast; it became missing, and the "
        "recipe filled it with 0.0.",
        (4, "d"): "d: 'soon' could not be read as a date by the recipe's cast; it was scored as missing.",
    }  # row 2's blank and row 3's missing values were never there to read
    dropped = replay(Cast("s", "integer"), Drop(("s",)))
    gone = dropped.unread(rows, {}, dropped.prepare(rows, {}, "rows"))
    assert [u.message for u in gone if u.row == 1] == [
        "s: '12abc' could not be read as a whole number by the recipe's cast; it became a missing value."
    ]
