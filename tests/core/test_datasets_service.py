"""The datasets service with real files: bad input leaves nothing behind, problem choices, preview, statistics."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select, update

from core import Actor, ColumnSpec, Conflict, Dataset, Engine, InvalidInput, JobStatus, NotFound
from core.storage.orm import DatasetRow, FileRow, JobRow, ModelDatasetRow, ModelRow
from core.storage.repositories import jobs as job_repo

ORDERS_COLUMNS = [
    ColumnSpec("id", "integer"),
    ColumnSpec("price", "float"),
    ColumnSpec("day", "date"),
    ColumnSpec("city", "category", default="unknown", required=False),
]
# Row 2: price not a number; row 3: id missing; row 4: impossible date; row 5: city missing (default).
ORDERS_CSV = b"""id,price,day,city
1,9.5,2024-01-31,Paris
2,abc,2024-02-01,Lyon
,3.0,2024-02-02,Paris
4,4.5,2024-02-30,Nice
5,5.5,2024-02-04,
"""


def footprint(engine: Engine) -> tuple[int, int, int]:
    """(dataset rows, file rows, files on disk) in the whole workspace."""
    with engine.db.session() as session:
        datasets = session.scalar(select(func.count()).select_from(DatasetRow))
        files = session.scalar(select(func.count()).select_from(FileRow))
    on_disk = sum(1 for p in engine.settings.files_dir.rglob("*") if p.is_file())
    return int(datasets or 0), int(files or 0), on_disk


def _xlsx(rows: list[list[object]], sheet: str = "data") -> bytes:
    book = openpyxl.Workbook()
    book.active.title = sheet
    for row in rows:
        book.active.append(row)
    book.create_sheet("other").append(["x"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _zip_renamed() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return out.getvalue()


def _parquet(table: pa.Table) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


BAD_FILES: list[tuple[str, str, Callable[[], bytes], str]] = [
    ("empty", "empty.csv", lambda: b"", "is empty"),
    ("header-only", "header.csv", lambda: b"a,b,c\n", "no data rows"),
    ("binary-junk", "junk.csv", lambda: bytes(range(256)) * 64, "binary data"),
    ("corrupt-xlsx", "broken.xlsx", lambda: _xlsx([["a"], [1]])[:600], "not a valid .xlsx"),
    ("zip-renamed-xlsx", "fake.xlsx", _zip_renamed, "not an Excel workbook"),
    ("duplicate-columns", "dup.csv", lambda: b"a,b,a\n1,2,3\n", "duplicate column names: 'a'"),
    (
        "10000-columns",
        "wide.csv",
        lambda: (",".join(f"c{i}" for i in range(10_000)) + "\n" + ",".join("1" * 10_000) + "\n").encode(),
        "10,000 columns",
    ),
    ("ragged-rows", "ragged.csv", lambda: b"a,b\n1,2\n3\n4,5,6\n", "number of fields differs"),
    ("not-parquet", "fake.parquet", lambda: b"PAR1 this is not parquet", "not a valid Parquet file"),
    ("unsupported-type", "data.json", lambda: b'{"a": 1}', "unsupported file type"),
]


@pytest.mark.parametrize(("filename", "make", "message"), [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES])
def test_bad_file_is_refused_clearly_and_leaves_nothing_behind(
    engine: Engine, admin: Actor, filename: str, make: Callable[[], bytes], message: str
) -> None:
    before = footprint(engine)
    with pytest.raises(InvalidInput) as caught:
        engine.datasets.upload(admin, filename=filename, data=make())
    assert message in caught.value.message
    assert "\n" not in caught.value.message and "Traceback" not in caught.value.message
    assert footprint(engine) == before


def test_ragged_rows_are_named_by_row_number(engine: Engine, admin: Actor) -> None:
    with pytest.raises(InvalidInput) as caught:
        engine.datasets.check(admin, "ragged.csv", b"a,b\n1,2\n3\n4,5\n6,7,8\n")
    assert [p.row for p in caught.value.problems] == [2, 4]


def test_file_over_the_upload_limit_is_refused_before_parsing(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAML_MAX_UPLOAD_MB", "1")
    engine = Engine.open(home=home, runner="inline")
    try:
        admin = engine.users.bootstrap_admin(username="admin", password="admin-pass-123", email="a@example.com")
        big = b"a,b\n" + b"1,2\n" * 300_000  # 1.2 MB
        before = footprint(engine)
        for data in (big, io.BytesIO(big)):
            with pytest.raises(InvalidInput, match="larger than the upload limit of 1 MB"):
                engine.datasets.upload(admin, filename="big.csv", data=data)
        path = home / "big.csv"
        path.write_bytes(big)
        with pytest.raises(InvalidInput, match="larger than the upload limit"):
            engine.datasets.upload(admin, filename="big.csv", data=path)
        with pytest.raises(InvalidInput, match="larger than the limit of 1 MB"):
            engine.files.add(admin, filename="big.csv", data=big, kind="data")
        assert footprint(engine) == before
    finally:
        engine.close()


def test_template_of_another_tenant_is_not_found_and_nothing_is_stored(
    engine: Engine, admin: Actor, outsider: Actor
) -> None:
    foreign = engine.templates.create(outsider, "theirs", ORDERS_COLUMNS)
    before = footprint(engine)
    with pytest.raises(NotFound):
        engine.datasets.upload(admin, filename="orders.csv", data=ORDERS_CSV, template_id=foreign.id)
    with pytest.raises(NotFound):
        engine.datasets.check(admin, "orders.csv", ORDERS_CSV, template_id=foreign.id)
    assert footprint(engine) == before


def test_duplicate_dataset_name_is_a_conflict_and_stores_nothing(engine: Engine, admin: Actor) -> None:
    engine.datasets.upload(admin, name="orders", filename="orders.csv", data=ORDERS_CSV)
    before = footprint(engine)
    with pytest.raises(Conflict, match="already exists"):
        engine.datasets.upload(admin, name="orders", filename="other.csv", data=b"x,y\n1,2\n")
    assert footprint(engine) == before


def test_check_reports_every_problem_with_row_and_column_and_stores_nothing(engine: Engine, admin: Actor) -> None:
    template = engine.templates.create(admin, "orders", ORDERS_COLUMNS)
    before = footprint(engine)
    report = engine.datasets.check(admin, "orders.csv", ORDERS_CSV, template_id=template.id)
    assert footprint(engine) == before
    problems = {(p.row, p.column, p.problem, p.value) for p in report.problems}
    assert problems == {
        (2, "price", "wrong type", "abc"),
        (3, "id", "missing required", None),
        (4, "day", "unparseable date", "2024-02-30"),
    }
    assert (report.rows, report.columns, report.usable_rows) == (5, 4, 2)
    assert report.usable_fraction == 2 / 5
    assert report.defaults_applied == {"city": 1}
    frame = report.to_frame()
    assert list(frame.columns) == ["row", "column", "value", "problem", "expected"]
    assert len(frame) == 3


def test_keep_valid_stores_only_usable_rows_as_validated(engine: Engine, admin: Actor) -> None:
    template = engine.templates.create(admin, "orders", ORDERS_COLUMNS)
    ds = engine.datasets.upload(
        admin, filename="orders.csv", data=ORDERS_CSV, template_id=template.id, on_problems="keep_valid"
    )
    assert (ds.status, ds.rows, ds.template_name) == ("validated", 2, "orders")
    frame = engine.datasets.frame(admin, ds.id)
    assert frame["id"].tolist() == [1, 5]
    assert frame["city"].astype(str).tolist() == ["Paris", "unknown"]  # the default filled the gap
    assert ds.column_types == {"id": "integer", "price": "float", "day": "date", "city": "category"}
    assert ds.validation.total_problems == 3  # the report of what was dropped is kept with the dataset


def test_keep_all_stores_every_row_with_status_has_problems(engine: Engine, admin: Actor) -> None:
    template = engine.templates.create(admin, "orders", ORDERS_COLUMNS)
    ds = engine.datasets.upload(
        admin, filename="orders.csv", data=ORDERS_CSV, template_id=template.id, on_problems="keep"
    )
    assert (ds.status, ds.rows) == ("has problems", 5)
    frame = engine.datasets.frame(admin, ds.id)
    assert frame["price"].isna().tolist() == [False, True, False, False, False]  # the bad cell became missing
    report = pd.read_csv(io.BytesIO(engine.datasets.report_csv(admin, ds.id)))
    assert sorted(report["row"].tolist()) == [2, 3, 4]


def test_reject_refuses_a_file_with_problems_and_stores_nothing(engine: Engine, admin: Actor) -> None:
    template = engine.templates.create(admin, "orders", ORDERS_COLUMNS)
    before = footprint(engine)
    with pytest.raises(InvalidInput, match="3 problem") as caught:
        engine.datasets.upload(
            admin, filename="orders.csv", data=ORDERS_CSV, template_id=template.id, on_problems="reject"
        )
    assert {p.row for p in caught.value.problems} == {2, 3, 4}
    assert footprint(engine) == before


def test_reject_stores_a_clean_file_as_validated(engine: Engine, admin: Actor) -> None:
    ds = engine.datasets.upload(admin, filename="clean.csv", data=b"a,b\n1,x\n2,y\n", on_problems="reject")
    assert (ds.status, ds.rows, ds.name) == ("validated", 2, "clean")


def test_keep_valid_with_no_usable_row_stores_nothing(engine: Engine, admin: Actor) -> None:
    template = engine.templates.create(admin, "ids", [ColumnSpec("id", "integer")])
    before = footprint(engine)
    with pytest.raises(InvalidInput, match="No row"):
        engine.datasets.upload(
            admin, filename="bad.csv", data=b"id\nx\ny\n", template_id=template.id, on_problems="keep_valid"
        )
    assert footprint(engine) == before


def test_unknown_on_problems_choice_is_refused(engine: Engine, admin: Actor) -> None:
    with pytest.raises(InvalidInput, match="on_problems"):
        engine.datasets.upload(admin, filename="a.csv", data=b"a\n1\n", on_problems="ignore")


def test_xlsx_sheet_is_chosen_and_parquet_keeps_its_types(engine: Engine, admin: Actor, tmp_path: Path) -> None:
    book = _xlsx([["name", "score"], ["ann", 3], ["bob", 4]], sheet="scores")
    assert engine.datasets.sheets(admin, "book.xlsx", book) == ["scores", "other"]
    assert engine.datasets.sheets(admin, "plain.csv", b"a\n1\n") == []
    ds = engine.datasets.upload(admin, filename="book.xlsx", data=book, sheet="scores")
    assert engine.datasets.frame(admin, ds.id)["score"].tolist() == [3, 4]
    with pytest.raises(InvalidInput, match="no data rows"):  # the second sheet holds only a header
        engine.datasets.upload(admin, name="other", filename="book.xlsx", data=book, sheet="other")

    path = tmp_path / "typed.parquet"
    pq.write_table(pa.table({"when": pa.array([1, 2], pa.timestamp("s")), "n": [1.5, 2.5]}), path)
    typed = engine.datasets.upload(admin, filename="typed.parquet", data=path)
    assert typed.column_types == {"when": "datetime", "n": "float"}


def test_parquet_with_unusual_number_types_gets_statistics_plots_and_correlations(engine: Engine, admin: Actor) -> None:
    frame = pd.DataFrame(
        {
            "half": np.array([0.5, 1.5, 2.25, 4.0], dtype="float16"),
            "ids": np.array([2**53 + 1, 2**60, 3, 2**62], dtype="uint64"),
            "at": pd.to_datetime([1, 2, 3, 4], unit="ns"),
            "day": [dt.date(2024, 1, 1)] * 4,
        }
    )
    out = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), out)
    ds = engine.datasets.upload(admin, filename="odd.parquet", data=out.getvalue())
    assert ds.column_types == {"half": "float", "ids": "integer", "at": "datetime", "day": "date"}
    stats = engine.datasets.statistics(admin, ds.id).set_index("column")
    assert stats.loc["ids", "max"] == str(2**62) and stats.loc["half", "mean"] == frame["half"].astype(float).mean()
    for column in frame.columns:
        assert engine.datasets.histogram(admin, ds.id, column)["count"].sum() == 4
    expected = frame[["half", "ids"]].astype("float64").corr()
    pd.testing.assert_frame_equal(engine.datasets.correlation(admin, ds.id), expected, rtol=1e-9)


def test_parquet_with_durations_is_refused_at_upload_and_stores_nothing(engine: Engine, admin: Actor) -> None:
    out = io.BytesIO()
    pq.write_table(pa.table({"took": pa.array([1, 2], pa.duration("ms")), "n": [1, 2]}), out)
    before = footprint(engine)
    with pytest.raises(InvalidInput, match=r"not plain values: took \(duration\[ms\]\)"):
        engine.datasets.upload(admin, filename="took.parquet", data=out.getvalue())
    assert footprint(engine) == before


def test_preview_pages_and_chooses_columns(engine: Engine, admin: Actor) -> None:
    data = "n,square,label\n" + "".join(f"{i},{i * i},r{i}\n" for i in range(1, 251))
    ds = engine.datasets.upload(admin, filename="squares.csv", data=data.encode())
    page = engine.datasets.preview(admin, ds.id, limit=50, offset=100, columns=["square", "n"])
    assert list(page.columns) == ["square", "n"]
    assert page.index.tolist() == list(range(101, 151))
    assert page["n"].tolist() == list(range(101, 151))
    assert len(engine.datasets.preview(admin, ds.id, limit=100, offset=200)) == 50
    with pytest.raises(InvalidInput, match="Unknown column"):
        engine.datasets.preview(admin, ds.id, columns=["nope"])


def test_statistics_match_pandas_and_are_cached_until_regenerated(engine: Engine, admin: Actor) -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "amount": rng.normal(50, 10, 400).round(3),
            "units": rng.integers(0, 20, 400),
            "shop": rng.choice(["north", "south", "east"], 400),
            "day": pd.date_range("2024-01-01", periods=400, freq="D").strftime("%Y-%m-%d"),
        }
    )
    frame.loc[rng.choice(400, 30, replace=False), "amount"] = np.nan
    ds = engine.datasets.upload(admin, filename="sales.csv", data=frame.to_csv(index=False).encode())
    stats = engine.datasets.statistics(admin, ds.id).set_index("column")
    for column in ("amount", "units"):
        series = frame[column]
        row = stats.loc[column]
        assert row["count"] == series.count() and row["missing"] == series.isna().sum()
        assert row["distinct"] == series.nunique()
        assert row["mean"] == pytest.approx(series.mean())
        assert row["std"] == pytest.approx(series.std())
        for q, name in ((0.25, "q25"), (0.5, "q50"), (0.75, "q75")):
            assert row[name] == pytest.approx(series.quantile(q))
        assert float(row["min"]) == pytest.approx(series.min()) and float(row["max"]) == pytest.approx(series.max())
    shop = stats.loc["shop"]
    assert (shop["type"], shop["distinct"]) == ("string", 3)
    top_value, top_count = frame["shop"].value_counts().index[0], frame["shop"].value_counts().iloc[0]
    assert shop["top"].startswith(f"{top_value} ({top_count})")
    assert (stats.loc["day", "type"], stats.loc["day", "min"], stats.loc["day", "max"]) == (
        "date",
        "2024-01-01",
        "2025-02-03",
    )

    histogram = engine.datasets.histogram(admin, ds.id, "units", bins=5)
    assert histogram["count"].sum() == 400
    counts = engine.datasets.value_counts(admin, ds.id, "shop")
    assert dict(zip(counts["value"], counts["count"], strict=True)) == frame["shop"].value_counts().to_dict()
    corr = engine.datasets.correlation(admin, ds.id)
    assert corr.loc["amount", "units"] == pytest.approx(frame[["amount", "units"]].corr().loc["amount", "units"])

    with engine.db.session() as session:  # the cache is what the next call returns, until regenerated
        row = session.get(DatasetRow, ds.id)
        assert row is not None
        row.statistics = [{"column": "cached"}]
    assert engine.datasets.statistics(admin, ds.id)["column"].tolist() == ["cached"]
    assert engine.datasets.statistics(admin, ds.id, refresh=True)["column"].tolist() == list(frame.columns)


def test_delete_removes_row_and_bytes(engine: Engine, admin: Actor) -> None:
    before = footprint(engine)
    ds = engine.datasets.upload(admin, filename="orders.csv", data=ORDERS_CSV)
    assert footprint(engine) == (before[0] + 1, before[1] + 2, before[2] + 2)  # the Parquet file and the original
    engine.datasets.delete(admin, ds.id)
    assert footprint(engine) == before
    with pytest.raises(NotFound):
        engine.datasets.get(admin, ds.id)


def _model_on(
    engine: Engine,
    admin: Actor,
    dataset_id: str,
    *,
    version: int = 1,
    parent_id: str | None = None,
    training_datasets: list[str] | None = None,
) -> str:
    """A model row trained on the dataset (training itself is another service's test); a continued version
    is linked to every dataset it was trained on, as training links it."""
    with engine.db.session() as session:
        row = ModelRow(
            tenant_id=admin.tenant_id,
            owner_id=admin.user_id,
            name="churn",
            version=version,
            problem_type="classification",
            dataset_id=dataset_id,
            parent_id=parent_id,
            target="id",
            schema={"features": [], "target": "id", "problem_type": "classification"},
            metrics={},
            details={},
        )
        session.add(row)
        session.flush()
        for position, used in enumerate(training_datasets or [dataset_id]):
            session.add(ModelDatasetRow(model_id=row.id, position=position, dataset_id=used))
        return row.id


def _job_on(engine: Engine, admin: Actor, kind: str, status: str, **names: list[str]) -> str:
    """A job row as the jobs service leaves it while it waits or runs, linked to the rows it names."""
    with engine.db.session() as session:
        job = job_repo.create_job(
            session,
            tenant_id=admin.tenant_id,
            owner_id=admin.user_id,
            kind=kind,
            title=f"{kind} job",
            params={},
            **names,
        )
        session.execute(update(JobRow).where(JobRow.id == job.id).values(status=status))
        return job.id


def _models(engine: Engine) -> int:
    with engine.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(ModelRow)) or 0)


def test_delete_is_refused_while_a_model_uses_the_dataset_unless_cascading(engine: Engine, admin: Actor) -> None:
    ds = engine.datasets.upload(admin, filename="orders.csv", data=ORDERS_CSV)
    _model_on(engine, admin, ds.id)
    with pytest.raises(Conflict, match=r"used by 1 model\(s\): churn v1"):
        engine.datasets.delete(admin, ds.id)
    assert engine.datasets.get(admin, ds.id).id == ds.id
    engine.datasets.delete(admin, ds.id, cascade=True)
    assert engine.datasets.list(admin) == []
    assert _models(engine) == 0


def test_continued_versions_trained_on_the_dataset_are_named_and_cascaded(engine: Engine, admin: Actor) -> None:
    first = engine.datasets.upload(admin, name="2020", filename="orders.csv", data=ORDERS_CSV)
    later = engine.datasets.upload(admin, name="2021", filename="orders.csv", data=ORDERS_CSV)
    parent = _model_on(engine, admin, first.id)
    _model_on(engine, admin, later.id, version=2, parent_id=parent, training_datasets=[first.id, later.id])
    before = footprint(engine)
    with pytest.raises(Conflict, match=r"used by 2 model\(s\): churn v1, churn v2"):
        engine.datasets.delete(admin, first.id)
    assert (footprint(engine), _models(engine)) == (before, 2)
    engine.datasets.delete(admin, first.id, cascade=True)
    assert (footprint(engine), _models(engine)) == ((before[0] - 1, before[1] - 2, before[2] - 2), 0)
    assert [d.name for d in engine.datasets.list(admin)] == ["2021"]


def test_cascade_checks_every_model_before_deleting_anything(engine: Engine, admin: Actor) -> None:
    ds = engine.datasets.upload(admin, filename="orders.csv", data=ORDERS_CSV)
    _model_on(engine, admin, ds.id)
    busy = _model_on(engine, admin, ds.id, version=2)
    _job_on(engine, admin, "explain_model", "running", models=[busy])
    before = footprint(engine)
    with pytest.raises(Conflict, match=r"1 unfinished job\(s\): explain_model job"):
        engine.datasets.delete(admin, ds.id, cascade=True)
    assert (footprint(engine), _models(engine)) == (before, 2)


@pytest.mark.parametrize(
    ("kind", "status", "names"),
    [
        ("train_tabular", "queued", lambda ds: {"datasets": [ds.id]}),
        ("batch_predict", "running", lambda ds: {"datasets": [ds.id], "files": [ds.file_id]}),
        ("dataset_statistics", "queued", lambda ds: {"files": [ds.file_id]}),  # any kind naming it or its file
    ],
)
def test_delete_is_refused_while_an_unfinished_job_uses_the_dataset(
    engine: Engine, admin: Actor, kind: str, status: str, names: Callable[[Dataset], dict[str, list[str]]]
) -> None:
    ds = engine.datasets.upload(admin, filename="orders.csv", data=ORDERS_CSV)
    job = _job_on(engine, admin, kind, status, **names(ds))
    before = footprint(engine)
    with pytest.raises(Conflict, match=rf"used by 1 unfinished job\(s\): {kind} job"):
        engine.datasets.delete(admin, ds.id, cascade=True)
    assert footprint(engine) == before
    with engine.db.session() as session:
        job_repo.finish(session, job, JobStatus.SUCCEEDED)
    engine.datasets.delete(admin, ds.id)
    assert footprint(engine) == (before[0] - 1, before[1] - 2, before[2] - 2)  # its Parquet file and original


def test_list_filters_validated_datasets(engine: Engine, admin: Actor) -> None:
    template = engine.templates.create(admin, "orders", ORDERS_COLUMNS)
    engine.datasets.upload(admin, name="raw", filename="o.csv", data=ORDERS_CSV, template_id=template.id)
    engine.datasets.upload(
        admin, name="clean", filename="o.csv", data=ORDERS_CSV, template_id=template.id, on_problems="keep_valid"
    )
    assert {d.name for d in engine.datasets.list(admin)} == {"raw", "clean"}
    assert [d.name for d in engine.datasets.list(admin, status="validated")] == ["clean"]


def test_stream_upload_is_read_once(engine: Engine, admin: Actor) -> None:
    ds = engine.datasets.upload(admin, filename="s.csv", data=io.BytesIO(b"a,b\n1,2\n3,4\n"))
    assert (ds.rows, ds.columns) == (2, ["a", "b"])


def test_whole_dataset_downloads_as_formula_safe_csv_with_every_row(engine: Engine, admin: Actor) -> None:
    rows = "\n".join(f"{i},=SUM(A{i}),{'' if i % 2 else 'x'}" for i in range(1, 1201))
    ds = engine.datasets.upload(admin, name="big", filename="big.csv", data=f"n,formula,maybe\n{rows}\n".encode())
    lines = engine.datasets.csv(admin, ds.id).decode().splitlines()
    assert lines[0] == "n,formula,maybe" and len(lines) == 1201
    assert lines[1] == "1,'=SUM(A1)," and lines[2] == "2,'=SUM(A2),x"
