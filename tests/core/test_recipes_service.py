"""Recipes through the engine: Fix proposes the casts a raw file needs, a run makes a new dataset with lineage,
a model trained on it replays the recipe on raw rows (batch and form) with the same predictions as scoring the
prepared rows, and the refusals (permissions, other tenants, unknown columns, names)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest

from core import Conflict, Engine, InvalidInput, NotFound, PermissionDenied
from core.entities import Actor, TrainRequest
from core.prep import Cast, Filter, Recipe, Step
from core.prep.recipe import MAX_SHOWN


def raw_orders(rows: int = 240, seed: int = 3) -> pd.DataFrame:
    """Orders as a European spreadsheet writes them: day-first dates, decimal commas, a few bad values."""
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 360, rows), unit="D")
    price = rng.uniform(1, 100, rows).round(2)
    region = rng.choice(["north", "south", "east", "west"], rows)
    big = np.where(price + (region == "north") * 30 > 60, "yes", "no")
    frame = pd.DataFrame(
        {
            "order_day": days.strftime("%d/%m/%Y"),
            "price": [f"{p:.2f}".replace(".", ",") for p in price],
            "region": region,
            "big": big,
        }
    )
    frame.loc[5, "price"] = "lots"
    frame.loc[7, "order_day"] = "unknown"
    return frame


def csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def prepared(eng: Engine, actor: Actor, raw: pd.DataFrame, then: Sequence[Step] = ()) -> tuple[str, str]:
    """Upload the raw file, save the recipe Fix proposes (``then`` steps after it), run it: (raw dataset id,
    prepared dataset id)."""
    source = eng.datasets.upload(actor, name="orders raw", filename="orders.csv", data=csv(raw))
    recipe = eng.recipes.suggest(actor, source.id)
    info = eng.recipes.create(actor, "fix orders", source.id, Recipe((*recipe.steps, *then)))
    job = eng.recipes.run(actor, info.id, "orders")
    assert job.status == "succeeded", job.error
    assert job.result is not None
    return source.id, str(job.result["dataset_id"])


def test_fix_proposes_casts_and_a_run_makes_a_typed_dataset_with_lineage(engine: Engine, analyst: Actor) -> None:
    raw = raw_orders()
    source = engine.datasets.upload(analyst, name="orders raw", filename="orders.csv", data=csv(raw))
    assert source.column_types["order_day"] == "string" and source.column_types["price"] == "string"

    recipe = engine.recipes.suggest(analyst, source.id)
    casts = {s.column: s for s in recipe.steps if isinstance(s, Cast)}
    assert casts["order_day"].to == "date" and casts["order_day"].day_first
    assert casts["price"].to == "float" and casts["price"].decimal_comma
    assert "region" not in casts and "big" not in casts
    assert isinstance(recipe.steps[-1], Filter)

    preview = engine.recipes.preview(analyst, source.id, recipe, step=1)
    assert preview.changed_count == len(raw)  # every text date became a date
    assert "order_day before" in preview.changed.columns

    info = engine.recipes.create(analyst, "fix orders", source.id, recipe)
    job = engine.recipes.run(analyst, info.id, "orders")
    assert job.status == "succeeded", job.error
    assert job.result is not None
    made = engine.datasets.get(analyst, job.result["dataset_id"])
    assert made.column_types["order_day"] == "date" and made.column_types["price"] == "float"
    assert made.rows == len(raw) - 2  # the bad date row and the bad price row are dropped
    frame = engine.datasets.frame(analyst, made.id)
    expected = pd.to_datetime(raw["order_day"], format="%d/%m/%Y", errors="coerce").dt.date
    kept = ~raw.index.isin([5, 7])
    assert list(frame["order_day"]) == list(expected[kept])
    assert np.allclose(frame["price"], raw.loc[kept, "price"].str.replace(",", ".").astype(float))

    lineage = engine.recipes.lineage(analyst, made.id)
    assert lineage is not None
    assert (lineage.recipe_name, lineage.source_id, lineage.source_version) == ("fix orders", source.id, 1)
    failed = {r["number"]: r["failed"] for r in lineage.reports}
    assert failed[1] == 1 and failed[2] == 1  # one value of each cast did not convert
    assert engine.recipes.lineage(analyst, source.id) is None  # uploaded, not prepared


def test_a_preview_names_the_first_value_a_cast_could_not_read_cut_short(engine: Engine, analyst: Actor) -> None:
    raw = raw_orders()
    raw.loc[9, "price"] = "?" * 10_000  # after row 5's "lots": not the first
    raw.loc[3, "order_day"] = "soon" * 2_500  # before row 7's "unknown": the first
    source = engine.datasets.upload(analyst, name="orders raw", filename="orders.csv", data=csv(raw))
    casts = Recipe((Cast("price", "float", decimal_comma=True), Cast("order_day", "date", day_first=True)))
    reports = engine.recipes.preview(analyst, source.id, casts).reports
    assert [(r.failed, r.first_failed) for r in reports] == [(2, "lots"), (2, ("soon" * 2_500)[:MAX_SHOWN])]


def test_a_run_in_place_makes_the_next_version_and_keeps_the_first(engine: Engine, analyst: Actor) -> None:
    raw = raw_orders()
    source = engine.datasets.upload(analyst, name="orders", filename="orders.csv", data=csv(raw))
    info = engine.recipes.create(analyst, "fix", source.id, engine.recipes.suggest(analyst, source.id))
    job = engine.recipes.run(analyst, info.id, in_place=True)
    assert job.status == "succeeded" and job.result is not None, job.error
    assert job.result["dataset_id"] == source.id and job.title == "Prepare a new version of orders with fix"
    fixed = engine.datasets.get(analyst, source.id)
    assert (fixed.version, fixed.rows, fixed.column_types["order_day"]) == (2, 238, "date")
    versions = engine.dataset_files.versions(analyst, source.id)
    assert [(v.version, v.rows) for v in versions][-2:] in ([(1, 240), (2, 238)], [(2, 238), (1, 240)])
    assert engine.recipes.lineage(analyst, source.id, 2) is not None
    assert engine.recipes.lineage(analyst, source.id, 1) is None
    assert [f.name for f in engine.dataset_files.list(analyst, source.id)] == ["orders.parquet"]


def _train(eng: Engine, actor: Actor, dataset_id: str) -> str:
    request = TrainRequest(dataset_id=dataset_id, name="big orders", target="big", time_budget_s=1, explain=False)
    job = eng.training.submit(actor, request)
    assert job.status == "succeeded" and job.result is not None, job.error
    return str(job.result["model_id"])


def test_a_model_replays_its_recipe_on_raw_rows(engine: Engine, analyst: Actor) -> None:
    raw = raw_orders()
    _, made = prepared(engine, analyst, raw)
    model_id = _train(engine, analyst, made)
    model = engine.models.get(analyst, model_id)
    assert model.details.recipe is not None and model.details.recipe["recipe_name"] == "fix orders"

    by_raw = engine.inference.predict_batch(analyst, model_id, data=csv(raw), filename="new-orders.csv")
    by_prepared = engine.inference.predict_batch(analyst, model_id, dataset_id=made)
    raw_scores = engine.inference.batch_result(analyst, by_raw.id)
    prepared_scores = engine.inference.batch_result(analyst, by_prepared.id)
    assert len(raw_scores) == len(raw)  # every raw row is scored: the recipe's row filter is not replayed
    kept = raw_scores.drop(index=[5, 7]).reset_index(drop=True)
    assert list(kept["prediction"]) == list(prepared_scores["prediction"])

    row = raw.iloc[0].to_dict()
    as_raw = engine.inference.predict_one(analyst, model_id, row, explain=False)
    first = engine.datasets.frame(analyst, made).iloc[0].to_dict()
    as_prepared = engine.inference.predict_one(analyst, model_id, first, explain=False)
    assert as_raw.prediction == as_prepared.prediction
    assert as_raw.probabilities == pytest.approx(as_prepared.probabilities)
    whole = engine.inference.predict_one(analyst, model_id, {**first, "price": round(first["price"])}, explain=False)
    assert whole.prediction in ("yes", "no")  # 42 where the prepared data had 42.0: prepared, not raw


def test_the_raw_form_asks_for_the_columns_the_recipe_reads(engine: Engine, analyst: Actor) -> None:
    raw = raw_orders()
    source_id, made = prepared(engine, analyst, raw)
    model_id = _train(engine, analyst, made)
    fields = {f.name: f for f in engine.inference.form_fields(analyst, model_id, raw=True)}
    assert list(fields) == ["order_day", "price", "region"]  # the raw file's columns, not the target
    assert all(f.kind == "categorical" for f in fields.values())  # as uploaded: text (the recipe casts them)
    assert fields["region"].default == raw["region"].value_counts().index[0]
    assert set(fields["region"].options) == set(raw["region"])
    assert fields["price"].source == "source mode" and fields["price"].default in set(raw["price"])

    values = {name: field.default for name, field in fields.items()}
    by_form = engine.inference.predict_one(analyst, model_id, values, explain=True)
    typed = {
        "order_day": pd.to_datetime(values["order_day"], format="%d/%m/%Y").date(),
        "price": float(values["price"].replace(",", ".")),
        "region": values["region"],
    }
    as_prepared = engine.inference.predict_one(analyst, model_id, typed, explain=True)
    assert by_form.prediction == as_prepared.prediction
    assert by_form.contributions == pytest.approx(as_prepared.contributions)

    engine.datasets.delete(analyst, source_id)  # the source gone: the same fields, without defaults
    bare = engine.inference.form_fields(analyst, model_id, raw=True)
    assert [f.name for f in bare] == list(fields) and {f.source for f in bare} == {"no default"}

    again = engine.datasets.upload(analyst, name="orders again", filename="orders.csv", data=csv(raw))
    plain = _train(engine, analyst, again.id)  # trained on an uploaded file: no recipe to replay
    with pytest.raises(InvalidInput, match="uploaded data"):
        engine.inference.form_fields(analyst, plain, raw=True)


def test_raw_form_values_always_go_through_the_recipe_even_in_the_prepared_shape(
    engine: Engine, analyst: Actor
) -> None:
    """A recipe that keeps names and types (a replace) leaves raw values looking prepared: the raw form says so."""
    rng = np.random.default_rng(4)
    region = rng.choice(["N", "S"], 200)
    frame = pd.DataFrame({"region": region, "x": rng.normal(size=200), "big": np.where(region == "N", "yes", "no")})
    source = engine.datasets.upload(analyst, name="codes", filename="codes.csv", data=csv(frame))
    steps = {"steps": [{"kind": "replace", "column": "region", "mapping": {"N": "north", "S": "south"}}]}
    info = engine.recipes.create(analyst, "spell out", source.id, steps)
    job = engine.recipes.run(analyst, info.id, in_place=True)  # the source is the dataset's own first version
    assert job.status == "succeeded", job.error
    model_id = _train(engine, analyst, source.id)
    fields = {f.name: f for f in engine.inference.form_fields(analyst, model_id, raw=True)}
    assert set(fields["region"].options) == {"N", "S"}  # the version the recipe ran on, not the prepared one
    raw = engine.inference.predict_one(analyst, model_id, {"region": "N", "x": 0.0}, raw=True)
    typed = engine.inference.predict_one(analyst, model_id, {"region": "north", "x": 0.0})
    assert raw.prediction == typed.prediction == "yes" and not raw.warnings
    logged = engine.inference.log(analyst, model_id=model_id)
    assert json.loads(logged["inputs"].iloc[-1]) == {"region": "N", "x": 0.0}  # the raw values, as given
    with pytest.raises(InvalidInput, match="not plain"):
        engine.inference.predict_one(analyst, model_id, {"region": ["N"], "x": 0.0}, raw=True)


def test_a_reshaping_recipe_is_not_replayed(engine: Engine, analyst: Actor) -> None:
    frame = pd.DataFrame({"g": ["a", "b"] * 60, "x": np.arange(120.0), "y": np.arange(120.0) * 2})
    source = engine.datasets.upload(analyst, name="long", filename="long.csv", data=csv(frame))
    steps = {
        "steps": [
            {"kind": "aggregate", "by": ["g", "x"], "aggregations": [["y", "mean", "y"]]},
        ]
    }
    info = engine.recipes.create(analyst, "grouped", source.id, steps)
    job = engine.recipes.run(analyst, info.id, "grouped rows")
    assert job.status == "succeeded" and job.result is not None, job.error
    lineage = engine.recipes.lineage(analyst, job.result["dataset_id"])
    assert lineage is not None and "reshapes rows at step 1" in lineage.replay["refused"]


def test_steps_are_checked_when_saved(engine: Engine, analyst: Actor) -> None:
    source = engine.datasets.upload(analyst, name="orders raw", filename="orders.csv", data=csv(raw_orders()))
    with pytest.raises(InvalidInput, match=r"Step 2 .*'nope'"):
        engine.recipes.create(
            analyst,
            "broken",
            source.id,
            {"steps": [{"kind": "rename", "mapping": {"region": "area"}}, {"kind": "drop", "columns": ["nope"]}]},
        )
    with pytest.raises(InvalidInput, match=r"not part of the language|Unexpected"):
        engine.recipes.create(
            analyst, "sneaky", source.id, {"steps": [{"kind": "filter", "condition": "region.__class__"}]}
        )
    assert engine.recipes.list(analyst) == []


def test_names_export_import_and_delete(engine: Engine, analyst: Actor) -> None:
    source = engine.datasets.upload(analyst, name="orders raw", filename="orders.csv", data=csv(raw_orders()))
    recipe = engine.recipes.suggest(analyst, source.id)
    info = engine.recipes.create(analyst, "fix orders", source.id, recipe)
    with pytest.raises(Conflict):
        engine.recipes.create(analyst, "FIX ORDERS", source.id, recipe)
    exported = engine.recipes.export_json(analyst, info.id)
    assert json.loads(exported)["name"] == "fix orders"
    copy = engine.recipes.import_json(analyst, exported, source.id, name="fix orders 2")
    assert copy.steps == info.steps
    with pytest.raises(InvalidInput):
        engine.recipes.import_json(analyst, b"\x00not json", source.id)
    renamed = engine.recipes.update(analyst, copy.id, name="renamed", description="why")
    assert (renamed.name, renamed.description) == ("renamed", "why")
    with pytest.raises(Conflict):
        engine.recipes.run(analyst, info.id, "orders raw")  # the output name is taken
    engine.recipes.delete(analyst, copy.id)
    assert [r.name for r in engine.recipes.list(analyst)] == ["fix orders"]


def test_permissions_and_tenants(engine: Engine, analyst: Actor, viewer: Actor, outsider: Actor) -> None:
    source = engine.datasets.upload(analyst, name="orders raw", filename="orders.csv", data=csv(raw_orders()))
    recipe: dict[str, Any] = {"steps": [{"kind": "drop", "columns": ["region"]}]}
    info = engine.recipes.create(analyst, "drop region", source.id, recipe)
    assert engine.recipes.preview(viewer, source.id, recipe).rows.columns.tolist() == ["order_day", "price", "big"]
    with pytest.raises(PermissionDenied):
        engine.recipes.create(viewer, "mine", source.id, recipe)
    with pytest.raises(PermissionDenied):
        engine.recipes.run(viewer, info.id)
    with pytest.raises(NotFound):
        engine.recipes.get(outsider, info.id)
    with pytest.raises(NotFound):
        engine.recipes.preview(outsider, source.id, recipe)
    with pytest.raises(NotFound):
        engine.recipes.run(outsider, info.id)
    joined = {"steps": [{"kind": "join", "dataset_id": source.id, "on": ["region"]}]}
    theirs = engine.datasets.upload(outsider, name="theirs", filename="t.csv", data=csv(raw_orders()))
    with pytest.raises(NotFound):
        engine.recipes.preview(outsider, theirs.id, joined)  # the joined dataset is another tenant's
