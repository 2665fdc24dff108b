"""Datalake benchmark (issue 20), in one run on the same generated 1,000,000 × 20 CSV (bench/ingest.py's):

1. Upload with the lake's bronze + silver writes (``eng.datasets.upload``, default) against today's upload
   (the same call with ``DATAML_LAKE=off``), each in a fresh child process, alternating. Target ≤ 1.5×.
2. Numeric stats of one column (count, mean, std_dev, min, max, median) and a distinct count, through
   ``eng.datalake`` on the silver table, against DuckDB over the same data as one plain Parquet file (the
   dataset's own). Targets: stats ≤ 0.5 s and ≤ 1.5× plain DuckDB.

    python bench/datalake.py [--rows 1000000] [--repeat 3] [--workdir /tmp/dataml-bench-ingest]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import TypeVar

import duckdb

sys.path[0] = str(Path(__file__).resolve().parents[1])  # repo root, not bench/ (bench/shap.py shadows shap)

from bench.ingest import COLUMNS, prepared_csv
from core import Actor, Engine

T = TypeVar("T")

TARGET_UPLOAD, TARGET_STATS, TARGET_STATS_S = 1.5, 1.5, 0.5
STATS_COLUMN, DISTINCT_COLUMN = "float_2", "cat_1"


def _engine(home: Path) -> tuple[Engine, Actor, str]:
    engine = Engine.open(home=home, runner="inline")
    admin = engine.users.bootstrap_admin(username="bench", password="bench-pass-123", email="b@example.com")  # noqa: S106
    return engine, admin, engine.templates.create(admin, "bench", COLUMNS).id


def run_upload(csv_path: str, out_dir: str, lake: str) -> float:
    """Seconds of ``eng.datasets.upload`` of the CSV with the template, lake writes ``on`` or ``off``."""
    os.environ["DATAML_LAKE"] = lake
    home = Path(tempfile.mkdtemp(prefix=f"lake-{lake}-", dir=out_dir))
    engine, admin, template = _engine(home)
    start = time.perf_counter()
    engine.datasets.upload(admin, name="bench", filename="bench.csv", data=Path(csv_path), template_id=template)
    elapsed = time.perf_counter() - start
    if lake == "on":
        assert engine.datalake.table(admin, "silver", "bench").status == "ready"
    engine.close()
    shutil.rmtree(home)
    return elapsed


def _median(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_stats(csv_path: str, out_dir: str, repeat: int) -> dict[str, float]:
    """Stats and distinct count through the engine vs DuckDB over the dataset's plain Parquet file (same run)."""
    os.environ["DATAML_LAKE"] = "on"
    home = Path(tempfile.mkdtemp(prefix="lake-stats-", dir=out_dir))
    engine, admin, template = _engine(home)
    dataset = engine.datasets.upload(
        admin, name="bench", filename="bench.csv", data=Path(csv_path), template_id=template
    )
    parquet = str(engine.datasets.path(admin, dataset.id))
    lake = engine.datalake

    def ours_stats() -> object:
        return lake.numeric_stats(admin, "silver", "bench", STATS_COLUMN)

    def ours_distinct() -> object:
        return lake.distinct_count(admin, "silver", "bench", DISTINCT_COLUMN)

    def plain(select: str) -> Callable[[], object]:
        def query() -> object:
            with duckdb.connect(config={"threads": 2}) as con:
                return con.execute(f"SELECT {select} FROM read_parquet(?)", [parquet]).fetchone()  # noqa: S608

        return query

    c = f'CAST("{STATS_COLUMN}" AS DOUBLE)'
    base_stats = plain(f"count({c}), avg({c}), stddev_samp({c}), min({c}), max({c}), median({c})")
    base_distinct = plain(f'count(DISTINCT "{DISTINCT_COLUMN}")')
    ours_stats(), base_stats(), ours_distinct(), base_distinct()  # warm: catalog, imports, page cache
    result = {
        "stats": _median(ours_stats, repeat),
        "stats_plain": _median(base_stats, repeat),
        "distinct": _median(ours_distinct, repeat),
        "distinct_plain": _median(base_distinct, repeat),
    }
    engine.close()
    shutil.rmtree(home)
    return result


def child(function: Callable[..., T], *args: object) -> T:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def _line(label: str, ours: float, base: float, target: float, absolute: float | None = None) -> None:
    ratio = ours / base
    ok = ratio <= target and (absolute is None or ours <= absolute)
    limit = f"≤ {target}×" + (f" and ≤ {absolute} s" if absolute else "")
    print(
        f"{label}: {ours:.3f} s vs {base:.3f} s -> ratio {ratio:.2f} (target {limit}) {'OK' if ok else 'OVER TARGET'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="uploads of each side; stats queries are run 3× that")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "dataml-bench-ingest")
    args = parser.parse_args()
    csv_path = prepared_csv(args.workdir, args.rows)

    stats = child(run_stats, str(csv_path), str(args.workdir), 3 * args.repeat)
    _line(
        f"numeric stats of {STATS_COLUMN}: eng.datalake vs DuckDB on Parquet",
        stats["stats"],
        stats["stats_plain"],
        TARGET_STATS,
        TARGET_STATS_S,
    )
    _line(
        f"distinct count of {DISTINCT_COLUMN}: eng.datalake vs DuckDB on Parquet",
        stats["distinct"],
        stats["distinct_plain"],
        TARGET_STATS,
    )

    with_lake: list[float] = []
    without: list[float] = []
    for _ in range(args.repeat):
        without.append(child(run_upload, str(csv_path), str(args.workdir), "off"))
        with_lake.append(child(run_upload, str(csv_path), str(args.workdir), "on"))
    seconds = {name: ", ".join(f"{t:.1f}" for t in times) for name, times in (("off", without), ("on", with_lake))}
    print(f"uploads without the lake: {seconds['off']} s; with bronze + silver: {seconds['on']} s")
    _line(
        "upload with bronze + silver vs today's (medians)",
        statistics.median(with_lake),
        statistics.median(without),
        TARGET_UPLOAD,
    )


if __name__ == "__main__":
    main()
