"""Form prediction benchmark: ``eng.inference.predict_one(..., explain=True)`` with a tree model, called for
different cases as the Predict page does (model lookup, input check, scoring, SHAP explanation, log row).

The first call pays for loading the model and building its explainer and is reported apart; the target is on
the warm calls: p95 ≤ 200 ms.

    python bench/predict_one.py [--calls 200] [--workdir /tmp/dataml-bench-batch]

It shares the workspace (data and trained model) of ``bench/batch.py``, built on first use.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# Not this folder: a script here named like a library (bench/shap.py) would shadow it for every import.
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

from bench.batch import PASSWORD, USER, customers, in_child, workspace
from core import Engine

TARGET_P95_MS = 200.0
WORKSPACE_ROWS = 1000  # the scoring dataset is not used here; keep the shared workspace small


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--budget", type=float, default=20.0, help="training time budget (seconds)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "dataml-bench-batch")
    args = parser.parse_args()
    os.environ.setdefault("DATAML_BCRYPT_ROUNDS", "4")
    args.workdir.mkdir(parents=True, exist_ok=True)
    ids = in_child(workspace, args.workdir, WORKSPACE_ROWS, args.budget)
    eng = Engine.open(home=ids["home"], runner="inline")
    actor = eng.users.authenticate(USER, PASSWORD)
    model = eng.models.get(actor, ids["model"])
    cases = customers(args.calls + 1, seed=3, target=False).drop(columns="customer_id")
    rows = [
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in cases.to_dict(orient="records")
    ]
    timings = []
    for row in rows:
        start = time.perf_counter()
        result = eng.inference.predict_one(actor, model.id, row, explain=True)
        timings.append((time.perf_counter() - start) * 1000)
        assert result.contributions and result.base_value is not None
    cold, warm = timings[0], timings[1:]
    p50, p95 = statistics.median(warm), float(np.percentile(warm, 95))
    print(
        f"model {model.label}: {model.details.chosen_family}, {len(model.feature_names)} features, "
        f"explained in {result.output_space}"
    )
    print(f"first call (loads the model, builds the explainer): {cold:.0f} ms")
    print(
        f"{len(warm)} calls: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(warm):.1f} ms "
        f"(target p95 ≤ {TARGET_P95_MS:.0f} ms) {'OK' if p95 <= TARGET_P95_MS else 'OVER TARGET'}"
    )
    eng.close()


if __name__ == "__main__":
    main()
