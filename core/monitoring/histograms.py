"""Reference and current distributions of one column on shared bins, stored with a drift check so the Drift page
can overlay them without reading either data set again."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.monitoring.drift import category_labels

BINS = 20
TOP = 20  # categories shown (the most common of both sides); the rest is "other"


def overlay(reference: pd.Series, current: pd.Series, numeric: bool) -> dict[str, Any]:
    """``{"kind", "labels", "reference", "current"}``: shares per bin (numbers: equal-width bins over both sides'
    finite range; categories: the most common values, then "other")."""
    ref, cur = reference.dropna(), current.dropna()
    if numeric:
        a = pd.to_numeric(ref, errors="coerce").to_numpy(dtype=np.float64)
        b = pd.to_numeric(cur, errors="coerce").to_numpy(dtype=np.float64)
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        both = np.concatenate([a, b])
        if both.size == 0:
            return {"kind": "numeric", "labels": [], "reference": [], "current": []}
        edges = np.histogram_bin_edges(both, bins=BINS)
        labels = [f"{mid:.4g}" for mid in (edges[:-1] + edges[1:]) / 2]
        return {"kind": "numeric", "labels": labels, "reference": _shares(a, edges), "current": _shares(b, edges)}
    ref, cur = category_labels(ref), category_labels(cur, ref)
    counts = pd.concat([ref, cur]).value_counts()
    top = list(counts.index[:TOP])
    labels = top + (["other"] if len(counts) > TOP else [])
    return {
        "kind": "categorical",
        "labels": labels,
        "reference": _category_shares(ref, top, labels),
        "current": _category_shares(cur, top, labels),
    }


def _shares(values: np.ndarray, edges: np.ndarray) -> list[float]:
    counts, _ = np.histogram(values, bins=edges)
    total = counts.sum()
    return (counts / total).tolist() if total else [0.0] * len(counts)


def _category_shares(values: pd.Series, top: list[str], labels: list[str]) -> list[float]:
    shares = values.value_counts(normalize=True)
    out = [float(shares.get(label, 0.0)) for label in top]
    if len(labels) > len(top):
        out.append(float(1.0 - sum(out)))
    return out
