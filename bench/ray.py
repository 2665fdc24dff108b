"""Process runner vs Ray runner (issue 18), in the same run on the same workspace: N batch predictions of 1,000
rows (an iris model), submitted one after another, and one forecast of 200 monthly series (a forecaster trained
once, inline, beforehand; the forecast refits every series' chosen model).

Per-job overhead = what the caller waits (submit until ``jobs.wait`` sees it finished) minus the task's own time
(the row's ``started_at`` to ``finished_at``): starting a worker, importing, claiming, polling. The Ray runner
uses a local Ray instance with this machine's cores; each runner runs one warm-up job first (not counted).
Targets: Ray's p50 overhead ≤ 1 s above the process runner's; the forecast no slower on Ray (ratio ≤ 1.0).

    RAY_AUTH_MODE=disabled python bench/ray.py [--jobs 50] [--series 200] [--points 48]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # repo root, not bench/ (bench/shap.py shadows shap)

from bench.forecast import HORIZON, make_series
from core import Actor, Engine, Job, TrainRequest

OVERHEAD_TARGET_S = 1.0


def timed(engine: Engine, actor: Actor, submit: Callable[[], Job]) -> tuple[float, float]:
    """(seconds from the submitting call until ``jobs.wait`` sees the job finished, overhead beyond the task's own
    time) for one job."""
    started = time.perf_counter()
    job = engine.jobs.wait(actor, submit().id, timeout=900, poll_s=0.02)
    waited = time.perf_counter() - started
    if job.status != "succeeded" or job.started_at is None or job.finished_at is None:
        raise SystemExit(f"{job.kind} failed on the {engine.settings.job_runner} runner: {job.error}")
    return waited, waited - (job.finished_at - job.started_at).total_seconds()


def batches(engine: Engine, actor: Actor, model_id: str, data: bytes, count: int) -> list[tuple[float, float]]:
    """``count`` batch predictions one after another, after one warm-up."""
    predict = engine.inference.predict_batch
    times = [
        timed(engine, actor, lambda: predict(actor, model_id, data=data, filename="rows.csv")) for _ in range(count + 1)
    ]
    return times[1:]


def forecast(engine: Engine, actor: Actor, model_id: str) -> float:
    """Seconds for one forecast job of every series (no warm-up: it would refit every series too)."""
    return timed(engine, actor, lambda: engine.forecasts.submit(actor, model_id, steps=HORIZON))[0]


def p50(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--series", type=int, default=200)
    parser.add_argument("--points", type=int, default=48, help="months per series (48: 4 years)")
    parser.add_argument("--ray-first", action="store_true", help="run the Ray runner's part first")
    args = parser.parse_args()
    os.environ.setdefault("DATAML_BCRYPT_ROUNDS", "4")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "workspace"
        setup = Engine.open(home=home, runner="inline")
        admin = setup.users.bootstrap_admin(username="bench", password=secrets.token_urlsafe(16), email="b@x.org")
        iris = next(d for d in setup.datasets.load_samples(admin) if d.name == "iris")
        request = TrainRequest(dataset_id=iris.id, name="iris", target="species", time_budget_s=2, explain=False)
        model_id = str((setup.training.submit(admin, request).result or {})["model_id"])
        rows = setup.datasets.frame(admin, iris.id).drop(columns=["species"]).sample(1000, replace=True, random_state=0)
        data = rows.to_csv(index=False).encode()
        series = make_series(args.series, args.points)
        stores = setup.datasets.upload(
            admin, name="stores", filename="s.csv", data=series.to_csv(index=False, date_format="%Y-%m-%d").encode()
        )
        fit = TrainRequest(
            dataset_id=stores.id,
            name="stores",
            target="sales",
            problem_type="forecast",
            time_column="month",
            series_column="store",
            horizon=HORIZON,
        )
        forecaster = str((setup.training.submit(admin, fit).result or {})["model_id"])
        setup.close()

        results = {}
        for runner in ("ray", "process") if args.ray_first else ("process", "ray"):
            engine = Engine.open(home=home, runner=runner)
            results[runner] = (batches(engine, admin, model_id, data, args.jobs), forecast(engine, admin, forecaster))
            time.sleep(2)  # the last child's exit reaches the process runner's watcher before the workspace goes
            engine.close()

    print(f"{args.jobs} batch predictions of 1,000 rows each, one after another; load {os.getloadavg()[0]:.1f}")
    for runner, (times, seconds) in results.items():
        waited, overhead = [t[0] for t in times], [t[1] for t in times]
        print(
            f"  {runner:>7}: wait p50 {p50(waited):.2f} s, overhead p50 {p50(overhead):.2f} s "
            f"(p95 {sorted(overhead)[int(0.95 * (len(overhead) - 1))]:.2f} s); forecast of {args.series} series "
            f"{seconds:.1f} s"
        )
    difference = p50([t[1] for t in results["ray"][0]]) - p50([t[1] for t in results["process"][0]])
    ratio = p50([t[0] for t in results["ray"][0]]) / p50([t[0] for t in results["process"][0]])
    print(
        f"Ray − process overhead p50: {difference:+.2f} s (target ≤ +{OVERHEAD_TARGET_S:.0f} s) "
        f"{'OK' if difference <= OVERHEAD_TARGET_S else 'OVER TARGET'}; batch wait ratio Ray / process {ratio:.2f}"
    )
    forecast_ratio = results["ray"][1] / results["process"][1]
    print(
        f"forecast Ray / process: {forecast_ratio:.2f} (target ≤ 1.0) "
        f"{'OK' if forecast_ratio <= 1.0 else 'OVER TARGET'}"
    )


if __name__ == "__main__":
    main()
