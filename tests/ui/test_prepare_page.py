"""The Prepare page under AppTest: Fix proposes steps, a step is added through its form (a bad one is refused
naming its column), steps are disabled / moved / deleted, the data after a step is shown, and a run makes the
new dataset."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from core import Actor, Engine
from tests.core.test_recipes_service import csv, raw_orders


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def _open(app: Callable[..., AppTest], engine: Engine, analyst: Actor) -> tuple[AppTest, str]:
    dataset = engine.datasets.upload(analyst, name="orders raw", filename="orders.csv", data=csv(raw_orders()))
    return app(analyst, "prepare.py"), dataset.id


def _steps(at: AppTest) -> list[dict]:
    return list(at.session_state["prep_steps"])


def test_fix_then_run_makes_a_typed_dataset(app: Callable[..., AppTest], engine: Engine, analyst: Actor) -> None:
    at, source = _open(app, engine, analyst)
    at.button(key="prep_fix").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    assert [s["kind"] for s in _steps(at)] == ["cast", "cast", "filter"]
    assert any("Fix proposed 3 step(s)" in i.value for i in at.info)
    assert at.selectbox(key="prep_shown").value == 3
    assert "Removed rows (2)" in [t.label for t in at.tabs]

    at.text_input(key="prep_output").input("orders").run()
    at.button(key="prep_run").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    made = next(d for d in engine.datasets.list(analyst) if d.name == "orders")
    assert made.column_types["order_day"] == "date" and made.rows == 238
    assert any("Dataset 'orders': 238 rows" in s.value for s in at.success)
    assert engine.recipes.lineage(analyst, made.id).source_id == source  # type: ignore[union-attr]


def test_a_cast_step_shows_how_many_values_did_not_convert_and_the_first(
    app: Callable[..., AppTest], engine: Engine, analyst: Actor
) -> None:
    at, _ = _open(app, engine, analyst)
    at.button(key="prep_fix").click().run()
    first = {"price": "lots", "order_day": "unknown"}[_steps(at)[0]["column"]]  # the raw file's one bad value each
    at.selectbox(key="prep_shown").select(1).run()
    assert not at.exception and not _errors(at), _errors(at)
    assert [m.value for m in at.metric if m.label == "Values that did not convert"] == ["1"]
    assert f"first: {first!r}" in [t.value for t in at.text]


def test_steps_are_added_checked_reordered_disabled_and_deleted(
    app: Callable[..., AppTest], engine: Engine, analyst: Actor
) -> None:
    at, _ = _open(app, engine, analyst)
    at.selectbox(key="prep_kind").select("derive").run()
    at.text_input(key="prep_new_derive_name").input("twice").run()
    at.text_input(key="prep_new_derive_expression").input("nope * 2").run()
    at.button(key="prep_add").click().run()
    assert any("Unknown column 'nope'" in e for e in _errors(at)), _errors(at)
    assert _steps(at) == []

    at.selectbox(key="prep_kind").select("drop").run()
    at.multiselect(key="prep_new_drop_columns").select("region").run()
    at.button(key="prep_add").click().run()
    at.selectbox(key="prep_kind").select("rename").run()
    at.text_input(key="prep_new_rename_pairs").input("big=is_big").run()
    at.button(key="prep_add").click().run()
    assert not _errors(at), _errors(at)
    assert [s["kind"] for s in _steps(at)] == ["drop", "rename"]
    assert "is_big" in at.dataframe[0].value.columns and "region" not in at.dataframe[0].value.columns

    at.button(key="prep_down_0").click().run()
    assert [s["kind"] for s in _steps(at)] == ["rename", "drop"]
    next(c for c in at.checkbox if str(c.key).endswith("_1")).uncheck().run()
    assert _steps(at)[1]["enabled"] is False
    assert "region" in at.dataframe[0].value.columns  # the drop is skipped
    at.button(key="prep_remove_0").click().run()
    assert [s["kind"] for s in _steps(at)] == ["drop"]


def test_viewer_previews_but_cannot_change(
    app: Callable[..., AppTest], engine: Engine, analyst: Actor, viewer: Actor
) -> None:
    engine.datasets.upload(analyst, name="orders raw", filename="orders.csv", data=csv(raw_orders()))
    at = app(viewer, "prepare.py")
    assert not at.exception and not _errors(at)
    assert at.button(key="prep_fix").disabled
    assert not [b for b in at.button if b.key in ("prep_add", "prep_run", "prep_save")]


def test_the_first_dataset_picked_is_kept(app: Callable[..., AppTest], engine: Engine, analyst: Actor) -> None:
    """The page puts the shown dataset in its link; on the next run that link was taken for a new one and the
    analyst's first pick jumped back to the first dataset (Fix and Run then worked on the wrong one)."""
    engine.datasets.upload(analyst, name="another", filename="another.csv", data=csv(raw_orders().head(20)))
    at, _ = _open(app, engine, analyst)
    first = at.selectbox(key="prep_dataset").value
    other = next(d.id for d in engine.datasets.list(analyst) if d.id != first)
    at.selectbox(key="prep_dataset").set_value(other).run()
    assert at.selectbox(key="prep_dataset").value == other and at.query_params["dataset"] == other
    at.run()
    assert at.selectbox(key="prep_dataset").value == other
