"""The search: cross-validate candidates on the training split until the time budget is spent.

Strategy (cost-aware random search with racing):

1. **Portfolio.** Each allowed family's proven defaults run first, cheapest strong ones first (``candidates.
   portfolio``); a skewed regression target adds a Yeo-Johnson transformed-target twin of the boosting and linear
   defaults, imbalanced classes a twin fitted with balanced class weights (each is kept only if it scores better).
2. **Proposals.** Then, until the budget is spent, a family is drawn with probability halving with its rank (by
   its best cross-validated score so far) and a configuration either sampled from its search space or perturbed
   around its best one (local search, as FLAML's CFO); a regression's target transform and balanced class weights
   follow the family's best (flipped one time in five). Proposals are cost-aware: a configuration's fold time is
   predicted from the family's measured seconds per unit of ``Candidate.complexity``, and one that would not finish
   before the deadline (less the time saving the final model will take, measured per family) is not started
   (cheaper draws are tried instead).
3. **Racing** (successive halving over folds): a proposal is stopped after any fold where its mean score is below
   the third best complete candidate's mean on the same folds, so weak configurations cost one fold, not five.

Every fold model of a complete candidate is kept, with its out-of-fold predictions, for the ensemble (``core.ml.
ensemble``); the held-out split never enters here."""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline

from core.ml.candidates import Candidate, perturb, portfolio, sample
from core.ml.metrics import GREATER_IS_BETTER, code_score
from core.ml.persistence import skops_bytes
from core.ml.preprocessing import preprocessor
from core.ml.schema import ModelSchema
from core.progress import TaskContext

_FAILURES = (ValueError, ArithmeticError, np.linalg.LinAlgError)
RACE_RANK = 3  # a proposal must keep up with the third best complete candidate, fold by fold
_DOCUMENT_COST = 1.2
MAX_RESERVE = 0.3  # of the search's time, at most, kept for saving the final model
ENSEMBLE_SIZE = 4  # distinct members an ensemble may have (core.ml.ensemble.MAX_MEMBERS)
KEEP_MODELS = 12  # complete candidates whose fold models stay in memory for the ensemble (plus each family's best)
_SAFETY = 1.3  # predicted fold times are multiplied by this before deciding whether a candidate fits
_DRAWS = 20  # proposals drawn before giving up on finding one that fits the remaining time


@dataclass
class Folds:
    """The training split as the search sees it: features, target (class codes for a classifier), weights."""

    X: pd.DataFrame  # model inputs: the engine steps (coercion, date parts) already applied
    y: np.ndarray
    weights: np.ndarray | None  # balanced class weights when classes are imbalanced (for ``balanced`` candidates)
    folds: list[tuple[np.ndarray, np.ndarray]]
    n_classes: int  # 0 for regression


@dataclass
class Trial:
    """One candidate's cross-validation: per-fold scores and, when complete, its fold models and OOF output."""

    number: int
    candidate: Candidate
    fold_scores: list[float] = field(default_factory=list)
    fit_time_s: float = 0.0
    status: str = "ok"
    oof: np.ndarray | None = None
    models: list[Pipeline] | None = None

    def complete(self, k: int) -> bool:
        return self.status == "ok" and len(self.fold_scores) == k and all(np.isfinite(self.fold_scores))

    @property
    def cv_score(self) -> float:
        finite = [s for s in self.fold_scores if np.isfinite(s)]
        return float(np.mean(finite)) if finite else math.nan


class Search:
    """Runs trials until ``deadline``; ``trials`` is every trial in order, with fold models of the best kept."""

    def __init__(
        self,
        data: Folds,
        schema: ModelSchema,
        metric: str,
        families: list[str],
        skewed: bool,
        ctx: TaskContext,
        random_state: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.data, self.schema, self.metric, self.families = data, schema, metric, families
        self.ctx, self.random_state, self.n_jobs = ctx, random_state, n_jobs
        self.sign = 1.0 if GREATER_IS_BETTER[metric] else -1.0
        self.rng = np.random.default_rng(random_state)
        self.imbalanced = data.weights is not None
        self.queue = portfolio(schema.problem_type, families, skewed, self.imbalanced)
        self.skewed = skewed
        self.trials: list[Trial] = []
        self.seconds_per_unit: dict[str, list[float]] = {}
        self.k = len(data.folds)
        self.save_seconds: dict[str, float] = {}
        self.cache: dict[tuple[str, int | None], tuple[Any, np.ndarray, np.ndarray]] = {}

    # -- bookkeeping -------------------------------------------------------------------------------------------
    def complete(self) -> list[Trial]:
        """Complete trials, best first."""
        done = [t for t in self.trials if t.complete(self.k)]
        return sorted(done, key=lambda t: -self.sign * t.cv_score)

    def _ran(self) -> int:
        return sum(bool(t.fold_scores) or t.status.startswith("failed") for t in self.trials)

    def _fold_estimate(self, candidate: Candidate) -> float:
        """Predicted seconds of one fold: the family's measured seconds per unit of complexity; for a family not
        run yet, the median fold of those that ran (0 before any has)."""
        rates = self.seconds_per_unit.get(candidate.family)
        if rates:
            return float(np.median(rates)) * candidate.complexity()
        folds = [t.fit_time_s / len(t.fold_scores) for t in self.trials if t.fold_scores]
        return float(np.median(folds)) if folds else 0.0

    def _prune(self) -> None:
        """Drop fold models no ensemble will use: keep the best ``KEEP_MODELS`` and each family's best."""
        ranked = self.complete()
        keep = {id(t) for t in ranked[:KEEP_MODELS]}
        seen: set[tuple[str, str | None]] = set()
        for t in ranked:
            key = (t.candidate.family, t.candidate.target_transform)
            if key not in seen:
                seen.add(key)
                keep.add(id(t))
        for t in self.trials:
            if id(t) not in keep:
                t.models, t.oof = None, None

    # -- proposals ---------------------------------------------------------------------------------------------
    def _propose(self, remaining: float) -> Candidate | None:
        """The next candidate: the portfolio first, then a cost-aware draw (None: nothing fits in ``remaining``)."""
        while self.queue:
            candidate = self.queue.pop(0)
            # The first two (a linear model and LightGBM) always run, so the leaderboard compares
            # families even when the budget is tiny or the machine is busy.
            if self._ran() < 2 or self._fold_estimate(candidate) * self.k * _SAFETY <= remaining:
                return candidate
            self.trials.append(Trial(len(self.trials) + 1, candidate, status="not run (time budget)"))
        best_by_family: dict[str, Trial] = {}
        for t in self.complete():
            best_by_family.setdefault(t.candidate.family, t)
        ranked = list(best_by_family.values())
        if not ranked:
            return None
        chances = np.array([0.5**i for i in range(len(ranked))])
        for _ in range(_DRAWS):
            base = ranked[int(self.rng.choice(len(ranked), p=chances / chances.sum()))]
            transform, balanced = base.candidate.target_transform, base.candidate.balanced
            if self.skewed and self.rng.random() < 0.2:
                transform = None if transform else "yeo-johnson"
            if self.imbalanced and self.rng.random() < 0.2:
                balanced = not balanced
            family = base.candidate.family
            if self.rng.random() < 0.5:
                candidate = perturb(base.candidate, self.rng, transform, balanced)
            else:
                candidate = sample(family, self.rng, transform, balanced)
            if self._fold_estimate(candidate) * self.k * _SAFETY <= remaining:
                return candidate
        return None

    # -- running -----------------------------------------------------------------------------------------------
    def save_cost(self, trial: Trial) -> float:
        """Predicted seconds saving a trial's fold models takes inside the final model's file (measured per family,
        standalone, with a margin of ``_DOCUMENT_COST`` for the whole file)."""
        return _DOCUMENT_COST * self.k * self.save_seconds.get(trial.candidate.family, 0.0)

    def save_reserve(self) -> float:
        """Seconds to keep for building, scoring and saving the final model: every fold model of the best
        ``ENSEMBLE_SIZE`` complete candidates (``save_cost``)."""
        return sum(self.save_cost(t) for t in self.complete()[:ENSEMBLE_SIZE])

    def _measure_save(self, trial: Trial) -> None:
        """Serialize one fold model of a family's first complete trial, once, to learn what saving costs."""
        family = trial.candidate.family
        if trial.models and family not in self.save_seconds:
            started = time.perf_counter()
            skops_bytes(trial.models[0])
            self.save_seconds[family] = time.perf_counter() - started

    def run(self, deadline: float, progress: tuple[float, float] = (0.05, 0.85)) -> list[Trial]:
        """Trials until ``deadline`` less ``save_reserve`` (the first candidate always runs at least one fold)."""
        started = time.perf_counter()
        span = max(deadline - started, 1e-9)
        while True:
            self.ctx.check()
            now = time.perf_counter()
            end = deadline - min(self.save_reserve(), MAX_RESERVE * span)
            candidate = self._propose(end - now)
            if candidate is None or (self._ran() >= 2 and now >= end):
                break
            number = len(self.trials) + 1
            low, high = progress
            self.ctx.progress(
                low + (high - low) * min(1.0, (now - started) / span), f"candidate {number}: {candidate.family}"
            )
            self.trials.append(self._cross_validate(number, candidate, end))
            self._measure_save(self.trials[-1])
            self._prune()
        return self.trials

    def _reference(self) -> list[float] | None:
        """Fold scores a racing proposal must keep up with (None while fewer than ``RACE_RANK`` are complete or the
        portfolio is still running)."""
        if self.queue:
            return None
        ranked = self.complete()
        return ranked[RACE_RANK - 1].fold_scores if len(ranked) >= RACE_RANK else None

    def _inputs(self, style: str, fold: int | None) -> tuple[Any, np.ndarray, np.ndarray]:
        """(fitted ``prep``, transformed training rows, transformed test rows) of one fold (``None``: all training
        rows, no test rows), computed once per style and fold and shared by every candidate."""
        key = (style, fold)
        if key not in self.cache:
            data = self.data
            train_idx, test_idx = data.folds[fold] if fold is not None else (np.arange(len(data.y)), np.arange(0))
            prep = clone(preprocessor(self.schema, style))  # type: ignore[arg-type]
            train = np.asarray(prep.fit_transform(data.X.iloc[train_idx]), dtype="float64")
            test = np.asarray(prep.transform(data.X.iloc[test_idx]), dtype="float64") if len(test_idx) else train[:0]
            self.cache[key] = (prep, train, test)
        return self.cache[key]

    def fit_member(self, candidate: Candidate, fold: int | None) -> Pipeline:
        """A portable pipeline (``prep`` + estimator) fitted on one fold's training rows (``None``: all of them)."""
        data = self.data
        prep, train, _ = self._inputs(candidate.style, fold)
        train_idx = data.folds[fold][0] if fold is not None else np.arange(len(data.y))
        model = candidate.estimator(self.schema.problem_type, self.random_state, self.n_jobs)
        weights = data.weights[train_idx] if data.weights is not None and candidate.balanced else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", UserWarning)
            if weights is None:
                model.fit(train, data.y[train_idx])
            else:
                model.fit(train, data.y[train_idx], sample_weight=weights)
        return Pipeline([("prep", prep), ("model", model)])

    def _output(self, pipeline: Pipeline, style: str, fold: int) -> np.ndarray:
        """Predictions or class-code probabilities of one fold's test rows (a code the model never saw gets 0)."""
        test = self._inputs(style, fold)[2]
        model = pipeline[-1]
        if not self.data.n_classes:
            return np.asarray(model.predict(test), dtype="float64")
        proba = np.asarray(model.predict_proba(test), dtype="float64")
        if proba.shape[1] == self.data.n_classes:
            return proba
        out = np.zeros((len(test), self.data.n_classes))
        out[:, np.asarray(model.classes_, dtype=int)] = proba
        return out

    def _cross_validate(self, number: int, candidate: Candidate, deadline: float) -> Trial:
        trial = Trial(number, candidate)
        data, reference = self.data, self._reference()
        oof = np.zeros((len(data.y), data.n_classes)) if data.n_classes else np.zeros(len(data.y))
        models: list[Pipeline] = []
        for i, (_, test_idx) in enumerate(data.folds):
            self.ctx.check()
            started = time.perf_counter()
            try:
                pipeline = self.fit_member(candidate, i)
                output = self._output(pipeline, candidate.style, i)
                trial.fold_scores.append(code_score(self.metric, data.y[test_idx], output))
            except _FAILURES as exc:
                trial.status = f"failed: {exc}"
                break
            finally:
                trial.fit_time_s += time.perf_counter() - started
            oof[test_idx] = output
            models.append(pipeline)
            fold_s = trial.fit_time_s / len(trial.fold_scores)
            if i == 0:
                self.seconds_per_unit.setdefault(candidate.family, []).append(fold_s / candidate.complexity())
            if i + 1 == self.k:
                break
            if reference is not None and self.sign * (np.mean(trial.fold_scores) - np.mean(reference[: i + 1])) < 0:
                trial.status = f"stopped after {i + 1} of {self.k} folds (behind the leaders)"
                break
            # Once some candidate is complete, one that cannot finish every fold stops now: an incomplete trial
            # joins no ensemble, and its remaining folds would only take time from the next proposals.
            left = self.k - i - 1 if self.complete() else 1
            if time.perf_counter() + fold_s * left * _SAFETY > deadline:
                trial.status = f"stopped after {i + 1} of {self.k} folds (time budget)"
                break
        if trial.complete(self.k):
            trial.oof, trial.models = oof, models
        return trial


def trial_row(trial: Trial, k: int) -> dict[str, Any]:
    """The leaderboard fields of one trial."""
    finite = [s for s in trial.fold_scores if np.isfinite(s)]
    return {
        "trial": trial.number,
        "family": trial.candidate.family,
        "params": trial.candidate.describe(),
        "cv_score": trial.cv_score,
        "cv_std": float(np.std(finite)) if len(finite) > 1 else math.nan,
        "folds": len(trial.fold_scores),
        "fit_time_s": round(trial.fit_time_s, 3),
        "status": trial.status,
        "complete": trial.complete(k),
    }
