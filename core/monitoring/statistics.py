"""Two-sample statistics for drift, on numpy and scipy (no drift library fits the pinned numpy / pyarrow).

Each takes the reference sample first and the current sample second and returns plain floats, so the rule in
``drift.py`` can choose among them and the Drift page can show every one."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import stats
from scipy.spatial.distance import jensenshannon

FloatArray = npt.NDArray[np.float64]

PSI_BINS = 10
EPSILON = 1e-4  # the share given to an empty bin, so PSI's logarithm stays finite (the usual convention)


def ks(reference: FloatArray, current: FloatArray) -> tuple[float, float]:
    """Kolmogorov–Smirnov statistic and p-value: the test of choice for small numeric samples."""
    result = stats.ks_2samp(reference, current)
    return float(result.statistic), float(result.pvalue)


def wasserstein_normed(reference: FloatArray, current: FloatArray) -> float:
    """Earth mover's distance in units of the reference's standard deviation (0.1 = a tenth of a σ moved),
    so one threshold fits columns of any scale; a constant reference uses its absolute value (or 1)."""
    scale = float(np.std(reference))
    if scale == 0.0:
        scale = max(abs(float(reference[0])), 1.0)
    return float(stats.wasserstein_distance(reference, current)) / scale


def numeric_psi(reference: FloatArray, current: FloatArray, bins: int = PSI_BINS) -> float:
    """Population stability index over the reference's quantile bins (the outer bins are open)."""
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1))[1:-1])
    ref_counts = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=len(edges) + 1)
    cur_counts = np.bincount(np.searchsorted(edges, current, side="right"), minlength=len(edges) + 1)
    return psi(ref_counts, cur_counts)


def psi(reference_counts: npt.ArrayLike, current_counts: npt.ArrayLike) -> float:
    """PSI of two count vectors over the same bins or categories: Σ (c − r) · ln(c / r) on shares."""
    ref = _shares(reference_counts)
    cur = _shares(current_counts)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def _shares(counts: npt.ArrayLike) -> FloatArray:
    shares = np.asarray(counts, dtype=np.float64)
    shares = shares / shares.sum()
    return np.clip(shares, EPSILON, None)


def chi_squared(reference_counts: npt.ArrayLike, current_counts: npt.ArrayLike) -> tuple[float, float]:
    """Pearson's test of homogeneity on the 2 × k table of category counts: statistic and p-value."""
    table = np.vstack([np.asarray(reference_counts), np.asarray(current_counts)]).astype(np.float64)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 1.0  # one category on both sides: nothing can have moved
    result = stats.chi2_contingency(table, correction=False)
    return float(result.statistic), float(result.pvalue)


def jensen_shannon(reference_counts: npt.ArrayLike, current_counts: npt.ArrayLike) -> float:
    """Jensen–Shannon distance (base 2, so within 0–1) between two category distributions."""
    return float(jensenshannon(np.asarray(reference_counts, float), np.asarray(current_counts, float), base=2))


def mmd(reference: FloatArray, current: FloatArray, *, permutations: int = 200, seed: int = 0) -> tuple[float, float]:
    """Maximum mean discrepancy (squared, Gaussian kernel with the median heuristic) and its permutation p-value.

    Rows are feature vectors already on comparable scales. The kernel matrix of the pooled rows is computed once;
    every permutation is then a column of one matrix product (MMD² = aᵀ K a with ±1/n weights)."""
    pooled = np.vstack([reference, current])
    squared = _squared_distances(pooled)
    positive = squared[squared > 0]
    bandwidth = float(np.median(positive)) if positive.size else 1.0
    kernel = np.exp(-squared / bandwidth)
    m, n = len(reference), len(current)
    rng = np.random.default_rng(seed)
    labels = np.concatenate([np.ones(m, bool), np.zeros(n, bool)])
    columns = [labels] + [rng.permutation(labels) for _ in range(permutations)]
    weights = np.where(np.column_stack(columns), 1.0 / m, -1.0 / n)
    values = np.einsum("ij,ij->j", weights, kernel @ weights)
    observed = float(values[0])
    p_value = float((1 + np.sum(values[1:] >= observed)) / (permutations + 1))
    return observed, p_value


def _squared_distances(rows: FloatArray) -> FloatArray:
    norms = np.einsum("ij,ij->i", rows, rows)
    squared = norms[:, None] + norms[None, :] - 2.0 * (rows @ rows.T)
    return np.maximum(squared, 0.0)  # rounding can leave tiny negatives
