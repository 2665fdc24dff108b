"""Fitting the consensus on generated leave-out answers (no binaries needed): the unknown-family threshold keeps
its open-set promise on families it was not fitted on, the coefficients stored on raw features equal the
standardised fit, and a consensus stored before the threshold was fitted still loads."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from core.attribution.consensus import (
    THRESHOLD,
    UNKNOWN_SHARE,
    VOTERS,
    Consensus,
    Example,
    Rankings,
    _standardised_logistic,
    fit,
)

pytestmark = pytest.mark.database_free


def _rankings(rng: np.random.Generator, families: list[str], truth: str, hidden: bool) -> Rankings:
    """Each model ranks five families; the true family (when not hidden) is usually first and closer than a
    neighbour of a hidden family ever is, with overlap so that the threshold has to choose."""
    rankings: Rankings = {}
    for strength, name in zip((0.9, 0.7, 0.5), VOTERS, strict=True):
        others = [f for f in families if f != truth]
        picked = list(rng.choice(others, size=5, replace=False))
        scores = sorted(rng.uniform(0.05, 0.45, size=5), reverse=True)
        if not hidden and rng.random() < strength:
            picked[0], scores[0] = truth, float(rng.uniform(0.35, 0.95))
            scores = [scores[0], *sorted(scores[1:], reverse=True)]
        rankings[name] = [(f, float(s)) for f, s in zip(picked, scores, strict=True)]
    return rankings


def _examples(seed: int, n_families: int = 40, per_family: int = 8) -> list[Example]:
    rng = np.random.default_rng(seed)
    families = [f"family-{seed}-{i}" for i in range(n_families)]
    return [
        Example(family, hidden, _rankings(rng, families, family, hidden == "family"))
        for family in families
        for _ in range(per_family)
        for hidden in ("sample", "family")
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_threshold_keeps_its_unknown_promise_and_withholds_fewer_right_answers(seed: int) -> None:
    consensus = fit(_examples(seed))
    assert consensus.calibrated and 0 < consensus.threshold < THRESHOLD
    assert consensus.facts["unknown_share"] == UNKNOWN_SHARE
    fresh = _examples(seed + 100)  # other families: what a library meets after it was fitted
    hidden = [e for e in fresh if e.hidden == "family"]
    known = [e for e in fresh if e.hidden == "sample"]

    def right(c: Consensus) -> float:
        return float(np.mean([c.verdict(e.rankings).family == e.family for e in known]))

    assert np.mean([consensus.verdict(e.rankings).family is None for e in hidden]) >= UNKNOWN_SHARE - 0.05
    assert right(consensus) > right(replace(consensus, threshold=THRESHOLD))  # the balanced choice of before
    assert all(consensus.verdict(e.rankings).threshold == consensus.threshold for e in known[:5])


def test_coefficients_on_raw_features_equal_the_standardised_fit() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4)) * np.array([1.0, 100.0, 0.01, 5.0]) + np.array([0.0, 50.0, 1.0, -3.0])
    y = (x[:, 0] + x[:, 1] / 100 + rng.normal(size=300) > 0.5).astype(int)
    weights, bias = _standardised_logistic(x, y)
    reference = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000)).fit(x, y)
    np.testing.assert_allclose(x @ weights + bias, reference.decision_function(x), rtol=1e-6, atol=1e-6)


def test_a_consensus_stored_before_the_fitted_threshold_loads_with_the_balanced_one() -> None:
    stored = fit(_examples(5)).to_dict()
    assert Consensus.from_dict(stored).threshold == stored["threshold"]
    del stored["threshold"]
    assert Consensus.from_dict(stored).threshold == THRESHOLD
    assert Consensus.from_dict(stored).facts.get("unknown_share") is None  # no promise for the balanced threshold


def test_an_unknown_verdict_says_what_its_threshold_promises_only_when_it_was_fitted() -> None:
    examples = _examples(6)
    hidden = next(e for e in examples if e.hidden == "family")
    fitted = fit(examples).verdict(hidden.rankings)
    assert fitted.family is None  # the hidden family's answer falls under the fitted threshold
    assert f"{UNKNOWN_SHARE:.0%} of samples of families missing from this library" in fitted.explanation
    balanced = replace(fit(examples), threshold=0.99, facts={}).verdict(hidden.rankings)
    assert balanced.family is None and "missing from this library" not in balanced.explanation
    assert not fit([]).verdict(hidden.rankings).unknown_share
