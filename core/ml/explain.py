"""SHAP explanations on the user's original columns.

Tree models get ``shap.TreeExplainer`` (path-dependent: exact, relative to the training rows the trees were
grown on), linear models ``shap.LinearExplainer``, anything else ``shap.KernelExplainer``; those two are relative
to a *background* of training rows stored with the model (``background_sample``), so the base value is the
average model output over it and every input that differs from the background contributes. Models stored before
backgrounds were kept fall back to the schema's typical row (``Explanation.baseline`` says which). Values are
computed on the model's input features and summed back onto the original column each came from (one-hot
columns, date parts, text tokens).

What is explained (``Explanation.output_space``), always for the predicted class of a classifier:
- ``"value"``: the regression prediction;
- ``"probability"``: ``predict_proba`` (random forest, extra trees, model-agnostic explainer, and every model the
  engine trains: they are voting ensembles, see below);
- ``"log-odds"``: the margin (``decision_function``; LightGBM's raw score, XGBoost's output margin) of a binary
  gradient-boosting or logistic model, for the predicted class (the sign is flipped when that class is the first);
- ``"raw score"``: that margin of a multiclass one (the per-class score fed to the softmax).

**Link rescaling.** A model whose explained output is a monotone function of what SHAP explains (a regressor fit on
a Yeo-Johnson transformed target; a boosted or logistic classifier when probabilities are wanted) gets its SHAP
values in the inner space rescaled by one factor per row and output, ``(y − B) / Σφ``, where ``y`` is the model's
actual output and ``B`` the link applied to the inner base value: the contributions keep their proportions and
signs and add up exactly to ``y − B``.

**Ensembles.** The engine's models are a ``VotingClassifier`` / ``VotingRegressor`` over fold models (see
``core.ml.ensemble``). Each member is explained on its own inputs, in probability (classifier) or value space, and
the ensemble's base value and contributions are the weighted sums of the members', so they add up to the ensemble's
weighted-mean output.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import shap
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
    VotingClassifier,
    VotingRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from threadpoolctl import ThreadpoolController
from xgboost import XGBClassifier, XGBRegressor

from core.ml.ensemble import members_of
from core.ml.preprocessing import prep_sources
from core.ml.schema import ModelSchema

_TREES = (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    LGBMClassifier,
    LGBMRegressor,
    XGBClassifier,
    XGBRegressor,
)
_LINEAR = (LogisticRegression, Ridge, LinearRegression)
_PROBABILITY_TREES = (RandomForestClassifier, ExtraTreesClassifier)
_VOTING = (VotingClassifier, VotingRegressor)
BACKGROUND_ROWS = 100  # training rows kept with a model; Kernel SHAP's cost grows with them, LinearExplainer uses 100
AGNOSTIC_EVALS = 500  # coalitions Kernel SHAP evaluates per explained row
AGNOSTIC_ROWS = 100  # global importance of a model-agnostic explanation explains at most this many rows
DEFAULT_SAMPLE_ROWS = 2000
REASON_SLICE_ROWS = 2000  # rows top_reasons explains at once: bounds memory for wide one-hot inputs


@dataclass(frozen=True)
class Explanation:
    """One prediction explained: ``base_value + sum(contributions.values()) == model_output``."""

    prediction: Any
    base_value: float
    contributions: dict[str, float]  # original column -> contribution, in schema order
    model_output: float
    output_space: str  # value | probability | log-odds | raw score (see module docstring)
    explained_class: Any = None
    baseline: str = "training"  # what base_value averages over: training | background | typical row
    background_rows: int = 0  # rows of the background ("background"), else 0


def _inner(model: Any) -> Any:
    """The estimator SHAP explains (a transformed-target regressor's own regressor)."""
    return model.regressor_ if isinstance(model, TransformedTargetRegressor) else model


def _native_space(model: Any) -> str:
    if not hasattr(model, "classes_"):
        return "value"
    if not isinstance(model, _TREES + _LINEAR) or isinstance(model, _PROBABILITY_TREES):
        return "probability"
    return "log-odds" if len(model.classes_) == 2 else "raw score"


def output_space(pipeline: Pipeline) -> str:
    """What the explanations of ``pipeline`` measure (see the module docstring)."""
    model = pipeline[-1]
    if isinstance(model, _VOTING):
        return "probability" if hasattr(model, "classes_") else "value"
    return _native_space(model)


def is_tree_model(pipeline: Pipeline) -> bool:
    """Explained without a background (TreeSHAP on the trees' own training statistics)."""
    return all(isinstance(_inner(model[-1]), _TREES) for model, _ in members_of(pipeline))


def background_sample(frame: pd.DataFrame, schema: ModelSchema, random_state: int = 0) -> pd.DataFrame:
    """At most ``BACKGROUND_ROWS`` training rows (features only) to store with a model."""
    rows = frame[schema.feature_names]
    return rows.sample(n=BACKGROUND_ROWS, random_state=random_state) if len(rows) > BACKGROUND_ROWS else rows


def _margin(model: Any, Xt: np.ndarray) -> np.ndarray:
    """A classifier's margin: what its TreeSHAP / LinearSHAP values add up to."""
    if isinstance(model, LGBMClassifier):
        return np.asarray(model.predict(Xt, raw_score=True))
    if isinstance(model, XGBClassifier):
        return np.asarray(model.predict(Xt, output_margin=True))
    return np.asarray(model.decision_function(Xt))


def _rescale(values: np.ndarray, output: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Contributions in the output space: each row's inner values scaled by ``(output − base) / Σ values``."""
    total = values.sum(axis=1)
    factor = np.divide(output - base, total, out=np.zeros_like(total), where=np.abs(total) > 1e-12)
    return values * factor[:, None, :]


class _Model:
    """SHAP values of one fitted estimator on its own input matrix, in its native space or (``probability``)
    in probabilities, mapped onto original columns by ``to_columns``."""

    def __init__(self, model: Any, to_columns: np.ndarray, background: np.ndarray | None, probability: bool) -> None:
        self.model, self.inner, self.to_columns = model, _inner(model), to_columns
        self.classify = hasattr(model, "classes_")
        self.native = native = _native_space(self.inner)
        self.output_space = "probability" if probability and self.classify else native
        self.transformed = self.inner is not model
        self.kind = (
            "tree" if isinstance(self.inner, _TREES) else "linear" if isinstance(self.inner, _LINEAR) else "agnostic"
        )
        if self.kind == "tree":
            self.shap: Any = shap.TreeExplainer(self.inner)
        elif background is None:
            raise ValueError("a background sample is needed to explain a non-tree model")
        elif self.kind == "linear":  # exact for up to 100 background rows (shap's Independent masker keeps 100)
            self.shap = shap.LinearExplainer(self.inner, background)
        else:  # Kernel SHAP: additive by construction, and no JIT compilation on first use
            self.shap = shap.KernelExplainer(self._native_function, background)

    def _native_function(self, Xt: np.ndarray) -> np.ndarray:
        if not self.classify:
            return self.inner.predict(Xt)
        return self.inner.predict_proba(Xt) if self.native == "probability" else _margin(self.inner, Xt)

    def outputs(self, Xt: np.ndarray) -> np.ndarray:
        """The explained output, shape (rows, outputs)."""
        if self.transformed or self.output_space == "probability":
            out = self.model.predict_proba(Xt) if self.classify else self.model.predict(Xt)
        else:
            out = self._native_function(Xt)
        out = np.asarray(out, dtype="float64")
        return out.reshape(len(Xt), -1)

    def values(self, Xt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(SHAP values on original columns, shape (rows, columns, outputs); base values, shape (rows, outputs))."""
        if self.kind == "agnostic":
            raw = self.shap.shap_values(Xt, nsamples=AGNOSTIC_EVALS, silent=True)
        elif self.kind == "tree":
            raw = self.shap.shap_values(Xt, check_additivity=False)
        else:
            raw = self.shap.shap_values(Xt)
        raw = np.asarray(raw, dtype="float64")
        if raw.ndim == 2:
            raw = raw[:, :, None]
        values = np.einsum("rfo,fc->rco", raw, self.to_columns)
        base = np.broadcast_to(
            np.asarray(self.shap.expected_value, dtype="float64").reshape(1, -1), (len(Xt), raw.shape[2])
        )
        if self.output_space == self.native and not self.transformed:
            return values, base
        if self.transformed:  # a regressor on a transformed target: back to the target's units
            link = self.model.transformer_.inverse_transform(base[:1].reshape(-1, 1)).reshape(1, -1)
            target_base = np.broadcast_to(link, base.shape)
            return _rescale(values, self.outputs(Xt), target_base), target_base
        if values.shape[2] == 1:  # binary margin -> probabilities of both classes
            p = 1.0 / (1.0 + np.exp(-base[:1]))
            scaled = _rescale(values, self.outputs(Xt)[:, 1:], np.broadcast_to(p, base.shape))
            target_base = np.broadcast_to(np.hstack([1 - p, p]), (len(Xt), 2))
            return np.concatenate([-scaled, scaled], axis=2), target_base
        shifted = np.exp(base[:1] - base[:1].max())  # multiclass raw scores -> softmax
        target_base = np.broadcast_to(shifted / shifted.sum(), base.shape)
        return _rescale(values, self.outputs(Xt), target_base), target_base


class Explainer:
    """SHAP explanations bound to one fitted pipeline (a single model or a voting ensemble of members, each with
    its own ``prep``); reuse it, construction is the slow part."""

    def __init__(
        self, pipeline: Pipeline, background: pd.DataFrame | None = None, baseline: str = "background"
    ) -> None:
        self.model = pipeline[-1]
        self.ensemble = isinstance(self.model, _VOTING)
        # Rows go through the engine steps ahead of ``prep`` (``check_input`` already coerced: then it is skipped),
        # then through each member's ``prep`` (a single model's is the pipeline's own).
        self.head = [step for _, step in pipeline.steps[:-2]]
        self.classify = hasattr(self.model, "classes_")
        self.columns = list(pipeline.named_steps["coerce"].kinds)
        self.output_space = output_space(pipeline)
        tree = is_tree_model(pipeline)
        if not tree and (background is None or background.empty):
            raise ValueError("a background sample is needed to explain a non-tree model")
        self.baseline, self.background_rows = "training", 0
        heads = None
        if not tree:
            assert background is not None
            self.baseline, self.background_rows = baseline, len(background) if baseline == "background" else 0
            heads = self._head(background)
        self.members: list[tuple[Any, _Model, float]] = []
        shared: dict[int, np.ndarray | None] = {}
        for member, weight in members_of(pipeline):
            prep = member.named_steps["prep"]
            to_columns = (np.asarray(prep_sources(prep, self.columns))[:, None] == np.asarray(self.columns)).astype(
                float
            )
            if id(prep) not in shared:
                shared[id(prep)] = None if heads is None else np.asarray(prep.transform(heads), dtype="float64")
            self.members.append((prep, _Model(member[-1], to_columns, shared[id(prep)], self.ensemble), weight))
        self.kind = self.members[0][1].kind if len(self.members) == 1 else "ensemble"

    def _head(self, rows: pd.DataFrame, coerced: bool = False) -> Any:
        for step in self.head[1:] if coerced else self.head:
            rows = step.transform(rows)
        return rows

    def transform(self, rows: pd.DataFrame, coerced: bool = False) -> Any:
        """The rows as the members' ``prep`` steps read them (for a single model: its input matrix)."""
        out = self._head(rows, coerced)
        if self.ensemble:
            return out
        return np.asarray(self.members[0][0].transform(out), dtype="float64")

    def _each(self, inputs: Any) -> list[tuple[_Model, float, np.ndarray]]:
        if not self.ensemble:
            return [(self.members[0][1], 1.0, inputs)]
        cache: dict[int, np.ndarray] = {}
        out = []
        for prep, model, weight in self.members:
            if id(prep) not in cache:
                cache[id(prep)] = np.asarray(prep.transform(inputs), dtype="float64")
            out.append((model, weight, cache[id(prep)]))
        return out

    def outputs(self, inputs: Any) -> np.ndarray:
        """The explained model output, shape (rows, outputs)."""
        return sum(w * m.outputs(Xt) for m, w, Xt in self._each(inputs))  # type: ignore[return-value]

    def values(self, inputs: Any) -> tuple[np.ndarray, np.ndarray]:
        """(SHAP values on original columns, shape (rows, columns, outputs); base values, shape (rows, outputs))."""
        total_values: Any = 0.0
        total_base: Any = 0.0
        for model, weight, Xt in self._each(inputs):
            values, base = model.values(Xt)
            total_values, total_base = total_values + weight * values, total_base + weight * base
        return np.asarray(total_values), np.asarray(total_base)


_CACHE: weakref.WeakKeyDictionary[Pipeline, Explainer] = weakref.WeakKeyDictionary()


@cache
def _threads() -> ThreadpoolController:
    """Built once: entering ``threadpool_limits`` rescans the loaded libraries, ~3 ms per call."""
    return ThreadpoolController()


def explainer_for(pipeline: Pipeline, background: pd.DataFrame | None = None) -> Explainer:
    """A new explainer; ``background`` (raw input rows) is required for non-tree models."""
    return Explainer(pipeline, background)


def _cached(pipeline: Pipeline, schema: ModelSchema, background: pd.DataFrame | None) -> Explainer:
    """One explainer per pipeline object (a loaded model file, whose stored background never changes); without
    a background, non-tree models fall back to the schema's typical row."""
    explainer = _CACHE.get(pipeline)
    if explainer is None:
        if background is None and not is_tree_model(pipeline):
            explainer = Explainer(pipeline, pd.DataFrame([schema.defaults()]), baseline="typical row")
        else:
            explainer = Explainer(pipeline, background)
        _CACHE[pipeline] = explainer
    return explainer


def _class_slot(explainer: Explainer, n_outputs: int, class_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(output column, sign) per row that explains the given class (binary log-odds: class 0 is −score)."""
    if n_outputs > 1:
        return class_index, np.ones(len(class_index))
    if explainer.classify:
        return np.zeros(len(class_index), dtype=int), np.where(class_index == 1, 1.0, -1.0)
    return np.zeros(len(class_index), dtype=int), np.ones(len(class_index))


def explain_one(
    pipeline: Pipeline,
    schema: ModelSchema,
    row: pd.DataFrame,
    background: pd.DataFrame | None = None,
    coerced: bool = False,
) -> Explanation:
    """Explain the prediction for the first row of ``row`` (raw input columns).

    The explainer is cached per pipeline object, so repeated form predictions only pay for one SHAP pass.
    Linear and model-agnostic explanations are relative to the model's stored ``background`` (missing: the
    schema's typical row); tree explanations need none and are relative to the training data. ``coerced``: the
    row comes from ``check_input`` (its per-value coercion is the slowest step; it is not repeated)."""
    explainer = _cached(pipeline, schema, background)
    with _threads().limit(limits=1):  # one row: OpenMP threads only add synchronisation latency
        Xt = explainer.transform(row.iloc[:1][schema.feature_names], coerced)
        values, base = explainer.values(Xt)
        outputs = explainer.outputs(Xt)
    if explainer.classify:  # the predicted class, as predict() picks it, from the outputs already computed
        index = (outputs[:, 0] > 0).astype(int) if outputs.shape[1] == 1 else outputs.argmax(axis=1)
        prediction = explainer.model.classes_[index]
    else:
        index, prediction = np.zeros(1, dtype=int), outputs[:, 0]
    slot, sign = _class_slot(explainer, values.shape[2], index)
    label = prediction[0].item() if isinstance(prediction[0], np.generic) else prediction[0]
    return Explanation(
        prediction=label,
        base_value=float(base[0, slot[0]] * sign[0]),
        contributions=dict(zip(explainer.columns, (values[0, :, slot[0]] * sign[0]).tolist(), strict=True)),
        model_output=float(outputs[0, slot[0]] * sign[0]),
        output_space=explainer.output_space,
        explained_class=label if explainer.classify else None,
        baseline=explainer.baseline,
        background_rows=explainer.background_rows,
    )


def top_reasons(
    pipeline: Pipeline,
    schema: ModelSchema,
    rows: pd.DataFrame,
    predictions: pd.Series,
    k: int,
    background: pd.DataFrame | None = None,
    slice_rows: int = REASON_SLICE_ROWS,
    coerced: bool = False,
) -> pd.DataFrame:
    """``reason_1..k`` for every row of ``rows``: the columns that pushed its prediction most, with their SHAP value
    (for the predicted class of a classifier), e.g. ``"petal_length_cm (+0.42)"``; "" for a zero contribution.

    Unlike ``global_importance`` no row is left out, whatever the model's size (callers cap the rows: TreeSHAP
    of a big forest is slow). Explanations are relative to the same baseline as ``explain_one``'s; ``coerced`` as
    there."""
    explainer = _cached(pipeline, schema, background)
    classes = pd.Index(explainer.model.classes_) if explainer.classify else None
    parts = []
    for start in range(0, len(rows), slice_rows):
        Xt = explainer.transform(rows.iloc[start : start + slice_rows][schema.feature_names], coerced)
        values, _ = explainer.values(Xt)
        if classes is None:
            index = np.zeros(len(Xt), dtype=int)
        else:
            index = classes.get_indexer(predictions.iloc[start : start + slice_rows])
        slot, sign = _class_slot(explainer, values.shape[2], index)
        parts.append(values[np.arange(len(Xt)), :, slot] * sign[:, None])
    contributions = np.concatenate(parts) if parts else np.empty((0, len(explainer.columns)))
    order = np.argsort(-np.abs(contributions), axis=1, kind="stable")
    names = np.asarray(explainer.columns, dtype=object)
    labels = np.full((len(contributions), k), "", dtype=object)  # a model with fewer columns leaves blanks
    for j in range(min(k, len(names))):
        picked = contributions[np.arange(len(contributions)), order[:, j]]
        labels[:, j] = [f"{n} ({v:+.3g})" if v != 0 else "" for n, v in zip(names[order[:, j]], picked, strict=True)]
    return pd.DataFrame(labels, index=rows.index, columns=[f"reason_{j + 1}" for j in range(k)])
