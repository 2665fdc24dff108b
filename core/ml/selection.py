"""Automatic model selection under a time budget: search candidates by cross-validation on the training split
(``core.ml.search``), combine the best by greedy ensemble selection (``core.ml.ensemble``), and report honest
metrics on a held-out split that neither the search nor the ensemble has seen."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import skew
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_sample_weight
from threadpoolctl import threadpool_limits

from core.errors import InvalidInput, Problem
from core.ml.candidates import allowed_families
from core.ml.ensemble import ENSEMBLE, Choice, ensemble_row, final_pipeline, predict_output, select
from core.ml.metrics import GREATER_IS_BETTER, holdout_metrics, probability_column, selection_metric
from core.ml.preprocessing import engine_head
from core.ml.problem import IMBALANCE_RATIO, prepare_target, training_warnings
from core.ml.schema import ModelSchema
from core.ml.search import Folds, Search, Trial, trial_row
from core.progress import NullContext, TaskContext

LEADERBOARD_COLUMNS = [
    "rank",
    "trial",
    "family",
    "params",
    "cv_score",
    "cv_std",
    "folds",
    "fit_time_s",
    "weight",
    "status",
]
MAX_BOARD_ROWS = 100  # the leaderboard keeps the best rows (and every ensemble member) of a long search
SKEW = 1.0  # |skewness| of a regression target above which transformed-target candidates are tried
# Of the budget, less the measured time saving the likely ensemble takes (``Search.save_reserve``: skops writes
# every fold model of every member); the rest selects the ensemble and scores the held-out rows.
SEARCH_SHARE = 0.85
_FINISH_S = 0.3  # fixed time kept after the search, whatever the budget
_FINISH_SHARE = 0.05  # of the budget, for building the final model and scoring the held-out rows


@dataclass(frozen=True)
class TrainOutcome:
    """The chosen pipeline and everything the model summary shows about how it was chosen."""

    pipeline: Pipeline
    leaderboard: pd.DataFrame  # LEADERBOARD_COLUMNS, the chosen model (ensemble or single) first
    metric_name: str  # the cross-validation metric (see metrics.GREATER_IS_BETTER)
    holdout: pd.DataFrame  # y_true, y_pred (+ probability_<class>), indexed like the input rows
    metrics: dict[str, float | None]
    train_rows: int
    holdout_rows: int
    chosen_family: str  # a family, or "Ensemble"
    duration_s: float
    warnings: tuple[str, ...] = ()
    trials: int = 0  # candidates cross-validated (including those stopped early)


def predict_proba_aligned(pipeline: Pipeline, X: pd.DataFrame, classes: tuple[Any, ...]) -> np.ndarray:
    """Class probabilities in ``classes`` order (a class the model never saw gets 0)."""
    proba = predict_output(pipeline, X)
    model_classes = list(pipeline.classes_)
    if model_classes == list(classes):
        return proba
    out = np.zeros((len(X), len(classes)))
    for j, label in enumerate(classes):
        if label in model_classes:
            out[:, j] = proba[:, model_classes.index(label)]
    return out


def _split(
    X: pd.DataFrame, y: pd.Series, schema: ModelSchema, holdout_fraction: float, random_state: int
) -> tuple[Folds, LabelEncoder | None, pd.DataFrame, pd.Series]:
    """Stratified holdout, class codes and weights (classes imbalanced), and the CV folds shared by candidates."""
    classify = schema.problem_type == "classification"
    n_test = max(math.ceil(holdout_fraction * len(y)), len(schema.classes))
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=n_test, random_state=random_state, stratify=y if classify else None
    )
    n_splits = 5 if len(y_train) < 5000 else 3  # big tables: fewer, larger folds are as reliable and cheaper
    weights, labels = None, None
    if classify:
        counts = y_train.value_counts()
        n_splits = max(2, min(n_splits, int(counts.min())))
        if counts.min() / counts.max() < IMBALANCE_RATIO:
            weights = compute_sample_weight("balanced", y_train)
        splitter: Any = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
        labels = LabelEncoder().fit(y_train.to_numpy())
        target = labels.transform(y_train.to_numpy())
    else:
        splitter = KFold(n_splits=n_splits, shuffle=True, random_state=random_state)
        target = y_train.to_numpy(dtype="float64")
    with warnings.catch_warnings():  # a class with a single training row: folds simply lack it sometimes
        warnings.simplefilter("ignore", UserWarning)
        folds = list(splitter.split(X_train, y_train))
    n_classes = len(labels.classes_) if labels is not None else 0
    inputs = engine_head(schema).fit_transform(X_train)  # stateless: done once, not once per fold and candidate
    return Folds(inputs, target, weights, folds, n_classes), labels, X_test, y_test


def is_skewed(y: np.ndarray) -> bool:
    """A regression target whose distribution is lopsided enough for a transformed-target candidate."""
    return len(np.unique(y)) > 10 and abs(float(skew(y))) > SKEW


def train_tabular(
    df: pd.DataFrame,
    schema: ModelSchema,
    time_budget_s: float = 60.0,
    ctx: TaskContext | None = None,
    random_state: int = 0,
    n_jobs: int = 1,
    holdout_fraction: float = 0.2,
    algorithms: Sequence[str] | None = None,
) -> TrainOutcome:
    """Choose and fit the best model for ``schema`` on ``df`` within about ``time_budget_s`` seconds.

    ``algorithms`` (names of ``candidates.ALGORITHMS``: gradient_boosting, random_forest, extra_trees, linear,
    lightgbm, xgboost) restricts the families searched. The search takes ``SEARCH_SHARE`` of the budget; ensemble
    selection, the final model and the held-out scores fit in the rest. Threads are capped to ``n_jobs``."""
    ctx = ctx or NullContext()
    started = time.perf_counter()
    ctx.progress(0.0, "preparing")
    families = allowed_families(schema.problem_type, algorithms)
    notes = training_warnings(df, schema.target, schema.feature_names, schema.id_column, schema.problem_type)
    y = prepare_target(df[schema.target], schema.problem_type)
    unknown = set(y.unique()) - set(schema.classes) if schema.problem_type == "classification" else set()
    if unknown:
        raise InvalidInput(
            "The target has classes the schema does not list.",
            [Problem("unknown class", field=schema.target, value=str(v)) for v in sorted(unknown)],
        )
    metric = selection_metric(schema.problem_type, len(schema.classes))
    data, labels, X_test, y_test = _split(
        df.loc[y.index, schema.feature_names], y, schema, holdout_fraction, random_state
    )
    skewed = schema.problem_type == "regression" and is_skewed(data.y)
    search_end = started + max(SEARCH_SHARE * time_budget_s - _FINISH_S, 0.0)
    with threadpool_limits(limits=n_jobs):
        search = Search(data, schema, metric, families, skewed, ctx, random_state, n_jobs)
        trials = search.run(search_end)
        ranked = search.complete() or _partial(trials, metric)
        if not ranked:
            raise InvalidInput(
                "No candidate model could be trained on this table.",
                [Problem(t.status, field=t.candidate.family) for t in trials],
            )
        ctx.check()
        ctx.progress(0.86, "combining the best models")
        end = started + time_budget_s * (1 - _FINISH_SHARE) - _FINISH_S  # what is left is for saving the model
        choice = select(ranked, data, metric, end, [search.save_cost(t) for t in ranked])
        ctx.progress(0.9, "building the final model")
        pipeline = final_pipeline(choice, search, labels)
        holdout = _holdout_frame(pipeline, schema, X_test, y_test)
    return TrainOutcome(
        pipeline=pipeline,
        leaderboard=_leaderboard(trials, choice, metric, len(data.folds)),
        metric_name=metric,
        holdout=holdout,
        metrics=holdout_metrics(holdout, schema.problem_type, schema.classes),
        train_rows=len(data.y),
        holdout_rows=len(y_test),
        chosen_family=ENSEMBLE if choice.is_ensemble else choice.members[0].candidate.family,
        duration_s=time.perf_counter() - started,
        warnings=tuple(notes),
        trials=sum(bool(t.fold_scores) for t in trials),
    )


def _partial(trials: list[Trial], metric: str) -> list[Trial]:
    """When no candidate finished every fold: those scored on some, best first (the first is refitted)."""
    scored = [t for t in trials if t.fold_scores and np.isfinite(t.cv_score)]
    sign = 1.0 if GREATER_IS_BETTER[metric] else -1.0
    return sorted(scored, key=lambda t: (-len(t.fold_scores), -sign * t.cv_score))


def _leaderboard(trials: list[Trial], choice: Choice, metric: str, k: int) -> pd.DataFrame:
    """The chosen model first (the ensemble row, then its members by weight), then complete candidates best first,
    then those stopped early, then those not run; at most ``MAX_BOARD_ROWS``."""
    weights = {t.number: w for t, w in zip(choice.members, choice.weights, strict=True)}
    rows = [{**trial_row(t, k), "weight": weights.get(t.number)} for t in trials]
    board = pd.DataFrame(rows)
    sign = 1.0 if GREATER_IS_BETTER[metric] else -1.0
    board["_member"] = board["weight"].notna()
    board["_order"] = -sign * board["cv_score"]
    board = board.sort_values(["_member", "complete", "folds", "_order"], ascending=[False, False, False, True])
    board.loc[board["_member"], "_order"] = -board.loc[board["_member"], "weight"]
    members = board[board["_member"]].sort_values("_order")
    rest = board[~board["_member"]]
    parts = [members, rest]
    if choice.is_ensemble:
        parts.insert(0, pd.DataFrame([{**ensemble_row(choice, k), "weight": 1.0}]))
    board = pd.concat(parts, ignore_index=True).head(MAX_BOARD_ROWS)
    scored = board["cv_score"].notna()
    board.insert(0, "rank", pd.array([i + 1 if s else None for i, s in enumerate(scored)], dtype="Int64"))
    return board[LEADERBOARD_COLUMNS].reset_index(drop=True)


def _holdout_frame(pipeline: Pipeline, schema: ModelSchema, X: pd.DataFrame, y: pd.Series) -> pd.DataFrame:
    frame = pd.DataFrame({"y_true": y}, index=X.index)
    if schema.problem_type == "regression":
        frame["y_pred"] = predict_output(pipeline, X)
        return frame
    proba = predict_proba_aligned(pipeline, X, schema.classes)
    trained = list(pipeline.classes_) == list(schema.classes)
    labels = np.asarray(pipeline.classes_) if trained else np.asarray(schema.classes, dtype=object)
    frame["y_pred"] = labels[proba.argmax(axis=1)]
    for j, label in enumerate(schema.classes):
        frame[probability_column(label)] = proba[:, j]
    return frame
