"""The datalake: uploads land in bronze and silver, batch predictions in gold, each write a snapshot; statistics
equal pandas'; metadata has the seed's fields; another tenant sees nothing; a failed lake write leaves the upload
done and the table retriable."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core import Actor, Conflict, Engine, InvalidInput, NotFound, TrainRequest
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD, make_user

ROWS = 120
RNG = np.random.default_rng(7)
FRAME = pd.DataFrame(
    {
        "amount": RNG.normal(50, 12, ROWS).round(3),
        "units": RNG.integers(0, 40, ROWS),
        "region": RNG.choice(["north", "south", "east", "west"], ROWS),
        "churn": RNG.choice(["yes", "no"], ROWS),
    }
)
FRAME.loc[[3, 17], "amount"] = np.nan  # missing values are not counted


@dataclass
class World:
    engine: Engine
    admin: Actor
    viewer: Actor
    outsider: Actor
    dataset_id: str


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home = tmp_path_factory.mktemp("lake") / "workspace"
    eng = Engine.open(home=home, runner="inline")
    admin = eng.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
    eng.tenants.create(
        admin, name="Other Org", admin_username="otto", admin_password=USER_PASSWORD, admin_email="o@example.com"
    )
    dataset = eng.datasets.upload(admin, name="Customer Churn", filename="churn.csv", data=_csv(FRAME))
    yield World(
        eng, admin, make_user(eng, admin, "vic", "viewer"), eng.users.authenticate("otto", USER_PASSWORD), dataset.id
    )
    eng.close()


def test_an_upload_creates_a_bronze_and_a_silver_table_with_its_rows(world: World) -> None:
    eng, admin = world.engine, world.admin
    tables = {(t.schema, t.table) for t in eng.datalake.of_dataset(admin, world.dataset_id)}
    assert tables == {("bronze", "customer_churn"), ("silver", "customer_churn")}
    assert eng.datalake.table(admin, "silver", "customer_churn").rows == ROWS
    assert eng.datalake.table(admin, "bronze", "customer_churn").rows == ROWS
    silver = eng.datalake.preview(admin, "silver", "customer_churn", limit=1000)
    stored = eng.datasets.frame(admin, world.dataset_id)
    pd.testing.assert_frame_equal(silver, stored, check_dtype=False)
    bronze = [c.column_name for c in eng.datalake.columns(admin, "bronze", "customer_churn")]
    assert bronze == [*FRAME.columns, "_load_id", "_source_file", "_loaded_at"]
    assert set(eng.datalake.preview(admin, "bronze", "customer_churn")["_source_file"]) == {"churn.csv"}
    assert eng.datalake.schemas(world.viewer) == ["bronze", "silver", "gold"]


def test_columns_have_the_seed_types(world: World) -> None:
    columns = world.engine.datalake.columns(world.viewer, "silver", "customer_churn")
    assert [(c.column_name, c.data_type) for c in columns] == [
        ("amount", "double"),
        ("units", "bigint"),
        ("region", "varchar"),
        ("churn", "varchar"),
    ]


@pytest.mark.parametrize("column", ["amount", "units"])
def test_numeric_stats_equal_pandas(world: World, column: str) -> None:
    stats = world.engine.datalake.numeric_stats(world.viewer, "silver", "customer_churn", column)
    values = FRAME[column]
    assert stats.column == column and stats.count == values.count()
    for got, expected in [
        (stats.mean, values.mean()),
        (stats.std_dev, values.std()),
        (stats.min, values.min()),
        (stats.max, values.max()),
        (stats.median, values.median()),
    ]:
        assert got == pytest.approx(float(expected), rel=1e-12)


@pytest.mark.parametrize("column", ["amount", "units", "region", "churn"])
def test_distinct_counts_equal_pandas(world: World, column: str) -> None:
    count = world.engine.datalake.distinct_count(world.viewer, "silver", "customer_churn", column)
    assert count == FRAME[column].nunique()


def test_histogram_counts_every_value_once(world: World) -> None:
    bins = world.engine.datalake.histogram(world.viewer, "silver", "customer_churn", "amount", bins=10)
    assert len(bins) == 10 and bins["count"].sum() == FRAME["amount"].count()
    assert bins["low"].iloc[0] == FRAME["amount"].min() and bins["high"].iloc[-1] == pytest.approx(
        FRAME["amount"].max()
    )


def test_stats_of_a_text_or_unknown_column_are_refused(world: World) -> None:
    with pytest.raises(InvalidInput, match="'region' is not a numeric column"):
        world.engine.datalake.numeric_stats(world.viewer, "silver", "customer_churn", "region")
    with pytest.raises(NotFound, match="no column 'nope'"):
        world.engine.datalake.distinct_count(world.viewer, "silver", "customer_churn", "nope")


def test_table_metadata_has_every_seed_field(world: World) -> None:
    meta = world.engine.datalake.table(world.viewer, "silver", "customer_churn")
    seed = {"schema", "table", "owner", "created_time", "last_access_time", "location", "format"}
    assert seed <= set(meta.__dict__)
    assert (meta.schema, meta.table, meta.owner, meta.format, meta.status) == (
        "silver",
        "customer_churn",
        "admin",
        "iceberg",
        "ready",
    )
    assert meta.location == f"lake/{world.admin.tenant_id}/silver/customer_churn"
    assert meta.created_time <= meta.last_access_time and meta.snapshots >= 1 and meta.size_bytes > 0
    later = world.engine.datalake.table(world.viewer, "silver", "customer_churn")
    assert later.last_access_time >= meta.last_access_time  # each read is recorded


def test_added_files_are_snapshots_and_time_travel_reads_the_earlier_rows(world: World) -> None:
    eng, admin = world.engine, world.admin
    first = FRAME.head(30)
    dataset = eng.datasets.upload(admin, name="travel", filename="a.csv", data=_csv(first))
    eng.dataset_files.add(admin, dataset.id, files=[("b.csv", _csv(FRAME.tail(10)))])
    snapshots = eng.datalake.snapshots(admin, "silver", "travel")
    assert [(s.rows_added, s.total_rows, s.user) for s in snapshots] == [(30, 30, "admin"), (10, 40, "admin")]
    assert snapshots[0].source == "travel version 1" and snapshots[1].source == "travel version 2"
    earlier = eng.datalake.preview(admin, "silver", "travel", limit=100, snapshot_id=snapshots[0].snapshot_id)
    pd.testing.assert_frame_equal(earlier, first.reset_index(drop=True), check_dtype=False)
    assert len(eng.datalake.preview(admin, "silver", "travel", limit=100)) == 40
    stats = eng.datalake.numeric_stats(admin, "silver", "travel", "units", snapshot_id=snapshots[0].snapshot_id)
    assert stats.count == 30 and stats.mean == pytest.approx(first["units"].mean())
    assert eng.datalake.table(admin, "bronze", "travel").rows == 40  # raw files, as loaded
    [file_b] = [f for f in eng.dataset_files.list(admin, dataset.id) if f.name == "b.csv"]
    eng.dataset_files.remove(admin, file_b.file_id)
    assert eng.datalake.table(admin, "silver", "travel").rows == 30  # silver follows the dataset
    with pytest.raises(NotFound, match="no snapshot 12345"):
        eng.datalake.preview(admin, "silver", "travel", snapshot_id=12345)


def test_a_batch_prediction_appends_to_the_models_gold_table(world: World) -> None:
    eng, admin = world.engine, world.admin
    request = TrainRequest(dataset_id=world.dataset_id, name="Churn Model", target="churn", time_budget_s=2)
    model_id = eng.training.submit(admin, request).result["model_id"]  # type: ignore[index]
    for _ in range(2):
        job = eng.inference.predict_batch(admin, model_id, dataset_id=world.dataset_id)
        assert job.status == "succeeded", job.error
    meta = eng.datalake.table(admin, "gold", "churn_model_predictions")
    assert meta.rows == 2 * ROWS and meta.model_id == model_id
    gold = eng.datalake.preview(admin, "gold", "churn_model_predictions", limit=1000)
    result = eng.inference.batch_result(admin, job.id)
    assert {"prediction", "probability_no", "probability_yes", "_model_version", "_job_id", "_predicted_at"} <= set(
        gold.columns
    )
    latest = gold[gold["_job_id"] == job.id].reset_index(drop=True)
    assert list(latest["prediction"]) == list(result["prediction"])
    assert set(latest["_model_version"]) == {1}


def test_types_iceberg_refuses_are_converted_and_noted(world: World) -> None:
    eng, admin = world.engine, world.admin
    table = pa.table(
        {
            "small": pa.array([1, 2, 3], pa.uint16()),
            "big": pa.array([1, 2, 4_000_000_000], pa.uint32()),
            "when": pa.array(pd.to_datetime(["2024-01-01 10:00:00.123456789"] * 3)).cast(pa.timestamp("ns")),
            "kind": pa.array(["a", "b", "a"]).dictionary_encode(),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    eng.datasets.upload(admin, name="odd types", filename="odd.parquet", data=buffer.getvalue())
    notes = {c.column_name: (c.data_type, c.note) for c in eng.datalake.columns(admin, "bronze", "odd_types")}
    assert notes["small"] == ("integer", "unsigned 16-bit integers, widened to 32 bits")
    assert notes["big"] == ("bigint", "unsigned 32-bit integers, widened to 64 bits")
    assert notes["when"] == ("timestamp", "nanosecond timestamps, stored in microseconds")
    assert notes["kind"] == ("varchar", "category, stored as text")
    bronze = eng.datalake.preview(admin, "bronze", "odd_types")
    assert list(bronze["big"]) == [1, 2, 4_000_000_000] and list(bronze["kind"]) == ["a", "b", "a"]
    assert bronze["when"][0] == pd.Timestamp("2024-01-01 10:00:00.123456")


@pytest.mark.parametrize(
    "call",
    [
        lambda e, a: e.datalake.table(a, "silver", "customer_churn"),
        lambda e, a: e.datalake.columns(a, "silver", "customer_churn"),
        lambda e, a: e.datalake.snapshots(a, "bronze", "customer_churn"),
        lambda e, a: e.datalake.preview(a, "silver", "customer_churn"),
        lambda e, a: e.datalake.numeric_stats(a, "silver", "customer_churn", "amount"),
        lambda e, a: e.datalake.distinct_count(a, "silver", "customer_churn", "region"),
        lambda e, a: e.datalake.histogram(a, "silver", "customer_churn", "amount"),
        lambda e, a: e.datalake.tables(a, "platinum"),
    ],
)
def test_another_tenants_tables_are_not_found(world: World, call: object) -> None:
    with pytest.raises(NotFound):
        call(world.engine, world.outsider)  # type: ignore[operator]
    assert world.engine.datalake.tables(world.outsider, "silver") == []


def _block(eng: Engine, actor: Actor, schema: str, table: str) -> Path:
    """A file where the table's directory would go: its next write fails (a real failure, no mock)."""
    blocker = Path(eng.settings.home) / "lake" / actor.tenant_id / schema / table
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("in the way")
    return blocker


def test_a_failed_lake_write_keeps_the_upload_and_can_be_retried(world: World) -> None:
    eng, admin = world.engine, world.admin
    blockers = [_block(eng, admin, schema, "blocked") for schema in ("bronze", "silver")]
    dataset = eng.datasets.upload(admin, name="blocked", filename="blocked.csv", data=_csv(FRAME.head(5)))
    assert eng.datasets.get(admin, dataset.id).rows == 5  # the upload itself succeeded
    for schema in ("bronze", "silver"):
        failed = eng.datalake.table(admin, schema, "blocked")
        assert failed.status == "failed" and "Error" in (failed.error or "") and failed.rows == 0
    for blocker in blockers:
        blocker.unlink()
    retried = eng.datalake.retry(admin)
    assert [(t.schema, t.table, t.status, t.error) for t in retried] == [
        ("bronze", "blocked", "ready", None),
        ("silver", "blocked", "ready", None),
    ]
    assert eng.datalake.table(admin, "silver", "blocked").rows == 5
    bronze = eng.datalake.preview(admin, "bronze", "blocked")  # the original, read again
    assert len(bronze) == 5 and set(bronze["_source_file"]) == {"blocked.csv"}


def test_an_append_after_a_failed_write_rewrites_the_whole_table(world: World) -> None:
    eng, admin = world.engine, world.admin
    blocker = _block(eng, admin, "silver", "partial")
    dataset = eng.datasets.upload(admin, name="partial", filename="a.csv", data=_csv(FRAME.head(5)))
    assert eng.datalake.table(admin, "silver", "partial").status == "failed"
    blocker.unlink()
    eng.dataset_files.add(admin, dataset.id, files=[("b.csv", _csv(FRAME.tail(2)))])
    silver = eng.datalake.table(admin, "silver", "partial")
    assert (silver.status, silver.rows) == ("ready", 7)  # not just the 2 appended rows
    assert eng.datalake.table(admin, "bronze", "partial").rows == 7


def test_table_names_from_the_dataset_or_chosen_are_unique(world: World) -> None:
    eng, admin = world.engine, world.admin
    first = eng.datasets.upload(admin, name="Q1-sales", filename="q.csv", data=_csv(FRAME.head(3)))
    second = eng.datasets.upload(admin, name="q1 sales", filename="q.csv", data=_csv(FRAME.head(3)))
    named = eng.datasets.upload(admin, name="chosen", filename="c.csv", data=_csv(FRAME.head(3)), lake_table="my_table")
    tables = {d.id: {t.schema: t.table for t in eng.datalake.of_dataset(admin, d.id)} for d in (first, second, named)}
    assert tables[first.id] == {"bronze": "q1_sales", "silver": "q1_sales"}
    assert tables[second.id] == {"bronze": "q1_sales_2", "silver": "q1_sales_2"}
    assert tables[named.id] == {"bronze": "my_table", "silver": "my_table"}
    with pytest.raises(Conflict, match="already has a table named 'my_table'"):
        eng.datasets.upload(admin, name="again", filename="c.csv", data=_csv(FRAME.head(3)), lake_table="my_table")
    with pytest.raises(InvalidInput, match="lower-case letters, digits and _"):
        eng.datasets.upload(admin, name="bad", filename="c.csv", data=_csv(FRAME.head(3)), lake_table="My Table")
    assert {d.name for d in eng.datasets.list(admin)}.isdisjoint({"again", "bad"})  # refused before storing


def test_lake_writes_can_be_switched_off(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAML_LAKE", "off")
    eng = Engine.open(home=home, runner="inline")
    try:
        admin = eng.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
        dataset = eng.datasets.upload(admin, name="quiet", filename="q.csv", data=_csv(FRAME.head(5)))
        assert eng.datasets.get(admin, dataset.id).rows == 5
        assert eng.datalake.of_dataset(admin, dataset.id) == [] and eng.datalake.tables(admin, "silver") == []
    finally:
        eng.close()
    monkeypatch.setenv("DATAML_LAKE", "sometimes")
    with pytest.raises(InvalidInput, match="DATAML_LAKE must be on or off"):
        Engine.open(home=home, runner="inline")
