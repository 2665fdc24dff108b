"""Domain-level check of SHAP speed (the engine-level bench is bench/shap.py).

1. Global importance of a 100,000 × 30 gradient-boosting pipeline via ``core.ml.global_importance`` against
   ``shap.TreeExplainer`` built and run directly on the same, already transformed sample.
   Targets: ≤ 1.3× the direct time, ≤ 10 s in total.
2. ``core.ml.explain_one`` (prediction + explanation) for 200 single rows. Target: p95 ≤ 200 ms.

Run: ``python bench/shap_direct_check.py [--rows 100000] [--sample 2000]``
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, sys.path[0] is bench/, where bench/shap.py would shadow the shap package: use the repo root.
sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import time

import numpy as np
import pandas as pd
import shap
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_limits

from core.ml import explain_one, global_importance, infer_schema
from core.ml.candidates import build_pipeline, candidates
from core.ml.explain import _CACHE


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    X, y = make_classification(n_samples=args.rows, n_features=30, n_informative=12, random_state=0)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(30)]).assign(target=y)
    schema = infer_schema(df, "target")
    with threadpool_limits(limits=1):
        started = time.perf_counter()
        pipeline = build_pipeline(schema, candidates("classification")[0]).fit(df[schema.feature_names], df.target)
        print(f"fit {time.perf_counter() - started:.1f} s")
        sample = df.sample(n=args.sample, random_state=0)

        direct_s, ours_s = [], []
        for _ in range(2):  # alternate and keep the best of each: the first SHAP call pays one-off warm-up
            started = time.perf_counter()
            Xt = pipeline[:-1].transform(sample[schema.feature_names])
            direct = shap.TreeExplainer(pipeline[-1]).shap_values(Xt)
            direct_s.append(time.perf_counter() - started)
            _CACHE.clear()
            started = time.perf_counter()
            _, per_row = global_importance(pipeline, schema, sample, max_rows=args.sample)
            ours_s.append(time.perf_counter() - started)
        assert np.allclose(per_row.to_numpy(), direct)
        print(
            f"global importance ({args.sample} rows): ours {min(ours_s):.2f} s, direct TreeExplainer "
            f"{min(direct_s):.2f} s, ratio {min(ours_s) / min(direct_s):.2f} (target ≤ 1.3, ≤ 10 s)"
        )

        _CACHE.clear()
        rows = df.sample(n=args.calls, random_state=1)
        timings = []
        for i in range(args.calls):
            started = time.perf_counter()
            explanation = explain_one(pipeline, schema, rows.iloc[[i]])
            timings.append(time.perf_counter() - started)
            total = explanation.base_value + sum(explanation.contributions.values())
            assert abs(total - explanation.model_output) < 1e-6
        ms = np.array(timings) * 1000
        print(
            f"explain_one x{args.calls}: first {ms[0]:.0f} ms, median {np.median(ms):.1f} ms, "
            f"p95 {np.percentile(ms, 95):.1f} ms (target p95 ≤ 200 ms)"
        )


if __name__ == "__main__":
    main()
