"""Greedy ensemble selection (Caruana et al., 2004) over out-of-fold predictions, and the final bagged model.

Selection starts from the best single candidate and adds, with replacement, whichever kept candidate improves the
averaged out-of-fold output most (at most ``MAX_MEMBERS`` distinct ones), for ``ROUNDS`` rounds; the best
round's counts become the weights. The ensemble
is used only when its cross-validated score (mean over the same folds) beats the best single candidate's.

The final model never refits: each member is the bag of its fold models (each trained on the other folds, so its
out-of-fold predictions are exactly what selection saw), and the whole model is one scikit-learn
``VotingClassifier`` (soft voting: the weighted mean of probabilities) or ``VotingRegressor`` (the weighted mean
of predictions) over all members' fold pipelines, each weighted ``member weight / folds``. Fold models are trained
on class codes; the voting model's label encoder turns them back into the user's labels. A member whose fold
models miss a class (a class with a single training row) is refitted on all training rows instead."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import VotingClassifier, VotingRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, LabelEncoder

from core.ml.metrics import GREATER_IS_BETTER, code_score
from core.ml.preprocessing import engine_steps
from core.ml.search import ENSEMBLE_SIZE, Folds, Search, Trial

ROUNDS = 25
MAX_MEMBERS = ENSEMBLE_SIZE  # distinct candidates in an ensemble: bounds the model file, its save time, SHAP cost
ENSEMBLE = "Ensemble"


@dataclass(frozen=True)
class Choice:
    """The chosen trials and their weights (one trial with weight 1 when no ensemble beat the best single)."""

    members: tuple[Trial, ...]
    weights: tuple[float, ...]
    cv_score: float
    fold_scores: tuple[float, ...]

    @property
    def is_ensemble(self) -> bool:
        return len(self.members) > 1


def _fold_scores(output: np.ndarray, data: Folds, metric: str) -> list[float]:
    return [code_score(metric, data.y[idx], output[idx]) for _, idx in data.folds]


def select(
    ranked: list[Trial], data: Folds, metric: str, deadline: float, save_cost: list[float] | None = None
) -> Choice:
    """Caruana's greedy selection over the kept complete trials (``ranked``: best first, with OOF output).

    ``save_cost[i]``: seconds saving ``ranked[i]``'s fold models will take; a candidate joins only while the
    members' total stays within the time left before ``deadline`` (the best single one is always allowed)."""
    best = ranked[0]
    costs = dict(zip(map(id, ranked), save_cost or [0.0] * len(ranked), strict=True))
    single = Choice((best,), (1.0,), best.cv_score, tuple(best.fold_scores))
    pool = [t for t in ranked if t.oof is not None]
    if len(pool) < 2 or best.oof is None:
        return single
    sign = 1.0 if GREATER_IS_BETTER[metric] else -1.0
    counts = np.zeros(len(pool), dtype=int)
    counts[pool.index(best)] = 1
    total = best.oof.copy()
    history: list[tuple[float, np.ndarray]] = [(sign * code_score(metric, data.y, total), counts.copy())]
    for round_ in range(2, ROUNDS + 1):
        if time.perf_counter() > deadline:
            break
        full = (counts > 0).sum() >= MAX_MEMBERS
        room = deadline - time.perf_counter() - sum(costs[id(t)] for t, c in zip(pool, counts, strict=True) if c)
        gains = [
            -np.inf
            if not counts[i] and (full or costs[id(t)] > room)
            else sign * code_score(metric, data.y, (total + t.oof) / round_)  # type: ignore[operator]
            for i, t in enumerate(pool)
        ]
        j = int(np.argmax(gains))
        counts[j] += 1
        total += pool[j].oof  # type: ignore[arg-type]
        history.append((gains[j], counts.copy()))
    _, chosen = max(history, key=lambda item: item[0])  # the earliest best round: fewer members
    if (chosen > 0).sum() < 2:
        return single
    weights = chosen / chosen.sum()
    output = sum(w * t.oof for w, t in zip(weights, pool, strict=True) if w > 0)  # type: ignore[operator]
    fold_scores = _fold_scores(np.asarray(output), data, metric)
    if sign * (np.mean(fold_scores) - best.cv_score) <= 1e-12:
        return single
    members = [(t, float(w)) for t, w in zip(pool, weights, strict=True) if w > 0]
    members.sort(key=lambda item: -item[1])
    return Choice(
        tuple(t for t, _ in members), tuple(w for _, w in members), float(np.mean(fold_scores)), tuple(fold_scores)
    )


def _member_models(trial: Trial, search: Search) -> list[Pipeline]:
    """The fitted portable pipelines standing for one member: its fold models, or one refit on all training rows
    when it has none (an incomplete best trial) or they miss a class."""
    models = trial.models or []
    n_classes = search.data.n_classes
    if models and all(not n_classes or len(m.classes_) == n_classes for m in models):
        return models
    return [search.fit_member(trial.candidate, None)]


def final_pipeline(choice: Choice, search: Search, labels: LabelEncoder | None) -> Pipeline:
    """The engine pipeline: engine steps, an identity ``prep`` and one voting model over every member's bag."""
    estimators: list[tuple[str, Pipeline]] = []
    weights: list[float] = []
    for trial, weight in zip(choice.members, choice.weights, strict=True):
        bag = _member_models(trial, search)
        for f, fitted in enumerate(bag):
            estimators.append((f"t{trial.number}_f{f}", fitted))
            weights.append(weight / len(bag))
    # The constructor gets unfitted clones, as ``fit`` would leave it, and no ``named_estimators_``: skops writes
    # the whole state of an object again at each reference, so three references to each fitted member tripled
    # the time saving an ensemble took (LightGBM rebuilds its model text at each).
    unfitted = [(name, clone(fitted)) for name, fitted in estimators]
    model: Any
    if labels is not None:
        model = VotingClassifier(unfitted, voting="soft", weights=weights)
        model.le_, model.classes_ = labels, labels.classes_
    else:
        model = VotingRegressor(unfitted, weights=weights)
    model.estimators_ = [e for _, e in estimators]
    kinds = {f.name: f.kind for f in search.schema.features}
    identity = FunctionTransformer().fit(search.data.X.iloc[:1])  # the members' ``prep`` steps read its output
    return Pipeline([*engine_steps(kinds), ("prep", identity), ("model", model)])


def members_of(pipeline: Pipeline) -> list[tuple[Pipeline, float]]:
    """(portable fold pipeline, weight) of a voting model; the pipeline itself with weight 1 otherwise."""
    model = pipeline[-1]
    if not isinstance(model, VotingClassifier | VotingRegressor):
        return [(pipeline, 1.0)]
    weights = np.asarray(model.weights if model.weights is not None else np.ones(len(model.estimators_)), float)
    weights = weights / weights.sum()
    return list(zip(model.estimators_, weights.tolist(), strict=True))


def predict_output(pipeline: Pipeline, rows: pd.DataFrame) -> np.ndarray:
    """Predictions (regressor) or class probabilities (in ``classes_`` order) of raw ``rows``: what the voting model
    computes, with each shared ``prep`` (fold models of one style share their fold's) applied once, not per member."""
    model = pipeline[-1]
    inputs = pipeline[:-1].transform(rows)
    if not isinstance(model, VotingClassifier | VotingRegressor):
        return np.asarray(model.predict_proba(inputs) if hasattr(model, "classes_") else model.predict(inputs))
    transformed: dict[int, np.ndarray] = {}
    outputs, weights = [], []
    for member, weight in members_of(pipeline):
        prep = member.named_steps["prep"]
        if id(prep) not in transformed:
            transformed[id(prep)] = prep.transform(inputs)
        estimator = member[-1]
        Xt = transformed[id(prep)]
        outputs.append(estimator.predict_proba(Xt) if hasattr(model, "classes_") else estimator.predict(Xt))
        weights.append(weight)
    return np.average(np.asarray(outputs, dtype="float64"), axis=0, weights=weights)


def ensemble_row(choice: Choice, k: int) -> dict[str, Any]:
    """The leaderboard row of a chosen ensemble: its members (trial numbers) and weights."""
    members = ", ".join(
        f"#{t.number} {t.candidate.family} × {w:.2f}" for t, w in zip(choice.members, choice.weights, strict=True)
    )
    return {
        "trial": 0,
        "family": ENSEMBLE,
        "params": members,
        "cv_score": choice.cv_score,
        "cv_std": float(np.std(choice.fold_scores)),
        "folds": k,
        "fit_time_s": round(sum(t.fit_time_s for t in choice.members), 3),
        "status": "ok",
        "complete": True,
    }
