"""Feature importance through the engine against ``shap.TreeExplainer`` run directly on the same sample.

A 100,000 × 30 classification table is uploaded and a gradient-boosting model trained through the engine
(inline jobs). Then, alternately and best of ``--repeat``:

- engine: ``eng.models.explain(actor, model_id, sample_rows=2000)`` — the whole job: read the training data,
  sample it, SHAP on the original columns, write the per-row values as Parquet, update the model;
- direct: transform the same 2,000 rows with the same fitted pipeline and call ``shap.TreeExplainer(model)
  .shap_values`` — nothing stored.

Both start with the pipeline in memory and a new explainer. The cold load of the skops file (which a job in its
own process pays once) is printed separately. Targets: engine ≤ 1.3 × direct and ≤ 10 s.

Run: ``python bench/shap.py [--rows 100000] [--sample 2000] [--repeat 3]``
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, sys.path[0] is bench/, where this very file would shadow the shap package: use the repo root.
sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import io
import tempfile
import time

import numpy as np
import pandas as pd
import shap
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_limits

from core import Engine
from core.entities import TrainRequest
from core.ml.explain import _CACHE
from core.services.models import _load_pipeline

PASSWORD = "bench-pass-123"  # noqa: S105 - a throw-away workspace


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    X, y = make_classification(n_samples=args.rows, n_features=30, n_informative=12, random_state=0)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(30)]).assign(target=np.where(y == 1, "yes", "no"))
    parquet = io.BytesIO()
    frame.to_parquet(parquet, index=False)

    with tempfile.TemporaryDirectory() as home:
        eng = Engine.open(home=home, runner="inline")
        admin = eng.users.bootstrap_admin(username="bench", password=PASSWORD, email="bench@example.com")
        dataset = eng.datasets.upload(admin, name="synthetic", filename="synthetic.parquet", data=parquet.getvalue())
        started = time.perf_counter()
        job = eng.training.submit(
            admin, TrainRequest(dataset_id=dataset.id, name="gbm", target="target", time_budget_s=5, explain=False)
        )
        model = eng.models.get(admin, job.result["model_id"])
        print(
            f"trained {model.details.chosen_family} on {args.rows:,} × 30 in "
            f"{time.perf_counter() - started:.1f} s (ROC AUC {model.metrics['roc_auc']:.3f})"
        )
        assert model.details.chosen_family == "HistGradientBoosting", "the bench needs a gradient-boosting model"

        _load_pipeline.cache_clear()
        started = time.perf_counter()
        pipeline = eng.models.pipeline(admin, model.id)
        load_s = time.perf_counter() - started
        features = [f"f{i}" for i in range(30)]
        sample = eng.datasets.frame(admin, dataset.id).sample(n=args.sample, random_state=0)  # as the job samples

        engine_s, direct_s = [], []
        with threadpool_limits(limits=1):  # a job runs single-threaded; so does the direct call
            for _ in range(args.repeat):
                _CACHE.clear()
                started = time.perf_counter()
                done = eng.models.explain(admin, model.id, sample_rows=args.sample)
                engine_s.append(time.perf_counter() - started)
                assert done.status == "succeeded", done.error_details
                started = time.perf_counter()
                Xt = pipeline[:-1].transform(sample[features])
                direct = shap.TreeExplainer(pipeline[-1]).shap_values(Xt)
                direct_s.append(time.perf_counter() - started)

        stored = eng.models.importance(admin, model.id).values.pivot(index="row", columns="feature", values="shap")
        assert np.allclose(stored.loc[sample.index + 1, features].to_numpy(), direct), "different SHAP values"
        best_engine, best_direct = min(engine_s), min(direct_s)
        print(
            f"SHAP importance of {args.sample:,} rows: engine job {best_engine:.2f} s, direct TreeExplainer "
            f"{best_direct:.2f} s, ratio {best_engine / best_direct:.2f} (target ≤ 1.3 and ≤ 10 s)"
        )
        print(
            f"  all runs: engine {', '.join(f'{s:.2f}' for s in engine_s)} s; "
            f"direct {', '.join(f'{s:.2f}' for s in direct_s)} s"
        )
        print(
            f"  a job in a fresh process also loads the skops model once: {load_s:.2f} s "
            f"(engine + load = {(best_engine + load_s) / best_direct:.2f} × direct)"
        )
        eng.close()


if __name__ == "__main__":
    main()
