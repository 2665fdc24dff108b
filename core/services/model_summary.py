"""The model summary: held-out metrics, plot frames, leaderboard, training facts and lineage of one version.

Plot frames are recomputed from the stored held-out predictions, so what the page draws is exactly what the
metrics were computed from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from core.entities import Model
from core.services.importance import Importance

METRICS: dict[str, tuple[str, bool, str]] = {  # key -> (label, higher is better, meaning)
    "accuracy": ("Accuracy", True, "Share of held-out rows predicted correctly."),
    "balanced_accuracy": ("Balanced accuracy", True, "Accuracy averaged over classes, so small classes count."),
    "f1": ("F1 (macro)", True, "Balance of precision and recall, averaged over classes."),
    "precision": ("Precision (macro)", True, "Of rows predicted as a class, the share that are it; mean over classes."),
    "recall": ("Recall (macro)", True, "Of the rows of a class, the share predicted as it; mean over classes."),
    "roc_auc": ("ROC AUC", True, "How well the probabilities rank rows of a class above the rest (0.5 = chance)."),
    "log_loss": ("Log loss", False, "Penalty for confident wrong probabilities (0 = perfect)."),
    "rmse": ("RMSE", False, "Typical size of an error, in the target's units; large errors weigh more."),
    "mae": ("MAE", False, "Average absolute error, in the target's units."),
    "r2": ("R²", True, "Share of the target's variation explained (1 = perfect, 0 = predicting the mean)."),
    "mape": ("MAPE", False, "Average error relative to the actual value (0.1 = 10 %)."),
    "mase": ("MASE", False, "Error relative to a seasonal naive forecast (below 1 beats it)."),
    "smape": ("sMAPE", False, "Symmetric percentage error (0 = perfect, 2 = worst)."),
}
CV_METRICS = {"roc_auc": "ROC AUC", "log_loss": "log loss", "r2": "R²"}


@dataclass(frozen=True)
class ModelSummary:
    """Everything the Models page shows about one version; frames are None when they do not apply."""

    model: Model
    holdout: pd.DataFrame  # row, y_true, y_pred (+ probability_<class>): what the metrics come from
    metrics: dict[str, float | None]
    cv_metric: str
    leaderboard: pd.DataFrame
    confusion: pd.DataFrame | None  # actual classes × predicted classes, counts
    per_class: pd.DataFrame | None  # class, precision, recall, f1, support
    roc: pd.DataFrame | None  # class, fpr, tpr, threshold, auc
    pr: pd.DataFrame | None  # class, recall, precision, threshold, average_precision
    residuals: pd.DataFrame | None  # y_true, y_pred, residual
    facts: pd.DataFrame  # fact, value
    lineage: pd.DataFrame  # version, trained (UTC), datasets, training rows, held-out rows
    warnings: list[str]
    importance: Importance | None  # SHAP importance, when computed

    def metrics_frame(self) -> pd.DataFrame:
        """metric, value, better, meaning — for the metrics table and its CSV."""
        rows = []
        for key, value in self.metrics.items():
            label, higher, meaning = METRICS.get(key, (key, True, ""))
            rows.append(
                {"metric": label, "value": value, "better": "higher" if higher else "lower", "meaning": meaning}
            )
        return pd.DataFrame(rows, columns=["metric", "value", "better", "meaning"])


def _plots(model: Model, holdout: pd.DataFrame | None) -> dict[str, pd.DataFrame | None]:
    from core.ml import confusion_frame, per_class_frame, pr_curves, residuals_frame, roc_curves

    empty: dict[str, pd.DataFrame | None] = dict.fromkeys(("confusion", "per_class", "roc", "pr", "residuals"))
    if holdout is None or holdout.empty:
        return empty
    if model.problem_type == "regression":
        return {**empty, "residuals": residuals_frame(holdout)}
    classes = list(model.schema.classes) if model.schema else []
    roc, pr = roc_curves(holdout, classes), pr_curves(holdout, classes)
    if len(classes) == 2:  # both one-vs-rest curves of a binary model tell the same story: keep the positive one
        roc, pr = roc[roc["class"] == str(classes[1])], pr[pr["class"] == str(classes[1])]
    confusion, per_class = confusion_frame(holdout, classes), per_class_frame(holdout, classes)
    return {**empty, "confusion": confusion, "per_class": per_class, "roc": roc, "pr": pr}


def _names(ids: Sequence[str], dataset_names: Mapping[str, str]) -> str:
    return ", ".join(dataset_names.get(i, "(deleted dataset)") for i in ids)


def _facts(model: Model, dataset_names: Mapping[str, str]) -> pd.DataFrame:
    d, schema = model.details, model.schema
    features = model.feature_names
    chosen = d.leaderboard[0] if d.leaderboard else {}
    better = "higher" if METRICS.get(d.cv_metric, ("", True, ""))[1] else "lower"
    facts = {
        "Predictor": f"{model.name} (version {model.version})",
        "Problem type": model.problem_type,
        "Target": model.target,
        "Classes": ", ".join(str(c) for c in schema.classes) if schema else "—",
        "Chosen model": " ".join(
            filter(None, [d.chosen_family or "—", f"({chosen['params']})" if chosen.get("params") else ""])
        ),
        "Selection": f"best {CV_METRICS.get(d.cv_metric, d.cv_metric)} ({better} is better) averaged over "
        "cross-validation folds of the training rows (a single candidate or an ensemble of the best); its fold "
        "models make the model, scored once on the held-out rows"
        if d.cv_metric
        else "—",
        "Search": f"{d.trials} candidates cross-validated" if d.trials else "—",
        "Algorithm": f"{d.algorithm} only (as requested)" if d.algorithm else "—",
        "Dataset": model.dataset_name,
        "Training datasets": _names(model.datasets, dataset_names),
        "Training rows": f"{d.train_rows:,}",
        "Held-out rows": f"{d.holdout_rows:,}" if d.holdout_rows else "—",
        "Feature columns": f"{len(features)}: {', '.join(features)}" if features else "—",
        "Id column (excluded)": (schema.id_column if schema else None) or "—",
        "Continued from": d.parent_label or "—",
        "Training duration": f"{d.duration_s:.1f} s",
        "Trained by": model.owner,
        "Trained (UTC)": f"{model.created_at:%Y-%m-%d %H:%M:%S}",
        "Library versions": " · ".join(f"{k} {v}" for k, v in d.versions.items()),
    }
    shown = {k: v for k, v in facts.items() if v not in ("", "—")}  # what does not apply is left out
    return pd.DataFrame({"fact": list(shown), "value": list(shown.values())})


def _lineage(chain: Sequence[Model], dataset_names: Mapping[str, str]) -> pd.DataFrame:
    rows = [
        {
            "version": m.label,
            "trained (UTC)": f"{m.created_at:%Y-%m-%d %H:%M}",
            "datasets": _names(m.datasets, dataset_names),
            "training rows": m.details.train_rows,
            "held-out rows": m.details.holdout_rows or None,
        }
        for m in chain
    ]
    last = chain[-1].details.parent_label if chain else None
    if last and chain[-1].parent_id is None:  # the parent was deleted: its name is all that is left
        rows.append(
            {
                "version": f"{last} (deleted)",
                "trained (UTC)": "",
                "datasets": "",
                "training rows": None,
                "held-out rows": None,
            }
        )
    return pd.DataFrame(rows, columns=["version", "trained (UTC)", "datasets", "training rows", "held-out rows"])


def _metrics(model: Model, holdout: pd.DataFrame | None) -> dict[str, float | None]:
    """The stored metrics; a classifier trained before precision and recall were stored gets them from its
    held-out predictions (the rows every other metric came from), after F1 as new models have them."""
    metrics = dict(model.metrics)
    if model.problem_type != "classification" or "precision" in metrics or holdout is None or holdout.empty:
        return metrics
    from core.ml import macro_precision_recall

    added = macro_precision_recall(holdout, list(model.schema.classes) if model.schema else [])
    keys = list(metrics)
    at = keys.index("f1") + 1 if "f1" in keys else len(keys)
    return {k: metrics[k] for k in keys[:at]} | added | {k: metrics[k] for k in keys[at:]}


def build_summary(
    holdout: pd.DataFrame | None,
    chain: Sequence[Model],
    dataset_names: Mapping[str, str],
    importance: Importance | None,
) -> ModelSummary:
    """``chain``: the model and its ancestors, newest first; ``dataset_names``: id → name of existing datasets."""
    model = chain[0]
    return ModelSummary(
        model=model,
        holdout=holdout if holdout is not None else pd.DataFrame(columns=["y_true", "y_pred"]),
        metrics=_metrics(model, holdout),
        cv_metric=model.details.cv_metric,
        leaderboard=pd.DataFrame(list(model.details.leaderboard)),
        **_plots(model, holdout),
        facts=_facts(model, dataset_names),
        lineage=_lineage(chain, dataset_names),
        warnings=list(model.details.warnings),
        importance=importance,
    )
