"""Drift benchmark: 100,000 reference rows × 30 columns (20 numeric, 10 categorical) against 10,000 current rows
with planted shifts in three columns; every per-column statistic (KS, normalised Wasserstein, PSI / chi-squared,
Jensen–Shannon, PSI) and the subsampled MMD through ``core.monitoring.compare``, against the named baseline
"direct scipy": the same scipy calls on ready numpy arrays (the same MMD on the same subsample), in the same run.

Targets (issue 16): ≤ 5 s, and ≤ 1.3 × the direct calls.

    python bench/drift.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

sys.path[0] = str(Path(__file__).resolve().parents[1])  # repo root, not bench/

from core.monitoring import DriftRule, compare
from core.monitoring import statistics as st

REFERENCE_ROWS, CURRENT_ROWS, NUMERIC, CATEGORICAL = 100_000, 10_000, 20, 10


def frames(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def make(rows: int) -> pd.DataFrame:
        data = {f"n{i}": rng.normal(i, 1 + i / 10, rows) for i in range(NUMERIC)}
        letters = np.array(list("abcdefghij"))
        data |= {f"c{i}": rng.choice(letters[: 3 + i % 8], rows) for i in range(CATEGORICAL)}
        return pd.DataFrame(data)

    reference, current = make(REFERENCE_ROWS), make(CURRENT_ROWS)
    current["n3"] += 0.5 * current["n3"].std()
    current["n11"] *= 1.5
    current["c2"] = rng.choice(list("ab"), CURRENT_ROWS)
    return reference, current


def direct(reference: pd.DataFrame, current: pd.DataFrame, rule: DriftRule) -> int:
    """The same statistics with scipy on numpy arrays prepared outside the timing's concern (no type checks)."""
    drifted = 0
    for name in reference.columns:
        ref, cur = reference[name].to_numpy(), current[name].to_numpy()
        if name.startswith("n"):
            stats.ks_2samp(ref, cur)
            distance = stats.wasserstein_distance(ref, cur) / ref.std()
            edges = np.quantile(ref, np.linspace(0, 1, 11))[1:-1]
            r = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=10) / len(ref)
            c = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=10) / len(cur)
            np.sum((c - r) * np.log(np.clip(c, 1e-4, None) / np.clip(r, 1e-4, None)))
        else:
            categories, codes = np.unique(np.concatenate([ref, cur]), return_inverse=True)
            r = np.bincount(codes[: len(ref)], minlength=len(categories))
            c = np.bincount(codes[len(ref) :], minlength=len(categories))
            stats.chi2_contingency(np.vstack([r, c]), correction=False)
            distance = jensenshannon(r, c, base=2)
            rs, cs = np.clip(r / r.sum(), 1e-4, None), np.clip(c / c.sum(), 1e-4, None)
            np.sum((cs - rs) * np.log(cs / rs))
        drifted += bool(distance >= rule.distance)
    rng = np.random.default_rng(rule.seed)
    numeric = [c for c in reference.columns if c.startswith("n")]
    ref_rows = reference[numeric].to_numpy()[rng.choice(len(reference), rule.mmd_rows, replace=False)]
    cur_rows = current[numeric].to_numpy()[rng.choice(len(current), rule.mmd_rows, replace=False)]
    scale = reference[numeric].to_numpy().std(axis=0)
    st.mmd(ref_rows / scale, cur_rows / scale, permutations=rule.permutations, seed=rule.seed)
    return drifted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    reference, current = frames()
    rule = DriftRule()
    ours, baseline = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        report = compare(reference, current, rule=rule)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        expected = direct(reference, current, rule)
        baseline.append(time.perf_counter() - start)
    flagged = [c.column for c in report.columns if c.drifted]
    print(f"reference {REFERENCE_ROWS:,} rows × {NUMERIC + CATEGORICAL} columns, current {CURRENT_ROWS:,} rows")
    print(f"flagged: {', '.join(flagged)} (planted: n3, n11, c2; direct scipy flags {expected})")
    mmd = report.multivariate
    assert mmd is not None
    print(f"MMD² {mmd.statistic:.4f}, p = {mmd.p_value:.3f} on {mmd.rows:,} rows")
    best_ours, best_direct = min(ours), min(baseline)
    print(f"engine compare: best {best_ours:.2f} s of {args.repeat} (target ≤ 5 s)")
    print(f"direct scipy:   best {best_direct:.2f} s")
    print(f"ratio engine ÷ direct scipy: {best_ours / best_direct:.2f} (target ≤ 1.3)")


if __name__ == "__main__":
    main()
