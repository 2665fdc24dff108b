"""Every CSV the product writes, fed hostile text by hypothesis through the engine and read back as a spreadsheet
reads it (RFC 4180): as many rows and cells as the data, each cell the value (text that would start a formula
with a leading ``'``, NUL as U+FFFD), numbers as numbers, and no cell a spreadsheet would evaluate.

Writers covered here: the whole-dataset CSV, the preview page, the validation report, value counts and column
statistics; batch results (input columns, a hostile header, hostile class names as predictions); the
predictions log; the audit and security logs; forecasts (hostile series ids); attribution results (hostile
family and sample names). Tables that pages build themselves (users, jobs, listings) go through
``ui.downloads.download_csv`` = ``safe_csv``, whose property test is ``test_csv_safety``; that module also keeps
any other writer out of the code.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core import Actor, ColumnSpec, Engine, PermissionDenied, TrainRequest, safe_csv
from tests.conftest import ADMIN_PASSWORD
from tests.core.test_csv_safety import texts

_EVALUATED = re.compile(r"^[=+\-@\t\r\n]")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
CLASSES = ["=1+1", "note\r@SUM(A1)"]  # hostile predictions (uploads trim text, so no CR or tab at the edges)
SERIES = ["=1+1", "\r=2", "note\r@SUM(A1)", "-3", "a\nb", "x\x00=y", '"q"', "plain"]
FAMILIES = ['=HYPERLINK("http://x")', "@SUM(A1)", "-2+3"]
EXAMPLES = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def shown(value: str) -> str:
    """How a text cell must read back: NUL replaced, a formula-like start (not a plain number) behind a quote."""
    text = value.replace("\x00", "\ufffd")
    return "'" + text if _EVALUATED.match(text) and not _NUMBER.fullmatch(text) else text


def read(data: bytes) -> list[list[str]]:
    """The rows a spreadsheet sees (the csv module with RFC 4180 quoting); none holds a live formula."""
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    assert all(len(row) == len(rows[0]) for row in rows)
    for row in rows:
        for cell in row:
            assert "\x00" not in cell and (not _EVALUATED.match(cell) or _NUMBER.fullmatch(cell)), repr(cell)
    return rows


def assert_cell(value: object, cell: str) -> None:
    if isinstance(value, str):
        assert cell == shown(value)
    elif value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        assert cell == ""
    elif isinstance(value, bool | np.bool_):
        assert cell == str(bool(value))
    elif isinstance(value, int | float | np.integer | np.floating):
        assert math.isclose(float(cell), float(value), rel_tol=1e-12)  # a number, unquoted, unprefixed


def assert_reads_back(data: bytes, frame: pd.DataFrame) -> None:
    """``data`` is ``frame`` as a spreadsheet shows it: every row and cell, no live formula."""
    rows = read(data)
    assert len(rows) == len(frame) + 1, (len(rows), len(frame))
    assert rows[0] == [shown(str(c)) for c in frame.columns]
    for values, row in zip(frame.itertuples(index=False), rows[1:], strict=True):
        for value, cell in zip(values, row, strict=True):
            assert_cell(value, cell)


def parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class World:
    engine: Engine
    admin: Actor
    classifier: str
    forecaster: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A classifier whose classes are formulas, and a forecaster whose series ids are (trained once)."""
    engine = Engine.open(home=tmp_path_factory.mktemp("writers") / "ws", runner="inline")
    admin = engine.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="a@example.com")
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, 200)
    training = pd.DataFrame({"x": x, "note": rng.choice(["a", "b"], 200), "label": [CLASSES[int(v > 0)] for v in x]})
    labelled = engine.datasets.upload(admin, name="labelled", filename="l.parquet", data=parquet(training))
    job = engine.training.submit(
        admin, TrainRequest(dataset_id=labelled.id, name="clf", target="label", time_budget_s=1, explain=False)
    )
    assert job.status == "succeeded" and job.result, job.error
    months = pd.date_range("2018-01-01", periods=36, freq="MS")
    history = pd.concat(
        pd.DataFrame({"month": months, "store": uid, "sales": 100 + i + 10 * np.sin(np.arange(36) / 2)})
        for i, uid in enumerate(SERIES)
    )
    stores = engine.datasets.upload(admin, name="stores", filename="s.parquet", data=parquet(history))
    request = TrainRequest(
        dataset_id=stores.id, name="fc", target="sales", problem_type="forecast", time_column="month",
        series_column="store", horizon=3,
    )  # fmt: skip
    forecast_job = engine.training.submit(admin, request)
    assert forecast_job.status == "succeeded" and forecast_job.result, forecast_job.error
    yield World(engine, admin, str(job.result["model_id"]), str(forecast_job.result["model_id"]))
    engine.close()


numbers_as_text = st.floats(-1e6, 1e6).map(repr)  # a text column: the template wants numbers, some are not
cells = st.lists(st.tuples(texts, st.one_of(texts, numbers_as_text, st.none())), min_size=1, max_size=12)


@EXAMPLES
@given(rows=cells)
def test_dataset_downloads_read_back(world: World, rows: list[tuple[str, object]]) -> None:
    """Whole dataset, one preview page (as the page offers it), the validation report of a template that wants
    numbers where there is text, value counts and statistics."""
    eng, admin = world.engine, world.admin
    frame = pd.DataFrame({"t": [r[0] for r in rows], "n": pd.Series([r[1] for r in rows], dtype=object)})
    template = eng.templates.create(admin, f"tpl{len(eng.templates.list(admin))}", [ColumnSpec("n", "float")])
    dataset = eng.datasets.upload(
        admin, name=f"d{len(eng.datasets.list(admin))}", filename="d.parquet", data=parquet(frame),
        template_id=template.id,
    )  # fmt: skip
    try:
        stored = eng.datasets.frame(admin, dataset.id)
        assert len(stored) == len(rows)
        assert_reads_back(eng.datasets.csv(admin, dataset.id), stored)
        page = eng.datasets.preview(admin, dataset.id, limit=5, offset=1).reset_index()
        assert_reads_back(safe_csv(page), page)
        report = eng.datasets.get(admin, dataset.id).validation.to_frame()
        assert_reads_back(eng.datasets.report_csv(admin, dataset.id), report)
        counts = eng.datasets.value_counts(admin, dataset.id, "t")
        assert_reads_back(safe_csv(counts), counts)
        profile = eng.datasets.statistics(admin, dataset.id)
        assert_reads_back(safe_csv(profile), profile)
    finally:
        eng.datasets.delete(admin, dataset.id)
        eng.templates.delete(admin, template.id)


def _extra_column(name: str) -> bool:
    return name.strip() not in ("", "x", "note") and not name.strip().startswith(("prediction", "probability"))


@EXAMPLES
@given(notes=st.lists(texts, min_size=1, max_size=12), header=texts.filter(_extra_column))
def test_batch_results_and_the_predictions_log_read_back(world: World, notes: list[str], header: str) -> None:
    """Scored files keep their input cells and a hostile extra column (name and cells); predictions are hostile
    class names; the predictions log holds hostile form inputs."""
    eng, admin = world.engine, world.admin
    extra = header.strip()
    scored = pd.DataFrame({"x": np.linspace(-1, 1, len(notes)), "note": notes, extra: notes[::-1]})
    job = eng.inference.predict_batch(admin, world.classifier, data=parquet(scored), filename="in.parquet")
    assert job.status == "succeeded" and job.result, job.error
    rows = read(eng.files.download(admin, job.result["file_id"]))
    assert len(rows) == len(notes) + 1
    for column in ("x", "note", extra):
        position = rows[0].index(shown(column))
        for value, row in zip(scored[column], rows[1:], strict=True):
            assert_cell(value, row[position])
    assert {row[rows[0].index("prediction")] for row in rows[1:]} <= {shown(c) for c in CLASSES}
    eng.inference.predict_one(admin, world.classifier, {"x": 0.5, "note": notes[0]}, explain=False)
    log = eng.inference.log(admin)
    assert_reads_back(safe_csv(log), log)


@EXAMPLES
@given(usernames=st.lists(texts.filter(lambda u: u.strip() != ""), min_size=1, max_size=4))
@example(usernames=["\x00", "a\x00b"])  # Postgres text cannot hold NUL: the attempt is still refused and logged
def test_the_audit_and_security_logs_read_back(world: World, usernames: list[str]) -> None:
    """Sign-in attempts with hostile names land in the platform security log, downloaded by its administrator."""
    eng, admin = world.engine, world.admin
    for name in usernames:
        with pytest.raises(PermissionDenied):
            eng.users.authenticate(name, "wrong-password-1")
    security = eng.audit.frame(admin, security=True)
    assert_reads_back(safe_csv(security), security)
    audit = eng.audit.frame(admin)
    assert_reads_back(safe_csv(audit), audit)


@settings(EXAMPLES, max_examples=5)  # a forecast takes seconds
@given(ids=st.lists(st.sampled_from(SERIES), min_size=1, max_size=len(SERIES), unique=True), steps=st.integers(1, 4))
def test_forecasts_read_back(world: World, ids: list[str], steps: int) -> None:
    """The forecast CSV kept as a result file: one row per series and step, the series ids as given."""
    eng, admin = world.engine, world.admin
    frame = eng.forecasts.forecast(admin, world.forecaster, steps, ids, [80])
    written = eng.files.download(admin, frame.attrs["file_id"])
    assert len(frame) == steps * len(ids)
    assert_reads_back(written, frame)
    assert sorted(set(frame["unique_id"])) == sorted(ids)


def test_attribution_results_read_back(world: World) -> None:
    """Family names and sample names are free text; the results CSV shows them without formulas."""
    from tests.core.test_attribution_models import package_elf_files

    eng, admin = world.engine, world.admin
    files = package_elf_files("coreutils", 7)
    if len(files) < 4:
        pytest.skip("needs ELF files of the coreutils package")
    for i, family in enumerate(FAMILIES):
        eng.attribution.add_references(admin, family=family, files=[(p.name, p.read_bytes()) for p in files[i::3][:2]])
    assert eng.attribution.rebuild_index(admin).status == "succeeded"
    sample = eng.attribution.submit(admin, "=cmd|' /C calc'!A0.bin", files[-1].read_bytes() + b"\0")
    data = eng.attribution.results_csv(admin, sample.id)
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    families = set(frame["family"]) - {""}
    assert families and families <= {shown(f) for f in FAMILIES}
    for row in rows:
        assert all(not _EVALUATED.match(c) or _NUMBER.fullmatch(c) for c in row), row
