"""A case whose raw value the model's recipe cannot cast (text to a number or a date) is scored with that value
missing, as a batch is — and says so: one input warning per such column, kept in the log. A readable value, or one
that was blank or missing to begin with, says nothing. A batch of raw rows (a file, a dataset) and a deployment's
call say it per column: how many values, the first of them — all counted by the replay's own run, and named as the
rows sent the column (a form's field, a file's header), even when the recipe renames it later. Blank means ASCII
whitespace only, on every path."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import Engine
from core.entities import Actor
from core.prep import Cast, Drop, Fill, Recipe, Rename, Step
from core.prep.replay import Replay
from tests.core.test_recipes_service import _train, csv, prepared, raw_orders

CASE = {"order_day": "03/02/2024", "price": "12,50", "region": "north"}
SAYS = "could not be read as"
# Characters no number DuckDB reads can hold (not in nan, inf, infinity, hex digits, 0x or an exponent).
NOT_NUMERIC = "ghjkmopqrsuvwz@#?!%&$"
ASCII_BLANK = " \t\n\r\x0b\x0c"  # a text of these only is blank (missing), not unreadable; a no-break space is not


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


@pytest.mark.parametrize("price", ["12,50", "7", "", "   ", " \t\n"])
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


def test_a_form_value_of_a_column_renamed_after_the_cast_is_warned_under_the_name_the_user_typed_it_in(
    engine: Engine, analyst: Actor
) -> None:
    _, made = prepared(engine, analyst, raw_orders(), then=[Rename({"price": "unit_price"})])
    model = _train(engine, analyst, made)
    bad = engine.inference.predict_one(analyst, model, {**CASE, "price": "12abc"}, raw=True, explain=False)
    message = "price: '12abc' could not be read as a number by the recipe's cast; it was scored as missing."
    flags = [(w.field, w.value, w.message) for w in bad.input_warnings if w.problem == "unreadable value"]
    assert flags == [("price", "12abc", message)]
    assert unread(bad.warnings) == [message]


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


def test_a_column_renamed_after_the_cast_is_named_as_the_rows_sent_it() -> None:
    rows = pa.table({"s": ["12abc"]})
    steps = replay(Cast("s", "float"), Rename({"s": "sales"}), Fill("sales", "constant", 0.0))
    [found] = steps.unreadable(steps.prepare(rows, {}, "rows"))
    assert (found.column, found.count, found.first, found.kept) == ("s", 1, "12abc", True)
    assert found.message == (  # the fill of the renamed column is followed
        "s: '12abc' could not be read as a number by the recipe's cast; it became missing, and the recipe "
        "filled it with 0.0."
    )


def _reads_as_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.one_of(
            st.none(),
            st.sampled_from(["", " ", "\t", "  \n", "\r\x0b\x0c"]),  # blank: missing already
            st.sampled_from(["\xa0", "\u2003"]),  # not ASCII whitespace: not blank, and not a number
            st.floats(-1e6, 1e6, allow_nan=False).map(str),  # readable
            st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: f" {f}  "),  # readable (spaces around)
            st.tuples(st.text(max_size=4), st.sampled_from(NOT_NUMERIC)).map("".join),  # not a number
        ),
        min_size=1,
        max_size=30,
    ),
    renamed=st.booleans(),
)
def test_the_count_and_first_are_the_present_non_blank_values_that_are_not_numbers(
    values: list[str | None], renamed: bool
) -> None:
    """Against Python's own reading of the values: one row or many, the column named as the rows sent it."""
    rows = pa.table({"s": pa.array(values, pa.string())})
    steps = replay(Cast("s", "float"), *([Rename({"s": "sales"})] if renamed else []))
    unread = [v for v in values if v is not None and v.strip(ASCII_BLANK) and not _reads_as_number(v)]
    expected = [("s", len(unread), unread[0])] if unread else []
    assert [(u.column, u.count, u.first) for u in steps.unreadable(steps.prepare(rows, {}, "rows"))] == expected


def test_the_summary_says_what_the_rest_of_the_recipe_made_of_the_missing_values() -> None:
    rows = pa.table({"s": ["1.5", "12abc", " ", None, "x"], "d": ["2024-01-02", "later", "", None, "soon"]})
    steps = replay(Rename({"s": "sales"}), Cast("sales", "float"), Cast("d", "date"), Fill("sales", "constant", 0.0))
    prepared = steps.prepare(rows, {}, "rows")
    assert [u.message for u in steps.unreadable(prepared)] == [
        "sales: 2 values could not be read as a number by the recipe's cast (first: '12abc'); they became missing, "
        "and the recipe filled them with 0.0.",
        "d: 2 values could not be read as a date by the recipe's cast (first: 'later'); they were scored as missing.",
    ]
    dropped = replay(Cast("s", "integer"), Rename({"s": "t"}), Drop(("t",)), Cast("d", "date"))
    assert [u.message for u in dropped.unreadable(dropped.prepare(rows.slice(0, 2), {}, "rows"))] == [
        "s: '12abc' could not be read as a whole number by the recipe's cast; it became a missing value.",
        "d: 'later' could not be read as a date by the recipe's cast; it was scored as missing.",
    ]  # one value each names itself; a column dropped later keeps the cast's name
    long = pa.table({"s": ["x" * 500]})
    cast = replay(Cast("s", "float"))
    [found] = cast.unreadable(cast.prepare(long, {}, "r"))
    assert found.message.startswith(f"s: '{'x' * 59}…' could not be read")  # a long value is cut short


def batch_rows(rows: int = 20) -> pd.DataFrame:
    """Raw orders to score, every value readable (the raw file's own bad price and date put right)."""
    frame = raw_orders(rows, seed=11).drop(columns="big")
    frame.loc[5, "price"], frame.loc[7, "order_day"] = "10,00", "01/02/2024"
    return frame


def score(engine: Engine, analyst: Actor, model: str, frame: pd.DataFrame, name: str) -> tuple[list[str], pd.DataFrame]:
    """A batch of ``frame`` as an uploaded CSV: (the result's warnings, the scored rows)."""
    job = engine.inference.predict_batch(analyst, model, data=csv(frame), filename=name)
    assert job.status == "succeeded" and job.result is not None, job.error
    return list(job.result["warnings"]), engine.inference.batch_result(analyst, job.id)


def test_a_batch_of_raw_rows_says_per_column_how_many_values_could_not_be_read(
    engine: Engine, analyst: Actor, orders_model: str
) -> None:
    clean = batch_rows()
    bad = clean.copy()
    bad.loc[[3, 11], "price"] = ["12abc", "lots"]
    warned, scored = score(engine, analyst, orders_model, bad, "bad.csv")
    assert unread(tuple(warned)) == [
        "price: 2 values could not be read as a number by the recipe's cast (first: '12abc'); they were scored as "
        "missing."
    ]
    assert warned[0] == unread(tuple(warned))[0]  # first, before the notes of the scoring

    missing = clean.copy()
    missing.loc[[3, 11], "price"] = None  # the same rows with no price at all: scored alike, and nothing to say
    warned_missing, scored_missing = score(engine, analyst, orders_model, missing, "missing.csv")
    assert unread(tuple(warned_missing)) == []
    assert len(scored) == len(scored_missing) == 20
    assert list(scored["prediction"]) == list(scored_missing["prediction"])
    pd.testing.assert_frame_equal(scored.filter(like="probability_"), scored_missing.filter(like="probability_"))

    warned_clean, _ = score(engine, analyst, orders_model, clean, "clean.csv")
    assert unread(tuple(warned_clean)) == []


def test_a_batch_of_a_raw_dataset_says_so_too_and_a_deployment_call_warns_alike(
    engine: Engine, analyst: Actor, orders_model: str
) -> None:
    bad = batch_rows(30)
    bad.loc[[2, 4, 9], "price"] = ["about 5", "12abc", "?"]
    bad.loc[6, "order_day"] = "32/13/2024"
    dataset = engine.datasets.upload(analyst, name="new orders", filename="new.csv", data=csv(bad))
    job = engine.inference.predict_batch(analyst, orders_model, dataset_id=dataset.id)
    assert job.status == "succeeded" and job.result is not None, job.error
    expected = [
        "order_day: '32/13/2024' could not be read as a date by the recipe's cast; it was scored as missing.",
        "price: 3 values could not be read as a number by the recipe's cast (first: 'about 5'); they were scored as "
        "missing.",
    ]
    assert sorted(unread(tuple(job.result["warnings"]))) == expected
    entry = engine.predictions.result(analyst, job.result["log_id"]).record
    assert entry is not None and entry.warnings == tuple(job.result["warnings"])  # the predictions log keeps them

    deployment = engine.deployments.create(analyst, orders_model)
    served = engine.deployments.predict(analyst, deployment.id, bad.to_dict("records"))
    assert sorted(unread(served.warnings)) == expected
    assert len(served.prediction) == 30
    clean = engine.deployments.predict(analyst, deployment.id, batch_rows(5).to_dict("records"))
    assert unread(clean.warnings) == []
    logged = {o.id: o for o in engine.deployments.operations(analyst, deployment_id=deployment.id)}
    assert logged[served.operation_id].warnings == served.warnings  # the operations log keeps them with the call
    assert unread(logged[clean.operation_id].warnings) == []
