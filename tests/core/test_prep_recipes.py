"""Recipe steps on real tables (the sample files) against pandas doing the same thing; reports, refusals naming the
step and column, and the JSON round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from core import InvalidInput
from core.prep import (
    Aggregate,
    Append,
    Cast,
    DateParts,
    Deduplicate,
    Derive,
    Drop,
    Fill,
    Filter,
    Join,
    MergeRare,
    PivotLonger,
    PivotWider,
    Recipe,
    Rename,
    Reorder,
    Replace,
    Sample,
    Sort,
    StepError,
    run,
)

pytestmark = pytest.mark.database_free  # no Engine, no database: the Postgres run of CI skips it

SAMPLES = Path("data/samples")


def iris() -> pd.DataFrame:
    return pd.read_csv(SAMPLES / "iris.csv")


def apply(frame: pd.DataFrame, *steps, others: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    tables = {key: pa.Table.from_pandas(f, preserve_index=False) for key, f in (others or {}).items()}
    return run(Recipe(steps), pa.Table.from_pandas(frame, preserve_index=False), tables).table.to_pandas()


def test_rename_drop_reorder_filter_derive_sort_match_pandas() -> None:
    frame = iris()
    ours = apply(
        frame,
        Rename({"species": "kind"}),
        Drop(("sepal_width_cm",)),
        Filter("petal_length_cm > 1.5 and kind != 'virginica'"),
        Derive("ratio", "petal_length_cm / petal_width_cm"),
        Sort(("ratio",), descending=True),
        Reorder(("kind", "ratio")),
    )
    expected = (
        frame.rename(columns={"species": "kind"})
        .drop(columns="sepal_width_cm")
        .query("petal_length_cm > 1.5 and kind != 'virginica'")
        .assign(ratio=lambda f: f["petal_length_cm"] / f["petal_width_cm"])
        .sort_values("ratio", ascending=False, kind="stable")
    )
    expected = expected[["kind", "ratio", *[c for c in expected.columns if c not in ("kind", "ratio")]]]
    pd.testing.assert_frame_equal(ours, expected.reset_index(drop=True))


def test_a_day_first_text_column_becomes_dates_and_failures_are_counted() -> None:
    frame = pd.DataFrame({"when": ["31/01/2024", "01/02/2024", "not a date", None, "29/02/2024"], "v": range(5)})
    prepared = run(Recipe((Cast("when", "date", day_first=True),)), pa.Table.from_pandas(frame))
    assert pa.types.is_date32(prepared.table.schema.field("when").type)
    assert prepared.table.column("when").to_pylist() == [
        pd.Timestamp(d).date() if d else None for d in ("2024-01-31", "2024-02-01", None, None, "2024-02-29")
    ]
    assert prepared.reports[0].failed == 1  # the missing value was already missing


def test_consecutive_casts_count_their_failures_each_and_a_column_cast_twice_converts_in_order() -> None:
    frame = pd.DataFrame({"d": ["31/01/2024", "bad", "01/02/2024"], "n": ["1,5", "2,5", "?"], "k": ["1", "2", "x"]})
    steps = (
        Cast("d", "date", day_first=True),
        Cast("n", "float", decimal_comma=True),
        Cast("k", "float"),
        Cast("k", "string"),  # the same column again: converts what the cast before made
    )
    prepared = run(Recipe(steps), pa.Table.from_pandas(frame))
    assert [r.failed for r in prepared.reports] == [1, 1, 1, 0]
    assert prepared.table.column("n").to_pylist() == [1.5, 2.5, None]
    assert prepared.table.column("k").to_pylist() == ["1.0", "2.0", None]
    assert prepared.table.column_names == ["d", "n", "k"]


def test_numbers_with_decimal_commas_and_thousands_separators() -> None:
    frame = pd.DataFrame({"amount": ["1.234,5", "12,25", "x", "-3"]})
    ours = apply(frame, Cast("amount", "float", decimal_comma=True, thousands="."))
    assert ours["amount"].tolist()[:2] == [1234.5, 12.25] and np.isnan(ours["amount"][2])
    assert apply(pd.DataFrame({"n": ["1,000", "25"]}), Cast("n", "integer", thousands=","))["n"].tolist() == [1000, 25]
    flags = apply(pd.DataFrame({"f": ["Yes", "no", "1", "maybe"]}), Cast("f", "boolean"))["f"]
    assert flags.tolist()[:3] == [True, False, True] and pd.isna(flags[3])


def test_fill_methods_match_pandas() -> None:
    frame = pd.DataFrame(
        {"s": ["a", "a", "a", "b", "b"], "x": [1.0, None, 3.0, None, 5.0], "c": ["u", None, "u", "v", None]}
    )
    assert apply(frame, Fill("x", "mean"))["x"].tolist() == frame["x"].fillna(frame["x"].mean()).tolist()
    assert apply(frame, Fill("x", "median"))["x"].tolist() == frame["x"].fillna(frame["x"].median()).tolist()
    assert apply(frame, Fill("c", "mode"))["c"].tolist() == frame["c"].fillna("u").tolist()
    assert apply(frame, Fill("x", "constant", value=0))["x"].tolist() == frame["x"].fillna(0).tolist()
    forward = apply(frame, Fill("x", "forward", by=("s",)))["x"]
    pd.testing.assert_series_equal(forward, frame.groupby("s")["x"].ffill(), check_names=False)


def test_replace_merge_rare_date_parts_deduplicate() -> None:
    frame = pd.DataFrame(
        {
            "colour": ["red"] * 50 + ["blue"] * 45 + ["teal", "mauve", "red", "ochre", "sand"],
            "day": pd.to_datetime(["2024-03-15"] * 100).date,
        }
    )
    replaced = apply(frame, Replace("colour", {"red": "warm", "blue": "cold"}))
    assert replaced["colour"].value_counts().to_dict()["warm"] == 51
    merged = apply(frame, MergeRare("colour", min_share=0.02, other="Other"))
    assert merged["colour"].value_counts().to_dict() == {"red": 51, "blue": 45, "Other": 4}
    parts = apply(frame, DateParts("day", ("year", "month", "weekday")))
    assert parts[["day_year", "day_month", "day_weekday"]].iloc[0].tolist() == [2024, 3, 5]
    assert apply(frame, Deduplicate()).shape[0] == len(frame.drop_duplicates())
    assert apply(frame, Deduplicate(("colour",)))["colour"].tolist() == frame["colour"].drop_duplicates().tolist()


def test_a_join_adds_columns_and_reports_unmatched_keys() -> None:
    orders = pd.DataFrame({"customer": ["c1", "c2", "c3", "c3", "c9"], "amount": [10, 20, 30, 40, 50]})
    customers = pd.DataFrame({"customer": ["c1", "c2", "c3"], "region": ["north", "south", "north"]})
    others = {"cust": pa.Table.from_pandas(customers)}
    prepared = run(Recipe((Join("cust", ("customer",), how="left"),)), pa.Table.from_pandas(orders), others)
    expected = orders.merge(customers, on="customer", how="left")
    pd.testing.assert_frame_equal(prepared.table.to_pandas(), expected)
    report = prepared.reports[0]
    assert report.unmatched == ({"customer": "c9", "rows": 1},) and report.unmatched_rows == 1
    inner = run(Recipe((Join("cust", ("customer",), how="inner"),)), pa.Table.from_pandas(orders), others)
    assert inner.table.num_rows == 4 and inner.reports[0].unmatched_rows == 1


def test_append_aggregate_and_pivots_match_pandas() -> None:
    frame = iris()
    doubled = apply(frame, Append("again"), others={"again": frame})
    pd.testing.assert_frame_equal(doubled, pd.concat([frame, frame], ignore_index=True))
    grouped = apply(
        frame, Aggregate(("species",), (("petal_length_cm", "mean", "mean_petal"), ("species", "count", "n")))
    )
    expected = frame.groupby("species").agg(mean_petal=("petal_length_cm", "mean"), n=("species", "count"))
    pd.testing.assert_frame_equal(grouped, expected.reset_index(), check_dtype=False)
    long = pd.DataFrame({"day": [1, 1, 2, 2], "series": ["a", "b", "a", "b"], "y": [1.0, 2.0, 3.0, 4.0]})
    wide = apply(long, PivotWider(("day",), "series", "y"))
    pd.testing.assert_frame_equal(
        wide, long.pivot(index="day", columns="series", values="y").reset_index().rename_axis(columns=None)
    )
    back = apply(wide, PivotLonger(("a", "b"), names_to="series", values_to="y"))
    pd.testing.assert_frame_equal(back, long)


def test_sample_is_repeatable_and_keeps_the_original_order() -> None:
    frame = iris()
    first, again = apply(frame, Sample(20, seed=3)), apply(frame, Sample(20, seed=3))
    pd.testing.assert_frame_equal(first, again)
    assert len(first) == 20 and not first.equals(apply(frame, Sample(20, seed=4)))
    rows = frame.reset_index().merge(first, on=list(frame.columns))["index"]
    assert rows.is_monotonic_increasing


def test_disabled_steps_are_skipped_and_reported() -> None:
    prepared = run(Recipe((Drop(("species",), enabled=False), Filter("sepal_length_cm > 7"))), pa.table(iris()))
    assert "species" in prepared.table.column_names
    assert [(r.number, r.enabled, r.rows_in, r.rows_out) for r in prepared.reports] == [
        (1, False, 150, 150),
        (2, True, 150, 12),
    ]


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (Drop(("petal",)), "Step 1 — Drop: unknown column 'petal'"),
        (Derive("species", "1"), "a column named 'species' exists already"),
        (Filter("petal_length_cm > "), "The expression stops"),
        (Fill("species", "mean"), "mean needs a numeric column"),
        (Cast("species", "decimal"), "'decimal' is not a type"),
        (Join("nowhere", ("species",)), "the other dataset does not exist"),
        (DateParts("species"), "is not a date column"),
        (Derive("bad", "species * 2"), "Step 1 — Derive:"),  # DuckDB's type error, named by step
        (Rename({"species": "sepal_length_cm"}), "two columns would be named 'sepal_length_cm'"),
    ],
)
def test_a_step_that_cannot_apply_is_refused_naming_the_step_and_column(step, message: str) -> None:
    with pytest.raises(StepError) as refused:
        run(Recipe((step,)), pa.table(iris()))
    assert message in refused.value.message


def test_recipes_round_trip_through_json_and_bad_json_is_refused_by_step() -> None:
    recipe = Recipe(
        (
            Cast("when", "date", date_format="%d.%m.%Y"),
            Aggregate(("a",), (("b", "sum", "total"),)),
            Fill("x", "constant", value=0, enabled=False),
        )
    )
    assert Recipe.from_dict(recipe.to_dict()) == recipe
    with pytest.raises(InvalidInput, match="Step 2: unknown kind 'explode'"):
        Recipe.from_dict({"steps": [{"kind": "drop", "columns": ["a"]}, {"kind": "explode"}]})
    with pytest.raises(InvalidInput, match=r"Step 1 \(drop\): unknown field\(s\) path"):
        Recipe.from_dict({"steps": [{"kind": "drop", "columns": ["a"], "path": "/etc"}]})
    with pytest.raises(InvalidInput, match=r"Step 1 \(cast\):.*missing"):
        Recipe.from_dict({"steps": [{"kind": "cast", "column": "a"}]})


@settings(max_examples=60, deadline=None)
@given(
    names=hs.lists(hs.text(min_size=1, max_size=12).filter(lambda s: "\x00" not in s), min_size=1, max_size=4),
    value=hs.text(max_size=20).filter(lambda s: "\x00" not in s),
)
def test_any_column_names_and_values_are_quoted_never_injected(names: list[str], value: str) -> None:
    columns = list(dict.fromkeys(names))
    if "_dataml_row" in columns:
        columns.remove("_dataml_row")
    if not columns:
        return
    frame = pd.DataFrame({c: [value, "x"] for c in columns})
    steps = (Replace(columns[0], {value: "hit"}), Fill(columns[0], "constant", value=value))
    try:
        prepared = apply(frame, *steps)
    except StepError as refused:  # names like '__x' are refused as new names only; these are old ones
        pytest.fail(refused.message)
    assert list(prepared.columns) == columns
    assert prepared[columns[0]].tolist()[0] == "hit"
