"""One attribution verdict from the per-model rankings: a ranked family list, a calibrated confidence, and
**unknown family** when nothing in the library is close enough.

Each family that some model ranks among its ``TOP_K`` is a candidate, described per model by its score, its
score relative to that model's best, its rank and its lead over the best other family (see ``candidates``).
A logistic model over these features scores candidates (fitted on leave-one-out results over the reference
library: each reference queried with itself hidden, its family as the label). Models that are not applicable
(or failed) give zeros: they do not vote. A second logistic model turns the best candidate's features (its
logit, its lead over the next, how many models agree, its per-model features) into the probability that the
answer is right; it is fitted on the same leave-one-out answers *and* on leave-one-family-out answers (each
reference queried with its whole family hidden, where any answer is wrong), weighted equally. Below the
threshold the verdict is unknown family; the threshold is the confidence under which ``UNKNOWN_SHARE`` of the
leave-one-family-out answers fall (the open-set promise: a family the library lacks is called unknown that
often), so known families lose as few right answers as that promise allows (0.5, the balanced choice, withheld
one right answer in six on Debian's packages).

Both models are fitted on standardised features and stored as plain coefficients on the raw ones, with the
threshold, as JSON with the index revision (``ReferenceIndex.consensus``).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from core.attribution.features import ReferenceFeatures
from core.attribution.function_model import FunctionSimilarityModel
from core.attribution.library import ReferenceIndex
from core.attribution.models import FUNCTION_MODEL, STRINGS_MODEL, TLSH_MODEL, percent
from core.attribution.strings_model import StringFeatures, StringsModel
from core.attribution.tlsh_model import TlshModel
from core.progress import NullContext, TaskContext

CONSENSUS_MODEL = "consensus"
VERSION = "1.0"
VOTERS = (FUNCTION_MODEL, STRINGS_MODEL, TLSH_MODEL)
TOP_K = 5
THRESHOLD = 0.5  # uncalibrated libraries, and consensus fitted before the threshold was
UNKNOWN_SHARE = 0.90  # of leave-one-family-out answers below the threshold: the open-set target
THRESHOLD_FOLDS = 5
MIN_CALIBRATION = 30  # leave-one-out answers below which a fitted confidence is a coin flip: defaults are used
MAX_CALIBRATION = 1500  # references queried when fitting (spread over families): bounds the index build time
Rankings = dict[str, list[tuple[str, float]] | None]  # model -> families best first (None: does not vote)
_PHASE_2 = (FunctionSimilarityModel(), StringsModel(), TlshModel())
_FEATURES_PER_MODEL = 5
_PRODUCTS = 6


def candidates(rankings: Rankings) -> tuple[list[str], np.ndarray]:
    """Candidate families and their features: per voter its score, score ÷ the model's best, first choice,
    1 ÷ rank and lead over the best other family; then products that let one model's confidence weigh
    another's answer (a linear model cannot otherwise say "trust functions when strings hesitate")."""
    families = list(dict.fromkeys(family for name in VOTERS for family, _ in (rankings.get(name) or [])[:TOP_K]))
    features = np.zeros((len(families), _FEATURES_PER_MODEL * len(VOTERS)))
    row = {family: i for i, family in enumerate(families)}
    for m, name in enumerate(VOTERS):
        ranked = rankings.get(name) or []
        best = ranked[0][1] if ranked else 0.0
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        for rank, (family, score) in enumerate(ranked):
            if family in row:
                i, base = row[family], _FEATURES_PER_MODEL * m
                features[i, base : base + _FEATURES_PER_MODEL] = (
                    score,
                    score / best if best > 0 else 0.0,
                    float(rank == 0),
                    1.0 / (rank + 1),
                    score - (second if rank == 0 else best),
                )
    f, s, t = (_FEATURES_PER_MODEL * m for m in range(len(VOTERS)))
    products = np.column_stack(
        [
            features[:, f] * features[:, s],
            features[:, f] * features[:, t],
            features[:, s] * features[:, t],
            features[:, f + 4] * features[:, f + 2],
            features[:, s + 4] * features[:, s + 2],
            features[:, f + 1] * features[:, s + 1],
        ]
    )
    return families, np.hstack([features, products])


def _confidence_features(
    families: list[str], features: np.ndarray, logits: np.ndarray, rankings: Rankings, top: int
) -> np.ndarray:
    """The best candidate's logit, its lead over the next one, the share and count of models ranking it first,
    and its own features (absolute similarity says whether the family is in the library at all)."""
    ordered = np.sort(logits)[::-1]
    lead = ordered[0] - ordered[1] if len(ordered) > 1 else 5.0
    voting = [name for name in VOTERS if rankings.get(name)]
    agreeing = sum(_first(rankings, name) == families[top] for name in voting)
    return np.concatenate([[ordered[0], lead, agreeing / max(len(voting), 1), agreeing], features[top]])


def _first(rankings: Rankings, name: str) -> str | None:
    ranked = rankings.get(name)
    return ranked[0][0] if ranked else None


def _sigmoid(x: np.ndarray | float) -> Any:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50, 50)))


@dataclass(frozen=True)
class Verdict:
    """The consensus answer: ``family`` None means unknown family."""

    family: str | None
    confidence: float
    best: str | None  # the most likely family, even when it is not close enough
    ranked: list[tuple[str, float]]
    agreed: list[str]
    disagreed: dict[str, str]
    not_voting: list[str]
    calibrated: bool
    threshold: float = THRESHOLD
    unknown_share: float | None = None  # of leave-one-family-out answers under ``threshold`` (None: not fitted)

    @property
    def explanation(self) -> str:
        voting = len(self.agreed) + len(self.disagreed)
        if self.best is None:
            return "No model found anything similar in the reference library: unknown family."
        if self.family is None:
            text = (
                f"Unknown family: nothing in the reference library is close enough (the nearest is {self.best} "
                f"at {percent(self.confidence)} confidence, below {percent(self.threshold)}"
            )
            # What the threshold means: models agreeing on a family is not enough when samples of families the
            # library lacks (often a sibling project sharing code) reach the same confidence.
            if self.unknown_share is not None:
                text += f": {percent(self.unknown_share)} of samples of families missing from this library score "
                text += "under it"
            text += ")"
        else:
            text = f"Family {self.family} with {percent(self.confidence)} confidence"
        if self.agreed:
            text += f"; {len(self.agreed)} of {voting} models rank it first ({', '.join(self.agreed)})"
        disagreeing = [f"{model} prefers {family}" for model, family in self.disagreed.items()]
        if disagreeing:
            text += "; " + "; ".join(disagreeing)
        if self.not_voting:
            text += f"; not voting: {', '.join(self.not_voting)}"
        if not self.calibrated:
            text += "; the library is too small to calibrate the confidence"
        return text + "."

    def to_dict(self, index_revision: str | None) -> dict[str, Any]:
        """Keyed like a model's result (``prediction_results`` best first, ``explanation_results``)."""
        return {
            "model": CONSENSUS_MODEL,
            "model_version": VERSION,
            "status": "done",
            "error_details": None,
            "prediction_results": [{"family": f, "score": round(s, 4)} for f, s in self.ranked],
            "explanation_results": {
                "summary": self.explanation,
                "evidence": {
                    "verdict": self.family if self.family is not None else "unknown family",
                    "confidence": round(self.confidence, 4),
                    "threshold": round(self.threshold, 4),
                    "unknown_share": self.unknown_share,
                    "nearest_family": self.best,
                    "agreed": self.agreed,
                    "disagreed": self.disagreed,
                    "not_voting": self.not_voting,
                    "calibrated": self.calibrated,
                },
                "timings": {},
                "index_revision": index_revision,
            },
        }


@dataclass(frozen=True)
class Consensus:
    """Coefficients of the candidate and confidence models (``to_dict`` / ``from_dict``: plain JSON)."""

    weights: tuple[float, ...]
    bias: float
    confidence_weights: tuple[float, ...]
    confidence_bias: float
    calibrated: bool = True
    facts: dict[str, Any] = field(default_factory=dict)
    threshold: float = THRESHOLD

    def verdict(self, rankings: Rankings) -> Verdict:
        voting = [name for name in VOTERS if rankings.get(name)]
        not_voting = [name for name in VOTERS if not rankings.get(name)]
        families, features = candidates(rankings)
        if not families:
            return Verdict(None, 0.0, None, [], [], {}, not_voting, self.calibrated, self.threshold)
        logits = features @ np.array(self.weights) + self.bias
        order = np.argsort(-logits, kind="stable")
        top = families[int(order[0])]
        point = _confidence_features(families, features, logits, rankings, int(order[0]))
        confidence = float(_sigmoid(point @ np.array(self.confidence_weights) + self.confidence_bias))
        ranked = [(families[i], float(_sigmoid(logits[i]))) for i in order.tolist()]
        firsts = {name: _first(rankings, name) or "" for name in voting}
        return Verdict(
            top if confidence >= self.threshold else None,
            confidence,
            top,
            ranked,
            [name for name in voting if firsts[name] == top],
            {name: family for name, family in firsts.items() if family != top},
            not_voting,
            self.calibrated,
            self.threshold,
            self.facts.get("unknown_share"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "voters": list(VOTERS),
            "weights": list(self.weights),
            "bias": self.bias,
            "confidence_weights": list(self.confidence_weights),
            "confidence_bias": self.confidence_bias,
            "calibrated": self.calibrated,
            "facts": self.facts,
            "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Consensus:
        if data.get("version") != VERSION or tuple(data.get("voters", ())) != VOTERS:
            raise ValueError("the consensus was fitted for other models; rebuild the index")
        facts = dict(data.get("facts", {}))
        if "threshold" not in data:  # stored before the threshold was fitted: the balanced one promises nothing
            facts.pop("unknown_share", None)
        return cls(
            tuple(float(w) for w in data["weights"]),
            float(data["bias"]),
            tuple(float(w) for w in data["confidence_weights"]),
            float(data["confidence_bias"]),
            bool(data["calibrated"]),
            facts,
            float(data.get("threshold", THRESHOLD)),
        )


def _uncalibrated() -> Consensus:
    """Used when the library is too small to fit: scores and first choices count, each model alike."""
    weights = (3.0, 0.0, 1.0, 0.0, 0.0) * len(VOTERS) + (0.0,) * _PRODUCTS
    confidence = (1.0, 1.0, 0.0, 0.0) + (0.0,) * len(weights)
    return Consensus(weights, -4.0, confidence, 0.0, calibrated=False)


@dataclass(frozen=True)
class Example:
    """One reference queried with itself (``hidden`` "sample") or its whole family (``hidden`` "family") hidden."""

    family: str
    hidden: str
    rankings: Rankings


def phase_2_inputs(features: ReferenceFeatures) -> dict[str, Any]:
    """What each model's phase 2 takes, from stored reference features (None: the model cannot read it)."""
    strings = None if features.strings is None else StringFeatures(features.strings)
    return {FUNCTION_MODEL: features.functions, STRINGS_MODEL: strings, TLSH_MODEL: features.tlsh}


def rankings_of(
    index: ReferenceIndex, features: ReferenceFeatures, exclude_sample: str | None, exclude_family: str | None
) -> Rankings:
    inputs = phase_2_inputs(features)
    return {
        model.name: None
        if inputs[model.name] is None
        else model.phase_2(inputs[model.name], index, exclude_sample, exclude_family).families
        for model in _PHASE_2
    }


def leave_out_examples(
    index: ReferenceIndex,
    references: Sequence[tuple[str, str, ReferenceFeatures]],
    ctx: TaskContext | None = None,
    limit: int = MAX_CALIBRATION,
) -> list[Example]:
    """Leave-one-out answers (references whose family has another member) and leave-one-family-out answers
    for up to ``limit`` references, taken round-robin over the families so that each family is represented."""
    ctx = ctx or NullContext()
    sizes = Counter(family for _, family, _ in references)
    by_family: dict[str, list[tuple[str, str, ReferenceFeatures]]] = {}
    for row in references:
        by_family.setdefault(row[1], []).append(row)
    chosen = [rows[i] for i in range(max(sizes.values(), default=0)) for rows in by_family.values() if i < len(rows)]
    chosen = chosen[:limit]
    examples = []
    for done, (sample_id, family, features) in enumerate(chosen):
        if done % 20 == 0:
            ctx.check()
            ctx.progress(done / max(len(chosen), 1), f"calibrating the consensus ({done}/{len(chosen)})")
        if sizes[family] > 1:
            examples.append(Example(family, "sample", rankings_of(index, features, sample_id, None)))
        examples.append(Example(family, "family", rankings_of(index, features, None, family)))
    return examples


def fit(examples: Sequence[Example]) -> Consensus:
    """Fit both logistic models and the threshold (see the module); uncalibrated defaults when the examples cannot
    support a fit."""
    fitted = _fit_models(examples)
    if fitted is None:
        return _uncalibrated()
    threshold = _threshold(examples)
    known = sum(e.hidden == "sample" for e in examples)
    return replace(
        fitted,
        threshold=THRESHOLD if threshold is None else threshold,
        facts={
            "leave_one_out": known,
            "leave_family_out": len(examples) - known,
            "unknown_share": None if threshold is None else UNKNOWN_SHARE,
        },
    )


def _fit_models(examples: Sequence[Example]) -> Consensus | None:
    known = [e for e in examples if e.hidden == "sample"]
    if len(known) < MIN_CALIBRATION:  # e.g. 4 families of 3: the fit put unanimous first choices under 50 %
        return None
    rows, labels = [], []
    for example in known:
        families, features = candidates(example.rankings)
        rows += list(features)
        labels += [family == example.family for family in families]
    if len(set(labels)) < 2 or sum(labels) < 2:
        return None
    weights, bias = _standardised_logistic(np.array(rows), np.array(labels))
    points, right, sample_weight = [], [], []
    unknown = [e for e in examples if e.hidden == "family"]
    for group in (known, unknown):
        for example in group:
            families, features = candidates(example.rankings)
            if not families:
                continue
            logits = features @ weights + bias
            top = int(np.argmax(logits))
            points.append(_confidence_features(families, features, logits, example.rankings, top))
            right.append(example.hidden == "sample" and families[top] == example.family)
            sample_weight.append(1.0 / max(len(group), 1))  # known and unknown answers weigh the same
    if len(set(right)) < 2:
        return None
    confidence_weights, confidence_bias = _standardised_logistic(
        np.array(points), np.array(right), np.array(sample_weight) * len(points)
    )
    return Consensus(tuple(weights.tolist()), bias, tuple(confidence_weights.tolist()), confidence_bias)


def _threshold(examples: Sequence[Example]) -> float | None:
    """The ``UNKNOWN_SHARE`` quantile of the confidence that hidden-family answers get from models fitted without
    their family (families split in ``THRESHOLD_FOLDS``). Quantiles of the answers a model was fitted on are
    optimistic: on Debian's packages 0.92 of them fell below, but only 0.78 of new families'."""
    fold_of = {e.family: int(hashlib.sha256(e.family.encode()).hexdigest(), 16) % THRESHOLD_FOLDS for e in examples}
    confidences = []
    for fold in range(THRESHOLD_FOLDS):
        fitted = _fit_models([e for e in examples if fold_of[e.family] != fold])
        if fitted is None:
            return None
        confidences += [
            fitted.verdict(e.rankings).confidence
            for e in examples
            if e.hidden == "family" and fold_of[e.family] == fold and candidates(e.rankings)[0]
        ]
    return float(np.quantile(confidences, UNKNOWN_SHARE)) if confidences else None


def _standardised_logistic(
    x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """A logistic regression fitted on standardised columns (the features' scales differ a hundredfold, which
    made the penalty favour some), returned as coefficients and bias on the raw columns."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, max_iter=2000).fit((x - mean) / scale, y, sample_weight=sample_weight)
    weights = model.coef_[0] / scale
    return weights, float(model.intercept_[0] - weights @ mean)


def calibrate(
    index: ReferenceIndex, references: Sequence[tuple[str, str, ReferenceFeatures]], ctx: TaskContext | None = None
) -> Consensus:
    """The consensus of a library: leave-out answers over its references, then ``fit``."""
    return fit(leave_out_examples(index, references, ctx))
