"""Problems benchmark: 4 algorithms × 5 mini-batches on scikit-learn's digits (1,797 rows, 64 pixel columns, 10
classes) through ``eng.problems`` (20 learning tasks as jobs: claim, read the mini-batches, fit, score on the test
data and on every training mini-batch, save the model, the test predictions and the registry's champion), against
training the same 20 models directly with scikit-learn in the same run: the same estimators and settings, fitted on
exactly the rows each task trained on (its start's mini-batches plus its own), then the same scores a task reports
(the test rows, each training mini-batch): what is left is the orchestration (jobs, reading the mini-batches,
the schema and preprocessing, the skops model files, test predictions, database rows, the champion alias).
Target: total wall time ratio ≤ 1.3 (orchestration overhead small). One thread per fit on both sides.

    python bench/problems.py [--runner inline|process] [--batch 300] [--workdir /tmp/dataml-bench-problems]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
# Not this folder: a script here named like a library (bench/shap.py) would shadow it for every import.
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

from core import ColumnSpec, Engine
from core.ml.learning import candidate
from core.ml.persistence import skops_bytes

TARGET_RATIO = 1.3
PASSWORD = "bench-password-1"  # noqa: S105 - a throw-away workspace's administrator
TEST_ROWS = 297
ALGORITHMS: dict[str, tuple[str, dict[str, Any]]] = {  # name -> (ALGORITHMS family, settings)
    "boosting": ("gradient_boosting", {"max_iter": 100}),
    "forest": ("random_forest", {"n_estimators": 200, "max_leaf_nodes": None}),
    "extra": ("extra_trees", {"n_estimators": 200, "max_leaf_nodes": None}),
    "logistic": ("linear", {"C": 0.1, "max_iter": 2000}),
}


def _digits() -> pd.DataFrame:
    data = load_digits(as_frame=True)
    frame = data.frame.rename(columns={"target": "digit"})
    frame["digit"] = frame["digit"].map(lambda d: f"d{d}")  # a label, not a number
    return frame.sample(frac=1.0, random_state=0).reset_index(drop=True)


def _orchestrated(engine: Engine, frame: pd.DataFrame, batch: int) -> tuple[float, str]:
    admin = engine.users.bootstrap_admin(username="admin", password=PASSWORD, email="a@example.com")
    columns = [ColumnSpec(c, "float") for c in frame.columns[:-1]] + [ColumnSpec("digit", "string")]
    template = engine.templates.create(admin, "digits", columns)

    def upload(name: str, rows: pd.DataFrame) -> str:
        data = rows.to_csv(index=False).encode()
        return engine.datasets.upload(admin, name=name, filename=f"{name}.csv", data=data, template_id=template.id).id

    test, train = upload("test", frame[:TEST_ROWS]), upload("train", frame[TEST_ROWS:])
    problem = engine.problems.create(
        admin,
        name="Digits",
        template_id=template.id,
        target="digit",
        problem_type="classification",
        metric="accuracy",
        size_train_dataset=batch,
        test_dataset=[test],
    )
    engine.problems.add_data(admin, [train], [problem.id])
    started, cpu = time.perf_counter(), time.process_time()
    for name, (family, settings) in ALGORITHMS.items():
        engine.problems.add_algo(admin, problem.id, name, algorithm=family, settings=settings)
    while any(not t.finished for t in engine.problems.learnuplets(admin, {"problem": problem.id})):
        time.sleep(0.2)
    print(f"orchestrated CPU time (this process: the inline runner's jobs): {time.process_time() - cpu:.2f} s")
    return time.perf_counter() - started, problem.id


def _direct(engine: Engine, problem_id: str, frame: pd.DataFrame) -> tuple[float, float, float, list[float]]:
    """The same 20 models with scikit-learn alone: each task's rows and its algorithm's estimator (linear models
    behind the imputer and scaler the product gives them), then the same scores a task reports (accuracy on the
    test rows and on each of its training mini-batches), and apart, what writing each model as a skops file takes
    (the product keeps every task's model). (fit, scoring, skops seconds, test accuracies)."""
    admin = engine.users.authenticate("admin", PASSWORD)
    algos = {a.id: a for a in engine.problems.algos(admin, {"problem": problem_id})}
    tasks = engine.problems.learnuplets(admin, {"problem": problem_id})
    train = frame[TEST_ROWS:].reset_index(drop=True)
    X_test, y_test = frame[:TEST_ROWS].drop(columns="digit").to_numpy(), frame[:TEST_ROWS]["digit"].to_numpy()
    scores, fitting, scoring, saving, cpu = [], 0.0, 0.0, 0.0, time.process_time()
    for task in tasks:  # one thread, as each learning task (a job) has
        parts = [train.iloc[b.start : b.stop] for b in task.train_data]
        rows = pd.concat(parts)
        algo = algos[task.algo_id]
        model = candidate(algo.family or "", "classification", algo.settings).estimator("classification")
        if algo.family == "linear":
            model = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), model)
        with threadpool_limits(limits=1):
            started = time.perf_counter()
            model.fit(rows.drop(columns="digit").to_numpy(), rows["digit"].to_numpy())
            fitted = time.perf_counter()
            scores.append(float(np.mean(model.predict(X_test) == y_test)))
            for part in parts:
                np.mean(model.predict(part.drop(columns="digit").to_numpy()) == part["digit"].to_numpy())
        scored = time.perf_counter()
        fitting, scoring = fitting + fitted - started, scoring + scored - fitted
        cpu_saving = time.process_time()
        skops_bytes(model)
        saving, cpu = saving + time.perf_counter() - scored, cpu + time.process_time() - cpu_saving
    print(f"direct CPU time (without the skops files): {time.process_time() - cpu:.2f} s")
    return fitting, scoring, saving, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runner", default="inline", choices=["inline", "process"])
    parser.add_argument("--batch", type=int, default=300, help="rows per mini-batch (1,500 training rows: 5)")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    home = args.workdir or Path(tempfile.mkdtemp(prefix="dataml-bench-problems-"))
    shutil.rmtree(home, ignore_errors=True)
    frame = _digits()
    engine = Engine.open(home=home, runner=args.runner)
    try:
        ours, problem_id = _orchestrated(engine, frame, args.batch)
        fitting, scoring, saving, scores = _direct(engine, problem_id, frame)
        admin = engine.users.authenticate("admin", PASSWORD)
        tasks = engine.problems.learnuplets(admin, {"problem": problem_id})
        board = engine.problems.leaderboard(admin, problem_id)
    finally:
        engine.close()
        shutil.rmtree(home, ignore_errors=True)
    failed = [t for t in tasks if t.status != "done"]
    print(f"digits: {len(frame) - TEST_ROWS} training rows in mini-batches of {args.batch}, {TEST_ROWS} test rows")
    print(f"tasks: {len(tasks)} ({len(failed)} failed), runner {args.runner}")
    for entry in board.entries:
        print(
            f"  {entry.algo_name:9s} best accuracy {entry.best_perf:.3f}  "
            f"history {[round(p or 0, 3) for _, p in entry.history]}"
        )
    same = sum(abs((t.perf or 0) - s) < 1e-9 for t, s in zip(tasks, scores, strict=True))
    print(f"direct scikit-learn scores equal to the tasks' perf: {same} of {len(tasks)}")
    base = fitting + scoring
    ratio = ours / base
    print(f"direct scikit-learn: fits {fitting:.2f} s + the same scoring {scoring:.2f} s = {base:.2f} s")
    print(
        f"orchestrated: {ours:.2f} s; ratio {ratio:.2f} (target ≤ {TARGET_RATIO}) "
        f"{'OK' if ratio <= TARGET_RATIO else 'OVER TARGET'}; against the fits alone {ours / fitting:.2f}"
    )
    print(
        f"writing the 20 models as skops files alone takes {saving:.2f} s; with it the baseline is "
        f"{base + saving:.2f} s and the ratio {ours / (base + saving):.2f}"
    )


if __name__ == "__main__":
    main()
