"""Ingest benchmark: a generated mixed-type CSV -> validated Parquet dataset through the engine, against
the plain baseline ``pyarrow.csv.read_csv`` + ``pyarrow.parquet.write_table`` of the same file.

The engine run is the whole ``eng.datasets.upload`` with a 20-column template (sniffing, parsing, type
conversion, defaults, problem report, Parquet write, hashing, database rows). Each measurement runs in
a fresh child process so its peak memory (max RSS) is its own. Targets: time ratio ≤ 1.5, peak ≤ 3 GB.

    python bench/ingest.py [--rows 1000000] [--repeat 1] [--workdir /tmp/dataml-bench-ingest]

The generated CSV is cached in the work directory (keyed by row count), never in the repository.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv
import pyarrow.parquet as pq

sys.path[0] = str(Path(__file__).resolve().parents[1])  # repo root, not bench/ (bench/shap.py shadows shap)

from bench.common import peak_bytes, verdict
from core import ColumnSpec, Engine

TARGET_RATIO, TARGET_PEAK_GB = 1.5, 3.0
COLUMNS: list[ColumnSpec] = [
    *(ColumnSpec(f"int_{i}", "integer") for i in range(4)),
    *(ColumnSpec(f"float_{i}", "float") for i in range(4)),
    ColumnSpec("float_sparse", "float", default=0.0, required=False),  # 1% missing: defaults applied
    *(ColumnSpec(f"text_{i}", "string") for i in range(3)),
    *(ColumnSpec(f"cat_{i}", "category") for i in range(3)),
    *(ColumnSpec(f"flag_{i}", "boolean") for i in range(2)),
    *(ColumnSpec(f"day_{i}", "date") for i in range(2)),
    ColumnSpec("moment", "datetime"),
]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write the 20-column CSV with pyarrow (fast, deterministic)."""
    rng = np.random.default_rng(seed)
    words = pa.array(["north", "south", "east", "west", "centre", "harbour", "airport", "station", "park", "mall"])
    base_day = np.datetime64("2015-01-01")
    arrays: dict[str, pa.Array] = {}
    for i in range(4):
        arrays[f"int_{i}"] = pa.array(rng.integers(-1_000_000, 1_000_000, rows))
    for i in range(4):
        arrays[f"float_{i}"] = pa.array(rng.normal(100.0, 25.0, rows).round(4))
    sparse = rng.normal(0.0, 1.0, rows).round(6)
    arrays["float_sparse"] = pa.array(sparse, mask=rng.random(rows) < 0.01)
    for i in range(3):
        numbers = pa.array(rng.integers(0, 10_000_000, rows)).cast(pa.string())
        arrays[f"text_{i}"] = pc.binary_join_element_wise(f"item-{i}-", numbers, "")
    for i in range(3):
        arrays[f"cat_{i}"] = words.take(pa.array(rng.integers(0, len(words), rows)))
    for i in range(2):
        arrays[f"flag_{i}"] = pa.array(rng.random(rows) < 0.5)
    for i in range(2):
        arrays[f"day_{i}"] = pa.array(base_day + rng.integers(0, 3650, rows).astype("timedelta64[D]"))
    seconds = rng.integers(0, 3650 * 86_400, rows).astype("timedelta64[s]")
    arrays["moment"] = pa.array(base_day.astype("datetime64[s]") + seconds)
    tmp = path.with_suffix(".partial")
    pv.write_csv(pa.table(arrays), tmp)
    os.replace(tmp, path)


def run_baseline(csv_path: str, out_dir: str) -> tuple[float, int]:
    """pyarrow's CSV reader straight into a Parquet file: (seconds, peak RSS bytes)."""
    start = time.perf_counter()
    table = pv.read_csv(csv_path)
    pq.write_table(table, Path(out_dir) / "baseline.parquet")
    return time.perf_counter() - start, peak_bytes()


def run_engine(csv_path: str, out_dir: str) -> tuple[float, int]:
    """The engine's upload of the same file with the template: (seconds, peak RSS bytes)."""
    home = Path(tempfile.mkdtemp(prefix="engine-", dir=out_dir))
    engine = Engine.open(home=home, runner="inline")
    admin = engine.users.bootstrap_admin(
        username="bench",
        password="bench-pass-123",  # noqa: S106
        email="bench@example.com",
    )
    template = engine.templates.create(admin, "bench", COLUMNS)
    start = time.perf_counter()
    dataset = engine.datasets.upload(
        admin, name="bench", filename="bench.csv", data=Path(csv_path), template_id=template.id
    )
    elapsed = time.perf_counter() - start
    assert dataset.status == "validated", dataset.validation.problem_counts
    engine.close()
    shutil.rmtree(home)
    return elapsed, peak_bytes()


def measure(function: object, csv_path: Path, out_dir: Path) -> tuple[float, int]:
    """Run ``function`` in a fresh child process (its own peak memory)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, str(csv_path), str(out_dir)).result()  # type: ignore[arg-type]


def prepared_csv(workdir: Path, rows: int) -> Path:
    """The generated CSV of ``rows`` rows (cached in ``workdir``), with the settings an upload of it needs."""
    os.environ.setdefault("DATAML_BCRYPT_ROUNDS", "4")
    os.environ["DATAML_MAX_UPLOAD_MB"] = "10000"
    workdir.mkdir(parents=True, exist_ok=True)
    csv_path = workdir / f"mixed-{rows}.csv"
    if not csv_path.exists():
        start = time.perf_counter()
        generate(csv_path, rows)
        print(f"generated {csv_path} in {time.perf_counter() - start:.1f} s")
    print(f"input: {rows:,} rows × {len(COLUMNS)} columns, {csv_path.stat().st_size / 1e6:,.1f} MB CSV")
    return csv_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side (the median is reported)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "dataml-bench-ingest")
    args = parser.parse_args()
    csv_path = prepared_csv(args.workdir, args.rows)

    base_times, engine_times, base_peak, engine_peak = [], [], 0, 0
    for _ in range(args.repeat):
        seconds, peak = measure(run_baseline, csv_path, args.workdir)
        base_times.append(seconds)
        base_peak = max(base_peak, peak)
        seconds, peak = measure(run_engine, csv_path, args.workdir)
        engine_times.append(seconds)
        engine_peak = max(engine_peak, peak)
    base, ours = statistics.median(base_times), statistics.median(engine_times)
    print(f"baseline pyarrow read_csv + write_table: {base:.2f} s, peak RSS {base_peak / 1e9:.2f} GB")
    print(f"engine datasets.upload (template, validated): {ours:.2f} s, peak RSS {engine_peak / 1e9:.2f} GB")
    verdict(ours, base, engine_peak, TARGET_RATIO, TARGET_PEAK_GB)


if __name__ == "__main__":
    main()
