"""The model summary: held-out metrics, plot frames, leaderboard, training facts and lineage of one version.

Plot frames are recomputed from the stored held-out predictions, so what the page draws is exactly what the
metrics were computed from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.entities import Model

METRICS: dict[str, tuple[str, bool, str]] = {  # key -> (label, higher is better, meaning)
    "accuracy": ("Accuracy", True, "Share of held-out rows predicted correctly."),
    "balanced_accuracy": ("Balanced accuracy", True, "Accuracy averaged over classes, so small classes count."),
    "f1": ("F1 (macro)", True, "Balance of precision and recall, averaged over classes."),
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
    metrics: dict[str, float | None]
    cv_metric: str
    leaderboard: pd.DataFrame
    confusion: pd.DataFrame | None  # actual classes × predicted classes, counts
    roc: pd.DataFrame | None  # class, fpr, tpr, threshold, auc
    pr: pd.DataFrame | None  # class, recall, precision, threshold, average_precision
    residuals: pd.DataFrame | None  # y_true, y_pred, residual
    facts: pd.DataFrame  # fact, value
    lineage: pd.DataFrame  # version, trained (UTC), datasets, training rows, held-out rows
    warnings: list[str]

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
    from core.ml import confusion_frame, pr_curves, residuals_frame, roc_curves

    empty: dict[str, pd.DataFrame | None] = {"confusion": None, "roc": None, "pr": None, "residuals": None}
    if holdout is None or holdout.empty:
        return empty
    if model.problem_type == "regression":
        return {**empty, "residuals": residuals_frame(holdout)}
    classes = list(model.schema.get("classes") or [])
    roc, pr = roc_curves(holdout, classes), pr_curves(holdout, classes)
    if len(classes) == 2:  # both one-vs-rest curves of a binary model tell the same story: keep the positive one
        roc, pr = roc[roc["class"] == str(classes[1])], pr[pr["class"] == str(classes[1])]
    return {**empty, "confusion": confusion_frame(holdout, classes), "roc": roc, "pr": pr}


def _names(ids: Sequence[str], dataset_names: Mapping[str, str]) -> str:
    return ", ".join(dataset_names.get(i, "(deleted dataset)") for i in ids)


def _facts(model: Model, dataset_names: Mapping[str, str]) -> pd.DataFrame:
    d, schema = model.details, model.schema
    features = [f["name"] for f in schema.get("features", [])]
    board = d.get("leaderboard") or []
    chosen = board[0] if board else {}
    cv = d.get("cv_metric", "")
    better = "higher" if METRICS.get(cv, ("", True, ""))[1] else "lower"
    parent = d.get("parent") or {}
    facts = {
        "Predictor": f"{model.name} (version {model.version})",
        "Problem type": model.problem_type,
        "Target": model.target,
        "Classes": ", ".join(str(c) for c in schema.get("classes") or []) or "—",
        "Chosen model": " ".join(
            filter(None, [d.get("chosen_family", "—"), f"({chosen['params']})" if chosen.get("params") else ""])
        ),
        "Selection": f"best {CV_METRICS.get(cv, cv)} ({better} is better) averaged over cross-validation folds "
        "of the training rows; refit on them, then scored once on the held-out rows"
        if cv
        else "—",
        "Dataset": model.dataset_name,
        "Training datasets": _names(d.get("training_datasets") or [model.dataset_id], dataset_names),
        "Training rows": f"{d.get('train_rows', 0):,}",
        "Held-out rows": f"{d['holdout_rows']:,}" if d.get("holdout_rows") else "—",
        "Feature columns": f"{len(features)}: {', '.join(features)}" if features else "—",
        "Id column (excluded)": schema.get("id_column") or "—",
        "Continued from": parent.get("label", "—"),
        "Training duration": f"{d.get('duration_s', 0):.1f} s",
        "Trained by": model.owner,
        "Trained (UTC)": f"{model.created_at:%Y-%m-%d %H:%M:%S}",
        "Library versions": " · ".join(f"{k} {v}" for k, v in (d.get("versions") or {}).items()),
    }
    shown = {k: v for k, v in facts.items() if v not in ("", "—")}  # what does not apply is left out
    return pd.DataFrame({"fact": list(shown), "value": list(shown.values())})


def _lineage(chain: Sequence[Model], dataset_names: Mapping[str, str]) -> pd.DataFrame:
    rows = [
        {
            "version": m.label,
            "trained (UTC)": f"{m.created_at:%Y-%m-%d %H:%M}",
            "datasets": _names(m.details.get("training_datasets") or [m.dataset_id], dataset_names),
            "training rows": m.details.get("train_rows"),
            "held-out rows": m.details.get("holdout_rows"),
        }
        for m in chain
    ]
    last = (chain[-1].details.get("parent") or {}) if chain else {}
    if last and chain[-1].parent_id is None:  # the parent was deleted: its name is all that is left
        rows.append(
            {
                "version": f"{last.get('label')} (deleted)",
                "trained (UTC)": "",
                "datasets": "",
                "training rows": None,
                "held-out rows": None,
            }
        )
    return pd.DataFrame(rows, columns=["version", "trained (UTC)", "datasets", "training rows", "held-out rows"])


def build_summary(
    model: Model, holdout: pd.DataFrame | None, chain: Sequence[Model], dataset_names: Mapping[str, str]
) -> ModelSummary:
    """``chain``: the model and its ancestors, newest first; ``dataset_names``: id → name of existing datasets."""
    details: dict[str, Any] = model.details
    board = pd.DataFrame(details.get("leaderboard") or [])
    return ModelSummary(
        model=model,
        metrics=dict(model.metrics),
        cv_metric=str(details.get("cv_metric", "")),
        leaderboard=board,
        **_plots(model, holdout),
        facts=_facts(model, dataset_names),
        lineage=_lineage(chain, dataset_names),
        warnings=list(details.get("warnings") or []),
    )
