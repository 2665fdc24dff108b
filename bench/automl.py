"""Our automatic training against FLAML's AutoML and a default HistGradientBoosting, same budget, same rows.

Public data sets that installed packages ship: scikit-learn's breast_cancer (binary), digits (multiclass)
and diabetes (regression); statsmodels' fair (binary, 6,366 rows), anes96 (7 classes) and randhie
(regression, 20,190 rows). Ours goes through the engine: each table is uploaded as a dataset and trained with
``eng.training.submit`` (inline runner, one core as the web server's jobs use, explanations off), which makes its
own stratified 80/20 holdout; FLAML and the default baseline are fitted on exactly its training rows and every
system is scored on exactly its held-out rows (``eng.models.holdout``), with its selection metric (ROC AUC for
binary, log loss for multiclass, R² for regression). Everything runs on one thread. ``--seeds`` varies FLAML
and the baseline; the engine trains with its fixed random state.

Target: ours ≥ the better of FLAML and the baseline on average (mean ratio ≥ 1; for log loss, lower is
better, so the ratio is theirs / ours).

Run: ``python bench/automl.py [--budget 30] [--seeds 1] [--datasets breast_cancer,wine]``
(needs ``flaml[automl]``: flaml, lightgbm, xgboost; installed for this benchmark only).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, sys.path[0] is bench/, where bench/shap.py would shadow the shap package: use the repo root.
sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import io
import os
import secrets
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn import datasets
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from core import Engine
from core.entities import TrainRequest
from core.ml.metrics import GREATER_IS_BETTER, score


def _sklearn(loader: Callable[..., Any]) -> Callable[[], pd.DataFrame]:
    return lambda: loader(as_frame=True).frame


def _fair() -> pd.DataFrame:
    """statsmodels' 1974 survey of 6,366 women: did she have an affair (binary)."""
    from statsmodels.datasets import fair

    data = fair.load_pandas().data
    return data.drop(columns="affairs").assign(target=(data["affairs"] > 0).astype(int))


def _anes96() -> pd.DataFrame:
    """statsmodels' 1996 US election study, 944 voters: party identification on a 7-point scale (multiclass)."""
    from statsmodels.datasets import anes96

    data = anes96.load_pandas().data
    return data.drop(columns=["PID", "vote", "logpopul"]).assign(target=data["PID"].astype(int))


def _randhie() -> pd.DataFrame:
    """statsmodels' RAND health insurance experiment, 20,190 people: number of doctor visits (regression)."""
    from statsmodels.datasets import randhie

    data = randhie.load_pandas().data
    return data.drop(columns="mdvis").assign(target=data["mdvis"].astype(float))


# Wine (178 rows, a 36-row holdout) is left out of the default set: its held-out log loss is ~0.01 and the
# ratio between two systems swings between 0.5 and 2 with one borderline row. Pass --datasets to include it.
LOADERS: dict[str, Callable[[], pd.DataFrame]] = {
    "breast_cancer": _sklearn(datasets.load_breast_cancer),
    "digits": _sklearn(datasets.load_digits),
    "diabetes": _sklearn(datasets.load_diabetes),
    "fair": _fair,
    "anes96": _anes96,
    "randhie": _randhie,
    "wine": _sklearn(datasets.load_wine),
}
DEFAULT_SETS = ("breast_cancer", "digits", "diabetes", "fair", "anes96", "randhie")


class Ours:
    """Our auto-training through the engine: upload as Parquet, ``eng.training.submit`` (inline runner, one core,
    no explanations), then the model's own held-out predictions (``eng.models.holdout``)."""

    def __init__(self, home: Path) -> None:
        os.environ.setdefault("DATAML_BCRYPT_ROUNDS", "4")
        self.engine = Engine.open(home=home, runner="inline")
        self.admin = self.engine.users.bootstrap_admin(
            username="bench", password=secrets.token_urlsafe(16), email="bench@example.com"
        )

    def run(self, name: str, df: pd.DataFrame, target: str, budget: float) -> tuple[pd.DataFrame, str, tuple]:
        """(held-out frame indexed like ``df``, selection metric, classes)."""
        data = io.BytesIO()
        df.to_parquet(data, index=False)
        dataset = self.engine.datasets.upload(self.admin, name=name, filename=f"{name}.parquet", data=data.getvalue())
        job = self.engine.training.submit(
            self.admin,
            TrainRequest(dataset_id=dataset.id, name=name, target=target, time_budget_s=budget, explain=False),
        )
        if job.status != "succeeded" or not job.result:
            raise SystemExit(f"{name}: training failed: {job.error}")
        model = self.engine.models.get(self.admin, job.result["model_id"])
        holdout = self.engine.models.holdout(self.admin, model.id)
        holdout.index = holdout["row"].to_numpy() - 1  # 1-based rows of the uploaded table
        return holdout, model.details.cv_metric, tuple(model.schema.classes if model.schema else ())


def _output(model: Any, X: pd.DataFrame, classes: tuple) -> np.ndarray:
    """Probabilities in ``classes`` order (classification) or predictions (regression)."""
    if not classes:
        return np.asarray(model.predict(X))
    proba = np.asarray(model.predict_proba(X))
    order = [list(model.classes_).index(c) for c in classes]
    return proba[:, order]


def run_flaml(train: pd.DataFrame, target: str, budget: float, metric: str, classification: bool, seed: int) -> Any:
    from flaml import AutoML

    automl = AutoML()
    automl.fit(
        train.drop(columns=target),
        train[target],
        task="classification" if classification else "regression",
        metric=metric,
        time_budget=budget,
        n_jobs=1,
        seed=seed,
        verbose=0,
    )
    return automl


def run_default(train: pd.DataFrame, target: str, classification: bool, seed: int) -> Any:
    cls = HistGradientBoostingClassifier if classification else HistGradientBoostingRegressor
    return cls(random_state=seed).fit(train.drop(columns=target), train[target])


def bench(ours_engine: Ours, name: str, budget: float, seed: int) -> dict[str, Any]:
    df = LOADERS[name]()
    target = "target"
    started = time.perf_counter()
    holdout, metric, classes = ours_engine.run(f"{name}-{seed}", df, target, budget)
    ours_s = time.perf_counter() - started
    train, test = df.drop(index=holdout.index), df.loc[holdout.index]
    y_true = test[target].to_numpy()
    ours = score(
        metric,
        holdout["y_true"].to_numpy(),
        holdout[_probability_columns(classes)].to_numpy() if classes else holdout["y_pred"].to_numpy(),
        classes,
    )
    started = time.perf_counter()
    flaml_model = run_flaml(train, target, budget, metric, bool(classes), seed)
    flaml_s = time.perf_counter() - started
    flaml = score(metric, y_true, _output(flaml_model, test.drop(columns=target), classes), classes)
    default = score(
        metric,
        y_true,
        _output(run_default(train, target, bool(classes), seed), test.drop(columns=target), classes),
        classes,
    )
    better = max(flaml, default) if GREATER_IS_BETTER[metric] else min(flaml, default)
    ratio = ours / better if GREATER_IS_BETTER[metric] else better / ours
    return {
        "dataset": name,
        "seed": seed,
        "rows": len(df),
        "metric": metric,
        "ours": ours,
        "flaml": flaml,
        "default_hgb": default,
        "ratio_vs_better": ratio,
        "ours_s": ours_s,
        "flaml_s": flaml_s,
    }


def _probability_columns(classes: tuple) -> list[str]:
    return [f"probability_{c}" for c in classes]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget", type=float, default=30.0)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--datasets", default=",".join(DEFAULT_SETS))
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    rows = []
    with threadpool_limits(limits=1), tempfile.TemporaryDirectory() as tmp:
        ours = Ours(Path(tmp) / "workspace")
        for name in args.datasets.split(","):
            for seed in range(args.seeds):
                rows.append(bench(ours, name, args.budget, seed))
                print(pd.DataFrame(rows[-1:]).round(4).to_string(index=False, header=len(rows) == 1), flush=True)
    table = pd.DataFrame(rows)
    print(
        f"\nbudget {args.budget:.0f} s per system and data set; mean ratio vs the better of FLAML and default "
        f"HGB: {table['ratio_vs_better'].mean():.4f} (target ≥ 1)"
    )
    print(table.groupby("dataset")[["ours", "flaml", "default_hgb", "ratio_vs_better"]].mean().round(4).to_string())


if __name__ == "__main__":
    main()
