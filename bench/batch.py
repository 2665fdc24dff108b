"""Batch prediction benchmark: N rows through ``eng.inference.predict_batch`` (inline runner) to a CSV result
file, against the plain baseline with the same saved model: ``pd.read_parquet`` + ``pipeline.predict`` +
``DataFrame.to_csv`` of the same rows.

The engine run is the whole job: schema checks per chunk, scoring with class probabilities, formula
neutralization, the incremental CSV, hashing and the database rows. Each side runs in a fresh child process so
its peak memory (max RSS) is its own. Targets: time ratio ≤ 2, engine peak ≤ 2 GB.

    python bench/batch.py [--rows 1000000] [--repeat 1] [--workdir /tmp/dataml-bench-batch]

The generated data and the trained model are cached in the work directory (keyed by row count).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
# Not this folder: a script here named like a library (bench/shap.py) would shadow it for every import.
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

from bench.common import peak_bytes, verdict
from core import Engine
from core.entities import TrainRequest

TARGET_RATIO, TARGET_PEAK_GB = 2.0, 2.0
USER, PASSWORD = "bench", "bench-pass-123"  # a throwaway workspace


def customers(rows: int, seed: int, target: bool = True) -> pd.DataFrame:
    """Mixed columns (numbers, integers, two categories, a boolean, a date, an id the model ignores) whose
    ``churn`` label has interactions a tree model finds."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f"num_{i}": rng.normal(0.0, 1.0, rows).round(4) for i in range(6)})
    frame["visits"] = rng.poisson(4, rows)
    frame["tenure_months"] = rng.integers(1, 120, rows)
    frame["plan"] = rng.choice(np.array(["basic", "plus", "pro", "team", "enterprise"]), rows)
    frame["region"] = rng.choice(np.array([f"region-{i:02d}" for i in range(20)]), rows)
    frame["newsletter"] = rng.random(rows) < 0.3
    frame["joined"] = np.datetime64("2015-01-01") + rng.integers(0, 3650, rows).astype("timedelta64[D]")
    frame.insert(0, "customer_id", [f"C{n:08d}" for n in range(rows)])
    if target:
        score = (
            np.sign(frame["num_0"]) * np.sign(frame["num_1"])
            + 0.5 * frame["num_2"]
            + (frame["plan"] == "basic")
            - 0.02 * frame["tenure_months"]
            + rng.normal(0, 0.5, rows)
        )
        frame["churn"] = np.where(score > 0, "yes", "no")
    return frame


def workspace(workdir: Path, rows: int, budget: float) -> dict[str, str]:
    """A workspace with the scoring dataset and a model trained on other rows (cached between runs)."""
    home, state = workdir / f"home-{rows}", workdir / f"home-{rows}.json"
    if state.exists():
        return dict(json.loads(state.read_text()))
    shutil.rmtree(home, ignore_errors=True)  # an interrupted earlier set-up
    eng = Engine.open(home=home, runner="inline")
    admin = eng.users.bootstrap_admin(username=USER, password=PASSWORD, email="bench@example.com")
    train = eng.datasets.upload(
        admin, name="train", filename="train.parquet", data=customers(20_000, seed=1).to_parquet(index=False)
    )
    score = eng.datasets.upload(
        admin,
        name="score",
        filename="score.parquet",
        data=customers(rows, seed=2, target=False).to_parquet(index=False),
    )
    job = eng.training.submit(
        admin,
        TrainRequest(
            dataset_id=train.id,
            name="churn",
            target="churn",
            id_column="customer_id",
            time_budget_s=budget,
            explain=False,
        ),
    )
    assert job.status == "succeeded", job.error
    family = eng.models.get(admin, job.result["model_id"]).details.chosen_family
    ids = {"home": str(home), "model": job.result["model_id"], "dataset": score.id, "family": family}
    eng.close()
    state.write_text(json.dumps(ids))
    return ids


def _open(ids: dict[str, str]) -> tuple[Engine, Any]:
    eng = Engine.open(home=ids["home"], runner="inline")
    return eng, eng.users.authenticate(USER, PASSWORD)


def run_engine(ids: dict[str, str]) -> tuple[float, int, int]:
    """The batch job from submit to the registered CSV: (seconds, peak RSS bytes, CSV bytes)."""
    eng, actor = _open(ids)
    start = time.perf_counter()
    job = eng.inference.predict_batch(actor, ids["model"], dataset_id=ids["dataset"])
    elapsed = time.perf_counter() - start
    assert job.status == "succeeded", job.error
    size = eng.files.get(actor, job.result["file_id"]).size
    eng.files.delete(actor, job.result["file_id"])
    return elapsed, peak_bytes(), size


def run_baseline(ids: dict[str, str]) -> tuple[float, int, int]:
    """The same model's ``predict`` and pandas' ``to_csv`` on the same rows (model loaded before timing)."""
    eng, actor = _open(ids)
    pipeline = eng.models.pipeline(actor, ids["model"])
    path, out = eng.datasets.path(actor, ids["dataset"]), Path(ids["home"]) / "baseline.csv"
    start = time.perf_counter()
    frame = pd.read_parquet(path)
    frame["prediction"] = pipeline.predict(frame)
    frame.to_csv(out, index=False)
    elapsed = time.perf_counter() - start
    size = out.stat().st_size
    out.unlink()
    return elapsed, peak_bytes(), size


def in_child(function: Any, *args: Any) -> Any:
    """Run ``function`` in a fresh process: its peak memory is its own."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side (the median is reported)")
    parser.add_argument("--budget", type=float, default=20.0, help="training time budget (seconds)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "dataml-bench-batch")
    args = parser.parse_args()
    os.environ.setdefault("DATAML_BCRYPT_ROUNDS", "4")
    os.environ["DATAML_MAX_UPLOAD_MB"] = "10000"
    args.workdir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    ids = in_child(workspace, args.workdir, args.rows, args.budget)
    print(
        f"workspace ready in {time.perf_counter() - start:.1f} s: {args.rows:,} rows × 13 columns, "
        f"model {ids['family']}"
    )

    base_times, engine_times, base_peak, engine_peak, sizes = [], [], 0, 0, (0, 0)
    for _ in range(args.repeat):
        seconds, peak, base_size = in_child(run_baseline, ids)
        base_times.append(seconds)
        base_peak = max(base_peak, peak)
        seconds, peak, engine_size = in_child(run_engine, ids)
        engine_times.append(seconds)
        engine_peak = max(engine_peak, peak)
        sizes = (base_size, engine_size)
    base, ours = statistics.median(base_times), statistics.median(engine_times)
    print(
        f"baseline read_parquet + predict + to_csv: {base:.2f} s, peak RSS {base_peak / 1e9:.2f} GB, "
        f"CSV {sizes[0] / 1e6:,.0f} MB"
    )
    print(
        f"engine inference.predict_batch (+ probabilities): {ours:.2f} s, peak RSS {engine_peak / 1e9:.2f} GB, "
        f"CSV {sizes[1] / 1e6:,.0f} MB"
    )
    verdict(ours, base, engine_peak, TARGET_RATIO, TARGET_PEAK_GB)


if __name__ == "__main__":
    main()
