"""Estimator families, their search spaces, and how one configuration becomes a pipeline.

A ``Candidate`` is one family with fixed hyper-parameters (and, for regression, an optional Yeo-Johnson transform
of the target). ``portfolio`` lists the configurations every search starts with (each family's proven defaults,
cheap ones first, so a short budget reaches the same useful few); ``sample`` and ``perturb`` draw new ones from
``SPACES`` (see ``core.ml.search``). Users restrict the search by ``ALGORITHMS`` names."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import PowerTransformer
from xgboost import XGBClassifier, XGBRegressor

from core.entities.models import ALGORITHMS
from core.errors import InvalidInput, Problem
from core.ml.preprocessing import Style, build_preprocessor
from core.ml.schema import ModelSchema

_ESTIMATORS: dict[tuple[str, str], Any] = {
    ("HistGradientBoosting", "classification"): HistGradientBoostingClassifier,
    ("HistGradientBoosting", "regression"): HistGradientBoostingRegressor,
    ("LightGBM", "classification"): LGBMClassifier,
    ("LightGBM", "regression"): LGBMRegressor,
    ("XGBoost", "classification"): XGBClassifier,
    ("XGBoost", "regression"): XGBRegressor,
    ("RandomForest", "classification"): RandomForestClassifier,
    ("RandomForest", "regression"): RandomForestRegressor,
    ("ExtraTrees", "classification"): ExtraTreesClassifier,
    ("ExtraTrees", "regression"): ExtraTreesRegressor,
    ("LogisticRegression", "classification"): LogisticRegression,
    ("Ridge", "regression"): Ridge,
}
ESTIMATOR_TYPES: tuple[type, ...] = tuple(_ESTIMATORS.values())
_LINEAR = {"LogisticRegression", "Ridge"}
# What a user may name (the API's ``algorithm``) and the families each stands for.
TARGET_TRANSFORM = "yeo-johnson"
FOREST_TREES = 50  # per fold model; the final model averages the fold models' forests (3-5 × 50 trees)
BOUNDED_LEAVES = 1000  # forests on big tables: bounded file size and SHAP time


@dataclass(frozen=True)
class Dim:
    """One hyper-parameter's range: log-uniform (``log``) or uniform between ``low`` and ``high``."""

    low: float
    high: float
    log: bool = True
    integer: bool = False

    def _clip(self, value: float) -> float | int:
        value = min(max(value, self.low), self.high)
        return round(value) if self.integer else round(value, 4)

    def sample(self, rng: np.random.Generator) -> float | int:
        if self.log:
            return self._clip(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return self._clip(rng.uniform(self.low, self.high))

    def accepts(self, value: Any) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool)

    def perturb(self, value: float, rng: np.random.Generator) -> float | int:
        """A step around ``value``: about a third of the range in log (or linear) space."""
        if self.log:
            width = math.log(self.high) - math.log(self.low)
            return self._clip(math.exp(math.log(max(value, self.low)) + rng.normal(0, width / 6)))
        return self._clip(value + rng.normal(0, (self.high - self.low) / 6))


@dataclass(frozen=True)
class Flag:
    """A yes/no hyper-parameter: drawn evenly; a perturbation flips it one time in four."""

    def accepts(self, value: Any) -> bool:
        return isinstance(value, bool)

    def sample(self, rng: np.random.Generator) -> bool:
        return bool(rng.random() < 0.5)

    def perturb(self, value: bool, rng: np.random.Generator) -> bool:
        return value != bool(rng.random() < 0.25)


SPACES: dict[str, dict[str, Dim | Flag]] = {
    "HistGradientBoosting": {
        "learning_rate": Dim(0.02, 0.3),
        "max_leaf_nodes": Dim(4, 128, integer=True),
        "min_samples_leaf": Dim(2, 100, integer=True),
        "l2_regularization": Dim(1e-3, 10.0),
        "max_features": Dim(0.4, 1.0, log=False),
    },
    "LightGBM": {
        "n_estimators": Dim(50, 1000, integer=True),
        "learning_rate": Dim(0.01, 0.3),
        "num_leaves": Dim(4, 128, integer=True),
        "min_child_samples": Dim(2, 100, integer=True),
        "subsample": Dim(0.5, 1.0, log=False),
        "colsample_bytree": Dim(0.3, 1.0, log=False),
        "reg_lambda": Dim(1e-3, 10.0),
        "extra_trees": Flag(),  # random split thresholds: smoother probabilities on small, dense tables
    },
    "XGBoost": {
        "n_estimators": Dim(50, 1000, integer=True),
        "learning_rate": Dim(0.01, 0.3),
        "max_depth": Dim(2, 10, log=False, integer=True),
        "min_child_weight": Dim(0.5, 20.0),
        "subsample": Dim(0.5, 1.0, log=False),
        "colsample_bytree": Dim(0.3, 1.0, log=False),
        "reg_lambda": Dim(1e-2, 10.0),
    },
    "RandomForest": {"max_features": Dim(0.1, 1.0, log=False), "min_samples_leaf": Dim(1, 20, integer=True)},
    "ExtraTrees": {"max_features": Dim(0.1, 1.0, log=False), "min_samples_leaf": Dim(1, 20, integer=True)},
    "LogisticRegression": {"C": Dim(1e-3, 100.0)},
    "Ridge": {"alpha": Dim(1e-3, 1e3)},
}
# Fixed settings a sampled configuration does not vary.
_FIXED: dict[str, dict[str, Any]] = {
    "HistGradientBoosting": {"max_iter": 1000, "early_stopping": True, "validation_fraction": 0.1},
    "LightGBM": {"subsample_freq": 1, "verbose": -1},
    "XGBoost": {"tree_method": "hist", "verbosity": 0},
    "RandomForest": {"n_estimators": FOREST_TREES, "max_leaf_nodes": BOUNDED_LEAVES},
    "ExtraTrees": {"n_estimators": FOREST_TREES, "max_leaf_nodes": BOUNDED_LEAVES},
    "LogisticRegression": {"max_iter": 1000},
    "Ridge": {},
}


@dataclass(frozen=True)
class Candidate:
    """One estimator family with fixed hyper-parameters; ``target_transform`` fits a regressor on the
    Yeo-Johnson transformed target (predictions are transformed back)."""

    family: str
    params: dict[str, Any] = field(default_factory=dict)
    target_transform: str | None = None
    balanced: bool = False  # imbalanced classes: fit with weights that balance them (else every row weighs 1)

    @property
    def style(self) -> Style:
        """Linear models get scaled, one-hot inputs; trees get ordinal codes and raw numbers."""
        return "linear" if self.family in _LINEAR else "tree"

    def describe(self) -> str:
        text = ", ".join(f"{k}={v}" for k, v in self.params.items()) or "defaults"
        text = f"{text}, target={self.target_transform}" if self.target_transform else text
        return f"{text}, classes balanced" if self.balanced else text

    def estimator(self, problem_type: str, random_state: int = 0, n_jobs: int = 1) -> Any:
        cls = _ESTIMATORS[(self.family, problem_type)]
        extra: dict[str, Any] = {}
        if self.family not in ("LogisticRegression", "Ridge", "HistGradientBoosting"):
            extra["n_jobs"] = n_jobs
        if self.family != "Ridge":
            extra["random_state"] = random_state
        model = cls(**self.params, **extra)
        if self.target_transform and problem_type == "regression":
            return TransformedTargetRegressor(
                regressor=model, transformer=PowerTransformer(method="yeo-johnson"), check_inverse=False
            )
        return model

    def complexity(self) -> float:
        """Relative training cost within the family (the search scales measured times by it)."""
        p = self.params
        if self.family == "LightGBM":
            return p.get("n_estimators", 100) * math.sqrt(p.get("num_leaves", 31)) * p.get("colsample_bytree", 1.0)
        if self.family == "XGBoost":
            return p.get("n_estimators", 100) * p.get("max_depth", 6) * p.get("colsample_bytree", 1.0)
        if self.family == "HistGradientBoosting":
            return math.sqrt(p.get("max_leaf_nodes", 31)) / p.get("learning_rate", 0.1) * p.get("max_features", 1.0)
        if self.family in ("RandomForest", "ExtraTrees"):
            share = p.get("max_features", 1.0)
            return p.get("n_estimators", 100) * (0.3 if isinstance(share, str) else share)
        return 1.0


def allowed_families(problem_type: str, algorithms: Sequence[str] | None = None) -> list[str]:
    """The families a search may use, in portfolio order; ``algorithms`` (``ALGORITHMS`` names) restricts them."""
    every = [f for (f, kind) in _ESTIMATORS if kind == problem_type]
    if not algorithms:
        return every
    unknown = sorted(set(algorithms) - set(ALGORITHMS))
    if unknown:
        raise InvalidInput(
            f"Unknown algorithm; choose from {', '.join(ALGORITHMS)}.",
            [Problem("unknown algorithm", field="algorithm", value=name) for name in unknown],
        )
    chosen = {f for name in algorithms for f in ALGORITHMS[name]}
    return [f for f in every if f in chosen]


def _defaults(problem_type: str) -> dict[str, dict[str, Any]]:
    """Each family's first configuration: the library's defaults or a well-known strong setting."""
    forest = {"max_features": "sqrt" if problem_type == "classification" else 0.5, **_FIXED["RandomForest"]}
    return {
        "HistGradientBoosting": {"learning_rate": 0.1, "max_iter": 100, "max_leaf_nodes": 31, "min_samples_leaf": 20},
        "LogisticRegression": {"C": 1.0, "max_iter": 1000},
        "Ridge": {"alpha": 1.0},
        "LightGBM": {
            "n_estimators": 300,
            "learning_rate": 0.05,
            "num_leaves": 31,
            "min_child_samples": 20,
            "subsample": 0.8,
            "colsample_bytree": 0.8,
            **_FIXED["LightGBM"],
        },
        "XGBoost": {
            "n_estimators": 300,
            "learning_rate": 0.05,
            "max_depth": 6,
            "min_child_weight": 1.0,
            "subsample": 0.8,
            "colsample_bytree": 0.8,
            **_FIXED["XGBoost"],
        },
        "RandomForest": forest,
        "ExtraTrees": dict(forest),
    }


PORTFOLIO_ORDER = ("LogisticRegression", "Ridge", "LightGBM", "HistGradientBoosting", "XGBoost")
# A family's second proven setting, tried right after its defaults: LightGBM with random split thresholds (the
# first model AutoGluon tries; on scikit-learn's digits it cut cross-validated log loss from 0.081 to 0.061).
_VARIANTS: dict[str, tuple[dict[str, Any], ...]] = {"LightGBM": ({"extra_trees": True},)}


def portfolio(
    problem_type: str, families: Iterable[str], skewed: bool = False, imbalanced: bool = False
) -> list[Candidate]:
    """The configurations every search starts with, in order: a linear model (cheap: a tiny budget still gets a
    model), LightGBM's defaults, gradient boosting's, XGBoost's, then the forests; for a skewed regression target each
    linear and boosting default is followed by its transformed-target twin, for imbalanced classes by its twin with
    balanced class weights, then by the family's ``_VARIANTS``."""
    allowed = list(families)
    defaults = _defaults(problem_type)
    order = [f for f in PORTFOLIO_ORDER if f in allowed] + [f for f in allowed if f not in PORTFOLIO_ORDER]
    plan: list[Candidate] = []
    for family in order:
        plan.append(Candidate(family, defaults[family]))
        if family in ("RandomForest", "ExtraTrees"):
            continue
        if skewed and problem_type == "regression":
            plan.append(Candidate(family, defaults[family], TARGET_TRANSFORM))
        if imbalanced and problem_type == "classification":
            plan.append(Candidate(family, defaults[family], balanced=True))
        plan += [Candidate(family, {**defaults[family], **variant}) for variant in _VARIANTS.get(family, ())]
    return plan


def sample(family: str, rng: np.random.Generator, transform: str | None = None, balanced: bool = False) -> Candidate:
    """A random configuration of ``family`` drawn from its search space."""
    params = {name: dim.sample(rng) for name, dim in SPACES[family].items()}
    return Candidate(family, {**params, **_FIXED[family]}, transform, balanced)


def perturb(
    base: Candidate, rng: np.random.Generator, transform: str | None = None, balanced: bool = False
) -> Candidate:
    """A neighbour of ``base``: every searched parameter moved a random step (local search around the best)."""
    params = dict(base.params)
    for name, dim in SPACES[base.family].items():
        value = params.get(name)
        params[name] = dim.perturb(value, rng) if dim.accepts(value) else dim.sample(rng)  # type: ignore[arg-type]
    return Candidate(base.family, {**params, **_FIXED[base.family]}, transform, balanced)


def build_pipeline(schema: ModelSchema, candidate: Candidate, random_state: int = 0, n_jobs: int = 1) -> Pipeline:
    """An unfitted pipeline: coerce → per-column preprocessing → estimator."""
    model = candidate.estimator(schema.problem_type, random_state=random_state, n_jobs=n_jobs)
    return Pipeline([*build_preprocessor(schema, candidate.style), ("model", model)])
