"""Automatic model selection under a time budget: cross-validate candidates on the training split, refit the
best on it, and report honest metrics on a held-out split that no candidate has seen."""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.utils.class_weight import compute_sample_weight
from threadpoolctl import threadpool_limits

from core.errors import InvalidInput, Problem
from core.ml.candidates import Candidate, build_pipeline, candidates
from core.ml.metrics import GREATER_IS_BETTER, holdout_metrics, probability_column, score, selection_metric
from core.ml.problem import IMBALANCE_RATIO, prepare_target, training_warnings
from core.ml.schema import ModelSchema
from core.progress import NullContext, TaskContext

_FAILURES = (ValueError, ArithmeticError, np.linalg.LinAlgError)
LEADERBOARD_COLUMNS = ["rank", "family", "params", "cv_score", "cv_std", "folds", "fit_time_s", "status"]


@dataclass(frozen=True)
class TrainOutcome:
    """The chosen, refitted pipeline and everything the model summary shows about how it was chosen."""

    pipeline: Pipeline
    leaderboard: pd.DataFrame  # LEADERBOARD_COLUMNS, best first; candidates the budget did not reach last
    metric_name: str  # the cross-validation metric (see metrics.GREATER_IS_BETTER)
    holdout: pd.DataFrame  # y_true, y_pred (+ probability_<class>), indexed like the input rows
    metrics: dict[str, float | None]
    train_rows: int
    holdout_rows: int
    chosen_family: str
    duration_s: float
    warnings: tuple[str, ...] = ()


@dataclass
class _Split:
    X: pd.DataFrame
    y: pd.Series
    weights: np.ndarray | None
    folds: list[tuple[np.ndarray, np.ndarray]]


def predict_proba_aligned(pipeline: Pipeline, X: pd.DataFrame, classes: tuple[Any, ...]) -> np.ndarray:
    """Class probabilities in ``classes`` order (a class missing from a fold's training rows gets 0)."""
    proba = pipeline.predict_proba(X)
    model_classes = list(pipeline.classes_)
    if model_classes == list(classes):
        return proba
    out = np.zeros((len(X), len(classes)))
    for j, label in enumerate(classes):
        if label in model_classes:
            out[:, j] = proba[:, model_classes.index(label)]
    return out


def _fit(pipeline: Pipeline, X: pd.DataFrame, y: pd.Series, weights: np.ndarray | None) -> Pipeline:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return pipeline.fit(X, y) if weights is None else pipeline.fit(X, y, model__sample_weight=weights)


def _split(
    X: pd.DataFrame, y: pd.Series, schema: ModelSchema, holdout_fraction: float, random_state: int
) -> tuple[_Split, pd.DataFrame, pd.Series]:
    """Stratified holdout, class weights when classes are imbalanced, and the CV folds shared by candidates."""
    classify = schema.problem_type == "classification"
    n_test = max(math.ceil(holdout_fraction * len(y)), len(schema.classes))
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=n_test, random_state=random_state, stratify=y if classify else None
    )
    n_splits = 5 if len(y_train) < 5000 else 3  # big tables: fewer, larger folds are as reliable and cheaper
    weights = None
    if classify:
        counts = y_train.value_counts()
        n_splits = max(2, min(n_splits, int(counts.min())))
        if counts.min() / counts.max() < IMBALANCE_RATIO:
            weights = compute_sample_weight("balanced", y_train)
        splitter: Any = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    else:
        splitter = KFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    with warnings.catch_warnings():  # a class with a single training row: folds simply lack it sometimes
        warnings.simplefilter("ignore", UserWarning)
        folds = list(splitter.split(X_train, y_train))
    return _Split(X_train, y_train, weights, folds), X_test, y_test


def _cross_validate(
    candidate: Candidate,
    split: _Split,
    schema: ModelSchema,
    metric: str,
    deadline: float,
    reserve: float,
    ctx: TaskContext,
    random_state: int,
    n_jobs: int,
) -> dict[str, Any]:
    """Score one candidate fold by fold; stop early when the next fold and the final refit (of the best so
    far, ``reserve`` seconds, or of this candidate) would not fit before ``deadline``."""
    scores: list[float] = []
    fit_time = 0.0
    status = "ok"
    for train_idx, test_idx in split.folds:
        ctx.check()
        pipeline = build_pipeline(schema, candidate, random_state, n_jobs)
        weights = None if split.weights is None else split.weights[train_idx]
        started = time.perf_counter()
        try:
            _fit(pipeline, split.X.iloc[train_idx], split.y.iloc[train_idx], weights)
            X_test, y_test = split.X.iloc[test_idx], split.y.to_numpy()[test_idx]
            output = (
                pipeline.predict(X_test)
                if schema.problem_type == "regression"
                else predict_proba_aligned(pipeline, X_test, schema.classes)
            )
            scores.append(score(metric, y_test, output, schema.classes))
        except _FAILURES as exc:
            status = f"failed: {exc}"
            break
        finally:
            fit_time += time.perf_counter() - started
        fold_s, k = fit_time / len(scores), len(split.folds)
        if len(scores) < k and time.perf_counter() + fold_s + max(reserve, fold_s * k / (k - 1)) > deadline:
            status = f"stopped after {len(scores)} of {len(split.folds)} folds (time budget)"
            break
    finite = [s for s in scores if np.isfinite(s)]
    return {
        "family": candidate.family,
        "params": candidate.describe(),
        "candidate": candidate,
        "cv_score": float(np.mean(finite)) if finite else math.nan,
        "cv_std": float(np.std(finite)) if len(finite) > 1 else math.nan,
        "folds": len(scores),
        "fit_time_s": round(fit_time, 3),
        "status": status,
    }


def _not_run(candidate: Candidate) -> dict[str, Any]:
    return {
        "family": candidate.family,
        "params": candidate.describe(),
        "candidate": candidate,
        "cv_score": math.nan,
        "cv_std": math.nan,
        "folds": 0,
        "fit_time_s": 0.0,
        "status": "not run (time budget)",
    }


def _leaderboard(rows: list[dict[str, Any]], metric: str, n_folds: int) -> pd.DataFrame:
    """Scored candidates best first. One scored on fewer than most folds (the budget cut it short) ranks
    after all others, since one or two lucky folds must not win."""
    board = pd.DataFrame(rows, columns=[*LEADERBOARD_COLUMNS[1:], "candidate"])
    scored = board["cv_score"].notna()
    complete = board["folds"] >= max(2, math.ceil(n_folds / 2))
    ascending = not GREATER_IS_BETTER[metric]
    order = [
        board[scored & part].sort_values("cv_score", ascending=ascending, kind="stable")
        for part in (complete, ~complete)
    ]
    board = pd.concat([*order, board[~scored]])
    board.insert(0, "rank", pd.array([*range(1, scored.sum() + 1), *([None] * (~scored).sum())], dtype="Int64"))
    return board.reset_index(drop=True)


def train_tabular(
    df: pd.DataFrame,
    schema: ModelSchema,
    time_budget_s: float = 60.0,
    ctx: TaskContext | None = None,
    random_state: int = 0,
    n_jobs: int = 1,
    holdout_fraction: float = 0.2,
) -> TrainOutcome:
    """Choose and fit the best pipeline for ``schema`` on ``df`` within about ``time_budget_s`` seconds.

    Candidates run in a fixed order; one starts only while its first fold (guessed from earlier folds, see
    ``_fold_estimate``) and the final refit of the best still fit in the budget, and folds stop early when
    the next would not. The first candidate always gets at least one fold. Threads are capped to
    ``n_jobs``."""
    ctx = ctx or NullContext()
    started = time.perf_counter()
    deadline = started + time_budget_s
    ctx.progress(0.0, "preparing")
    notes = training_warnings(df, schema.target, schema.feature_names, schema.id_column, schema.problem_type)
    y = prepare_target(df[schema.target], schema.problem_type)
    unknown = set(y.unique()) - set(schema.classes) if schema.problem_type == "classification" else set()
    if unknown:
        raise InvalidInput(
            "The target has classes the schema does not list.",
            [Problem("unknown class", field=schema.target, value=str(v)) for v in sorted(unknown)],
        )
    metric = selection_metric(schema.problem_type, len(schema.classes))
    split, X_test, y_test = _split(df.loc[y.index, schema.feature_names], y, schema, holdout_fraction, random_state)
    plan = candidates(schema.problem_type)
    rows: list[dict[str, Any]] = []
    with threadpool_limits(limits=n_jobs):
        for number, candidate in enumerate(plan, start=1):
            ctx.check()
            reserve = _refit_estimate(rows, split, metric)  # keep time for refitting the best so far
            # The first two candidates (gradient boosting and a cheap linear model) always run, so the
            # leaderboard compares families even when the budget is tiny or the machine is busy.
            if number > 2 and time.perf_counter() + reserve + _fold_estimate(rows, candidate) > deadline:
                rows.append(_not_run(candidate))
                continue
            spent = (time.perf_counter() - started) / time_budget_s if time_budget_s > 0 else 1.0
            ctx.progress(
                0.05 + 0.8 * min(1.0, max((number - 1) / len(plan), spent)),
                f"candidate {number}/{len(plan)}: {candidate.family}",
            )
            rows.append(_cross_validate(candidate, split, schema, metric, deadline, reserve, ctx, random_state, n_jobs))
        board = _leaderboard(rows, metric, len(split.folds))
        if board["rank"].isna().all():
            raise InvalidInput(
                "No candidate model could be trained on this table.",
                [Problem(row.status, field=row.family) for row in board.itertuples()],
            )
        best: Candidate = board.loc[0, "candidate"]
        ctx.check()
        ctx.progress(0.88, "refitting")
        pipeline = _fit(build_pipeline(schema, best, random_state, n_jobs), split.X, split.y, split.weights)
        holdout = _holdout_frame(pipeline, schema, X_test, y_test)
    return TrainOutcome(
        pipeline=pipeline,
        leaderboard=board.drop(columns="candidate"),
        metric_name=metric,
        holdout=holdout,
        metrics=holdout_metrics(holdout, schema.problem_type, schema.classes),
        train_rows=len(split.y),
        holdout_rows=len(y_test),
        chosen_family=best.family,
        duration_s=time.perf_counter() - started,
        warnings=tuple(notes),
    )


def _fold_estimate(rows: list[dict[str, Any]], candidate: Candidate) -> float:
    """A guess of one fold of ``candidate``: twice the slowest fold of its family so far (its configs differ
    in cost); for a family not run yet, the fastest family's mean fold (a wrong guess costs one fold)."""
    folds: dict[str, float] = {}
    for r in rows:
        if r["folds"]:
            mean = r["fit_time_s"] / r["folds"]
            folds[r["family"]] = max(folds.get(r["family"], 0.0), mean)
    if candidate.family in folds:
        return 2 * folds[candidate.family]
    return min(folds.values(), default=0.0)


def _refit_estimate(rows: list[dict[str, Any]], split: _Split, metric: str) -> float:
    """Seconds the final refit of the current best will take (its mean fold time, scaled to all rows)."""
    board = _leaderboard(rows, metric, len(split.folds))
    if board["rank"].isna().all():
        return 0.0
    best = board.iloc[0]
    k = len(split.folds)
    return float(best["fit_time_s"]) / max(int(best["folds"]), 1) * k / max(k - 1, 1)


def _holdout_frame(pipeline: Pipeline, schema: ModelSchema, X: pd.DataFrame, y: pd.Series) -> pd.DataFrame:
    frame = pd.DataFrame({"y_true": y}, index=X.index)
    if schema.problem_type == "regression":
        frame["y_pred"] = pipeline.predict(X)
        return frame
    proba = predict_proba_aligned(pipeline, X, schema.classes)
    frame["y_pred"] = pipeline.predict(X)
    for j, label in enumerate(schema.classes):
        frame[probability_column(label)] = proba[:, j]
    return frame
