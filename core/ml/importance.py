"""Global SHAP importance: how many rows a model can afford to explain, and the mean |SHAP| per original column.

Split from ``core.ml.explain`` (the per-row explainers): this is the costed, whole-sample use of them that the
importance job and training run."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline
from xgboost import XGBClassifier, XGBRegressor

from core.ml.ensemble import members_of
from core.ml.explain import (
    _LINEAR,
    _TREES,
    AGNOSTIC_ROWS,
    DEFAULT_SAMPLE_ROWS,
    _cached,
    _inner,
    background_sample,
    explainer_for,
    is_tree_model,
)
from core.ml.schema import ModelSchema

IMPORTANCE_SECONDS = 8.0  # global importance of a large tree ensemble explains fewer rows to stay near this
_SECONDS_PER_LEAF_DEPTH = 3e-8  # TreeSHAP time per row per (leaf × depth) of every tree, measured
_MIN_ROWS = 100


def _tree_size(model: Any) -> float:
    """Sum over trees of leaves × depth: TreeSHAP's cost per explained row is proportional to it (LightGBM and
    XGBoost: an upper bound from their settings)."""
    model = _inner(model)
    if isinstance(model, (HistGradientBoostingClassifier, HistGradientBoostingRegressor)):
        nodes = [tree.nodes for per_iteration in model._predictors for tree in per_iteration]
        return float(sum(n["is_leaf"].sum() * max(int(n["depth"].max()), 1) for n in nodes))
    if isinstance(model, (LGBMClassifier, LGBMRegressor)):
        leaves = model.num_leaves
        return float(model.booster_.num_trees() * leaves * max(math.log2(leaves), 1))
    if isinstance(model, (XGBClassifier, XGBRegressor)):
        depth = model.max_depth or 6
        per_round = getattr(model, "n_classes_", 1) if getattr(model, "n_classes_", 2) > 2 else 1
        return float(model.get_booster().num_boosted_rounds() * per_round * 2**depth * depth)
    return float(sum(e.tree_.n_leaves * max(e.tree_.max_depth, 1) for e in model.estimators_))


def importance_rows(pipeline: Pipeline, max_rows: int = DEFAULT_SAMPLE_ROWS) -> int:
    """Rows ``global_importance`` explains: ``max_rows``, fewer for big tree models (so the job stays around
    ``IMPORTANCE_SECONDS``, never under 100 rows) and for model-agnostic explanations."""
    members = [_inner(member[-1]) for member, _ in members_of(pipeline)]
    if any(not isinstance(m, _TREES + _LINEAR) for m in members):
        return min(max_rows, AGNOSTIC_ROWS)
    size = sum(_tree_size(m) for m in members if isinstance(m, _TREES))
    if not size:
        return max_rows
    affordable = int(IMPORTANCE_SECONDS / (_SECONDS_PER_LEAF_DEPTH * size))
    return min(max_rows, max(_MIN_ROWS, affordable))


def global_importance(
    pipeline: Pipeline,
    schema: ModelSchema,
    sample: pd.DataFrame,
    max_rows: int = DEFAULT_SAMPLE_ROWS,
    random_state: int = 0,
    background: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(importance ``[feature, mean_abs_shap]`` largest first, per-row SHAP values on original columns).

    At most ``importance_rows(pipeline, max_rows)`` rows of ``sample`` are explained. Per-row values are
    for the positive class of a binary classifier and for each row's predicted class of a multiclass one;
    importance then averages |value| over rows (and, for multiclass, over classes). Non-tree models are explained
    against ``background`` (the model's stored one), or else a background drawn from ``sample``."""
    max_rows = importance_rows(pipeline, max_rows)
    rows = sample.sample(n=max_rows, random_state=random_state) if len(sample) > max_rows else sample
    rows = rows[schema.feature_names]
    if is_tree_model(pipeline):
        explainer = _cached(pipeline, schema, None)
    else:
        explainer = explainer_for(pipeline, background_sample(sample, schema) if background is None else background)
    Xt = explainer.transform(rows)
    values, _ = explainer.values(Xt)
    n_outputs = values.shape[2]
    if explainer.classify and n_outputs > 2:
        index = explainer.outputs(Xt).argmax(axis=1)
        magnitude = np.abs(values).mean(axis=(0, 2))
    else:
        index = np.full(len(Xt), n_outputs - 1)  # the positive class (or the only output)
        magnitude = np.abs(values[:, :, -1]).mean(axis=0)
    per_row = pd.DataFrame(values[np.arange(len(Xt)), :, index], index=rows.index, columns=explainer.columns)
    importance = (
        pd.DataFrame({"feature": explainer.columns, "mean_abs_shap": magnitude})
        .sort_values("mean_abs_shap", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
    return importance, per_row
