"""What a problem's learning task does with rows (issue 19): fit one family
with fixed settings (no search: every task of an algorithm is trained the same way), predict test rows and score
them with the problem's metric, exactly as the model summary computes it on held-out rows."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm
from sklearn.pipeline import Pipeline

from core.errors import InvalidInput, Problem
from core.ml.candidates import Candidate, allowed_families, build_pipeline, portfolio
from core.ml.metrics import holdout_metrics, probability_column
from core.ml.problem import prepare_target
from core.ml.schema import ModelSchema
from core.ml.selection import predict_proba_aligned

MAX_SETTINGS = 20


def candidate(algorithm: str, problem_type: str, settings: Mapping[str, Any]) -> Candidate:
    """One family (an ``ALGORITHMS`` name) with its default configuration, ``settings`` replacing parameters;
    a parameter the estimator does not have, or a value it refuses, is InvalidInput now, not in a task."""
    families = allowed_families(problem_type, [algorithm])
    if not families:
        raise InvalidInput(f"{algorithm} has no {problem_type} model.", [Problem("no such model", field="algorithm")])
    if len(settings) > MAX_SETTINGS:
        raise InvalidInput(f"At most {MAX_SETTINGS} settings.", [Problem("too many", field="settings")])
    base = portfolio(problem_type, families[:1])[0]
    if base.family == "XGBoost" and problem_type == "classification":  # it needs class codes, not labels
        raise InvalidInput(
            "XGBoost classifiers train through the search: use kind 'auto' with algorithm 'xgboost'.",
            [Problem("use auto", field="algorithm")],
        )
    known = set(Candidate(base.family, base.params).estimator(problem_type).get_params())
    unknown = sorted(set(settings) - (known - {"random_state", "n_jobs"}))
    if unknown:
        raise InvalidInput(
            f"{base.family} has no setting {', '.join(unknown)}.",
            [Problem("unknown setting", field=name) for name in unknown],
        )
    chosen = Candidate(base.family, {**base.params, **settings})
    estimator = chosen.estimator(problem_type)
    for name, value in settings.items():
        if not isinstance(value, str | int | float | bool) and value is not None:
            raise InvalidInput(
                "Settings are numbers, text, true / false or null.", [Problem("not a value", field=name)]
            )
    try:
        estimator._validate_params()  # scikit-learn's own check of every parameter's type and range
    except (ValueError, TypeError) as exc:
        raise InvalidInput(
            f"A setting of {base.family} is not valid: {exc}", [Problem("invalid", field="settings")]
        ) from None
    except AttributeError:  # LightGBM / XGBoost check when they fit
        pass
    return chosen


def training_rows(frame: pd.DataFrame, schema: ModelSchema) -> tuple[pd.DataFrame, pd.Series]:
    """Features and target of the rows whose target is known."""
    y = prepare_target(frame[schema.target], schema.problem_type)
    return frame.loc[y.index, schema.feature_names], y


def fit(frame: pd.DataFrame, schema: ModelSchema, chosen: Candidate, random_state: int = 0) -> Pipeline:
    """The candidate's pipeline fitted on every row (no hold-out: the problem's test data scores it)."""
    X, y = training_rows(frame, schema)
    if schema.problem_type == "classification" and y.nunique() < 2:
        raise InvalidInput("This mini-batch has a single class; a classifier needs two.")
    pipeline = build_pipeline(schema, chosen, random_state=random_state)
    return pipeline.fit(X, y)


def refit(template: Pipeline, frame: pd.DataFrame, schema: ModelSchema) -> Pipeline:
    """A trained model's setup (its estimators, unfitted) fitted again on these rows."""
    from sklearn.base import clone

    X, y = training_rows(frame, schema)
    return clone(template).fit(X, y)


def predict(pipeline: Pipeline, schema: ModelSchema, frame: pd.DataFrame, classes: Sequence[Any]) -> pd.DataFrame:
    """``y_pred`` (+ ``probability_<class>`` in ``classes`` order: a class the model never saw gets 0)."""
    X = frame[schema.feature_names]
    if schema.problem_type == "regression":
        from core.ml.ensemble import predict_output

        return pd.DataFrame({"y_pred": np.asarray(predict_output(pipeline, X), dtype="float64")}, index=frame.index)
    proba = predict_proba_aligned(pipeline, X, tuple(classes))
    out = pd.DataFrame({"y_pred": np.asarray(classes, dtype=object)[proba.argmax(axis=1)]}, index=frame.index)
    for j, label in enumerate(classes):
        out[probability_column(label)] = proba[:, j]
    return out


def score(
    y_true: pd.Series, predicted: pd.DataFrame, problem_type: str, metric: str, classes: Sequence[Any]
) -> float | None:
    """The metric of predictions against the known targets (rows without one are left out); None when it is
    undefined (e.g. ROC AUC with one class present)."""
    y = prepare_target(y_true, problem_type)
    holdout = predicted.loc[y.index].assign(y_true=y.to_numpy())
    if problem_type == "regression":
        return holdout_metrics(holdout, problem_type).get(metric)
    holdout["y_pred"] = holdout["y_pred"].astype(y.dtype) if len(y) else holdout["y_pred"]
    labels = list(classes)
    if metric in ("accuracy", "balanced_accuracy", "f1"):  # what holdout_metrics computes, without the rest
        # Arrays, as holdout_metrics passes them: scikit-learn reads a Series through its dataframe checks first
        # (2-4 times the time of the metric on a mini-batch; a task scores every one of its mini-batches).
        truth, guess = holdout["y_true"].to_numpy(), holdout["y_pred"].to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            value = {
                "accuracy": lambda: skm.accuracy_score(truth, guess),
                "balanced_accuracy": lambda: skm.balanced_accuracy_score(truth, guess),
                "f1": lambda: skm.f1_score(truth, guess, average="macro", labels=labels),
            }[metric]()
        return float(value) if np.isfinite(value) else None
    return holdout_metrics(holdout, problem_type, labels).get(metric)
