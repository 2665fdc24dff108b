"""Held-out metrics and the small frames behind the summary plots (confusion matrix, ROC / PR, residuals).

Every function reads the holdout frame layout: ``y_true``, ``y_pred`` and, for classifiers, one
``probability_<class>`` column per class in the model's class order."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn import metrics as skm

SELECTION_METRICS = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "r2"}
GREATER_IS_BETTER = {"roc_auc": True, "log_loss": False, "r2": True}
_CURVE_POINTS = 200


def probability_column(label: Any) -> str:
    return f"probability_{label}"


def selection_metric(problem_type: str, n_classes: int) -> str:
    """The cross-validation metric: ROC AUC (binary), log loss (multiclass), R² (regression)."""
    if problem_type == "regression":
        return SELECTION_METRICS["regression"]
    return SELECTION_METRICS["binary" if n_classes == 2 else "multiclass"]


def score(metric: str, y_true: np.ndarray, output: np.ndarray, classes: Sequence[Any]) -> float:
    """``metric`` of predictions (regression) or class probabilities in ``classes`` order."""
    if metric == "r2":
        return float(skm.r2_score(y_true, output))
    if metric == "log_loss":
        return float(skm.log_loss(y_true, _probabilities(output), labels=list(classes)))
    if metric == "roc_auc":
        return _roc_auc(y_true, output, classes)
    raise ValueError(f"unknown metric {metric!r}")


def code_score(metric: str, codes: np.ndarray, output: np.ndarray) -> float:
    """``score`` for class codes 0..k-1 (or regression targets), without scikit-learn's input validation: the
    search and the ensemble selection call it thousands of times on arrays they built themselves."""
    if metric == "r2":
        total = float(np.sum((codes - codes.mean()) ** 2))
        return score(metric, codes, output, ()) if total == 0 else 1.0 - float(np.sum((codes - output) ** 2)) / total
    if metric == "log_loss":
        eps = np.finfo(output.dtype).eps
        picked = np.clip(output[np.arange(len(codes)), codes.astype(int)], eps, 1 - eps)
        return float(-np.mean(np.log(picked)))
    if metric == "roc_auc" and output.ndim == 2 and output.shape[1] == 2:
        positive = codes == 1
        n_pos, n_neg = int(positive.sum()), int((~positive).sum())
        if not n_pos or not n_neg:
            return float("nan")
        ranks = rankdata(output[:, 1])
        return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
    return score(metric, codes, output, range(output.shape[1]) if output.ndim == 2 else ())


def _probabilities(output: np.ndarray) -> np.ndarray:
    """Probabilities inside [0, 1]: a weighted mean of several models' can exceed 1 by a rounding error."""
    return np.clip(output, 0.0, 1.0)


def _roc_auc(y_true: np.ndarray, proba: np.ndarray, classes: Sequence[Any]) -> float:
    present = np.isin(np.asarray(classes), y_true)
    if present.sum() < 2:
        return float("nan")
    if len(classes) == 2:
        return float(skm.roc_auc_score(y_true == classes[1], proba[:, 1]))
    if not present.all():  # one-vs-rest AUC is undefined for a class absent from the held-out rows
        return float("nan")
    return float(skm.roc_auc_score(y_true, proba, multi_class="ovr", labels=list(classes)))


def _number(value: float) -> float | None:
    return None if not np.isfinite(value) else float(value)


def holdout_metrics(holdout: pd.DataFrame, problem_type: str, classes: Sequence[Any] = ()) -> dict[str, float | None]:
    """Classification: accuracy, balanced_accuracy, f1, precision and recall (macro: the mean over classes),
    roc_auc (ovr), log_loss; regression: rmse, mae, r2, mape (over rows whose actual value is not 0).
    Undefined values (e.g. AUC with one class present) are None."""
    y_true, y_pred = holdout["y_true"].to_numpy(), holdout["y_pred"].to_numpy()
    if problem_type == "regression":
        return {
            "rmse": _number(float(np.sqrt(skm.mean_squared_error(y_true, y_pred)))),
            "mae": _number(float(skm.mean_absolute_error(y_true, y_pred))),
            "r2": _number(float(skm.r2_score(y_true, y_pred))),
            "mape": _mape(y_true, y_pred),
        }
    proba = _probabilities(holdout[[probability_column(c) for c in classes]].to_numpy())
    with warnings.catch_warnings():  # a class absent from the held-out rows makes sklearn warn, not fail
        warnings.simplefilter("ignore", UserWarning)
        return {
            "accuracy": _number(float(skm.accuracy_score(y_true, y_pred))),
            "balanced_accuracy": _number(float(skm.balanced_accuracy_score(y_true, y_pred))),
            "f1": _number(float(skm.f1_score(y_true, y_pred, average="macro", labels=list(classes)))),
            **macro_precision_recall(holdout, classes),
            "roc_auc": _number(_roc_auc(y_true, proba, classes)),
            "log_loss": _number(float(skm.log_loss(y_true, proba, labels=list(classes)))),
        }


def macro_precision_recall(holdout: pd.DataFrame, classes: Sequence[Any]) -> dict[str, float | None]:
    """Precision and recall averaged over ``classes`` (a class never predicted has precision 0)."""
    frame = per_class_frame(holdout, classes)
    return {key: _number(float(frame[key].mean())) if len(frame) else None for key in ("precision", "recall")}


def per_class_frame(holdout: pd.DataFrame, classes: Sequence[Any]) -> pd.DataFrame:
    """class, precision, recall, f1, support (held-out rows of the class): one row per class of the model."""
    labels = list(classes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        precision, recall, f1, support = skm.precision_recall_fscore_support(  # arrays: no dataframe checks
            holdout["y_true"].to_numpy(), holdout["y_pred"].to_numpy(), labels=labels, zero_division=0
        )
    return pd.DataFrame(
        {"class": [str(c) for c in labels], "precision": precision, "recall": recall, "f1": f1, "support": support}
    )


def _mape(y_true: np.ndarray, y_pred: np.ndarray) -> float | None:
    """Mean absolute percentage error; rows with an actual 0 have no percentage and are left out."""
    nonzero = y_true != 0
    if not nonzero.any():
        return None
    return _number(float(skm.mean_absolute_percentage_error(y_true[nonzero], y_pred[nonzero])))


def confusion_frame(holdout: pd.DataFrame, classes: Sequence[Any]) -> pd.DataFrame:
    """Counts with actual classes as rows and predicted classes as columns (ready for ``px.imshow``)."""
    matrix = skm.confusion_matrix(holdout["y_true"], holdout["y_pred"], labels=list(classes))
    labels = [str(c) for c in classes]
    frame = pd.DataFrame(matrix, index=pd.Index(labels, name="actual"), columns=pd.Index(labels, name="predicted"))
    return frame


def _thin(frame: pd.DataFrame) -> pd.DataFrame:
    """At most ``_CURVE_POINTS`` evenly spaced points per curve (keeps the first and last)."""
    if len(frame) <= _CURVE_POINTS:
        return frame
    keep = np.unique(np.linspace(0, len(frame) - 1, _CURVE_POINTS).round().astype(int))
    return frame.iloc[keep]


def _one_vs_rest(holdout: pd.DataFrame, classes: Sequence[Any]) -> list[tuple[Any, np.ndarray, np.ndarray]]:
    """(class, is-this-class, probability) for every class present in the held-out rows."""
    y_true = holdout["y_true"].to_numpy()
    return [(c, y_true == c, holdout[probability_column(c)].to_numpy()) for c in classes if (y_true == c).any()]


def roc_curves(holdout: pd.DataFrame, classes: Sequence[Any]) -> pd.DataFrame:
    """One-vs-rest ROC curve per class: columns class, fpr, tpr, threshold, auc."""
    parts = []
    for label, positive, proba in _one_vs_rest(holdout, classes):
        if positive.all():
            continue
        fpr, tpr, thresholds = skm.roc_curve(positive, proba)
        curve = pd.DataFrame({"fpr": fpr, "tpr": tpr, "threshold": thresholds})
        parts.append(_thin(curve).assign(**{"class": str(label), "auc": skm.auc(fpr, tpr)}))
    return _stack(parts, ["class", "fpr", "tpr", "threshold", "auc"])


def pr_curves(holdout: pd.DataFrame, classes: Sequence[Any]) -> pd.DataFrame:
    """One-vs-rest precision-recall curve per class: columns class, recall, precision, threshold, average_precision."""
    parts = []
    for label, positive, proba in _one_vs_rest(holdout, classes):
        precision, recall, thresholds = skm.precision_recall_curve(positive, proba)
        curve = pd.DataFrame({"recall": recall, "precision": precision, "threshold": np.append(thresholds, np.nan)})
        ap = skm.average_precision_score(positive, proba)
        parts.append(_thin(curve).assign(**{"class": str(label), "average_precision": ap}))
    return _stack(parts, ["class", "recall", "precision", "threshold", "average_precision"])


def residuals_frame(holdout: pd.DataFrame, max_points: int = 5000) -> pd.DataFrame:
    """Predicted vs actual with residual (actual − predicted), sampled down to ``max_points`` rows."""
    frame = pd.DataFrame({"y_true": holdout["y_true"].astype(float), "y_pred": holdout["y_pred"].astype(float)})
    frame["residual"] = frame["y_true"] - frame["y_pred"]
    return frame.sample(n=max_points, random_state=0) if len(frame) > max_points else frame


def _stack(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)
