"""The estimator families and configurations model selection tries, cheap strong ones first.

The list is fixed (not sampled) so "candidate 3/9" means the same thing in every run and a short budget
always reaches the same few, most useful configurations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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

from core.ml.preprocessing import Style, build_preprocessor
from core.ml.schema import ModelSchema

_ESTIMATORS: dict[tuple[str, str], Any] = {
    ("HistGradientBoosting", "classification"): HistGradientBoostingClassifier,
    ("HistGradientBoosting", "regression"): HistGradientBoostingRegressor,
    ("RandomForest", "classification"): RandomForestClassifier,
    ("RandomForest", "regression"): RandomForestRegressor,
    ("ExtraTrees", "classification"): ExtraTreesClassifier,
    ("ExtraTrees", "regression"): ExtraTreesRegressor,
    ("LogisticRegression", "classification"): LogisticRegression,
    ("Ridge", "regression"): Ridge,
}
_PARALLEL = {"RandomForest", "ExtraTrees"}
_LINEAR = {"LogisticRegression", "Ridge"}
ESTIMATOR_TYPES: tuple[type, ...] = tuple(_ESTIMATORS.values())


@dataclass(frozen=True)
class Candidate:
    """One estimator family with fixed hyper-parameters."""

    family: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def style(self) -> Style:
        """Linear models get scaled, one-hot inputs; trees get ordinal codes and raw numbers."""
        return "linear" if self.family in _LINEAR else "tree"

    def describe(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.params.items()) or "defaults"

    def estimator(self, problem_type: str, random_state: int = 0, n_jobs: int = 1) -> Any:
        cls = _ESTIMATORS[(self.family, problem_type)]
        extra: dict[str, Any] = {"n_jobs": n_jobs} if self.family in _PARALLEL else {}
        if self.family != "Ridge":
            extra["random_state"] = random_state
        return cls(**self.params, **extra)


def candidates(problem_type: str) -> list[Candidate]:
    """Configurations in the order they are tried (a short budget only reaches the first few)."""
    linear = (
        Candidate("LogisticRegression", {"C": 1.0, "max_iter": 1000})
        if problem_type == "classification"
        else Candidate("Ridge", {"alpha": 1.0})
    )
    linear_strong = (
        Candidate("LogisticRegression", {"C": 0.1, "max_iter": 1000})
        if problem_type == "classification"
        else Candidate("Ridge", {"alpha": 10.0})
    )
    forest_features = "sqrt" if problem_type == "classification" else 0.5
    stop_early = {"early_stopping": True, "validation_fraction": 0.15, "n_iter_no_change": 25}
    bounded = {"max_leaf_nodes": 1000}  # forests on big tables: bounded file size and SHAP time
    return [
        Candidate(
            "HistGradientBoosting",
            {"learning_rate": 0.1, "max_iter": 100, "max_leaf_nodes": 31, "min_samples_leaf": 20},
        ),  # scikit-learn's defaults
        linear,
        Candidate("RandomForest", {"n_estimators": 200, "max_features": forest_features, **bounded}),
        Candidate(
            "HistGradientBoosting",
            {
                "learning_rate": 0.05,
                "max_iter": 500,
                "max_leaf_nodes": 15,
                "min_samples_leaf": 10,
                "l2_regularization": 1.0,
                **stop_early,
            },
        ),
        Candidate("ExtraTrees", {"n_estimators": 200, "max_features": forest_features, **bounded}),
        Candidate(
            "HistGradientBoosting",
            {
                "learning_rate": 0.1,
                "max_iter": 500,
                "max_leaf_nodes": 63,
                "min_samples_leaf": 40,
                "max_features": 0.5,
                **stop_early,
            },
        ),
        Candidate("RandomForest", {"n_estimators": 200, "max_features": 0.5, "min_samples_leaf": 5, **bounded}),
        linear_strong,
        Candidate(
            "HistGradientBoosting",
            {
                "learning_rate": 0.03,
                "max_iter": 1500,
                "max_leaf_nodes": 31,
                "min_samples_leaf": 10,
                "max_features": 0.5,
                **stop_early,
            },
        ),
    ]


def build_pipeline(schema: ModelSchema, candidate: Candidate, random_state: int = 0, n_jobs: int = 1) -> Pipeline:
    """An unfitted pipeline: coerce → per-column preprocessing → estimator."""
    model = candidate.estimator(schema.problem_type, random_state=random_state, n_jobs=n_jobs)
    return Pipeline([*build_preprocessor(schema, candidate.style), ("model", model)])
