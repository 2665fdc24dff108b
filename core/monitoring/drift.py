"""Data drift: does a current sample (a deployment's recent inputs, or a new dataset) differ from the reference
(the training data)?

The rule is the common practice (Evidently's defaults): when either side has at most ``small_sample`` values a
statistical test decides (Kolmogorov–Smirnov for numbers, chi-squared for categories, at ``p_value``); above, a
distance threshold does (normalised Wasserstein for numbers, Jensen–Shannon for categories), because with
100,000 rows p-values flag shifts of a hundredth of a σ that nobody should act on. PSI is reported for both kinds.
A dataset drifts when at least ``share`` of the compared columns do; a multivariate MMD test on a subsample
catches joint shifts no single column shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.errors import InvalidInput, Problem
from core.monitoring import statistics as st

FEW_VALUES = 5  # numbers with at most this many distinct values are compared as categories (flags, ratings)
SAME_NUMBER = 1e-9  # relative difference under which two numbers are one category (a CSV's last-digit rounding)
MMD_CATEGORIES = 10  # one-hot columns per categorical column in the MMD features (its most common values)


@dataclass(frozen=True)
class DriftRule:
    """How drift is called. ``share``: the share of compared columns that must drift for the dataset to drift."""

    small_sample: int = 1000
    p_value: float = 0.05
    distance: float = 0.1
    share: float = 0.5
    mmd_rows: int = 1000
    permutations: int = 200
    seed: int = 0

    def __post_init__(self) -> None:
        problems = [
            Problem(f"{name} must be within {low}–{high}.", field=name)
            for name, low, high in (
                ("small_sample", 10, 10_000_000),
                ("p_value", 1e-6, 0.5),
                ("distance", 1e-4, 10.0),
                ("share", 0.01, 1.0),
                ("mmd_rows", 50, 5_000),
                ("permutations", 20, 2_000),
            )
            if not low <= getattr(self, name) <= high
        ]
        if problems:
            raise InvalidInput(
                "The drift settings are out of range: " + " ".join(p.problem for p in problems), problems
            )


@dataclass(frozen=True)
class ColumnDrift:
    """One column's verdict: the chosen ``test`` with its ``statistic`` against ``threshold`` (a p-value for the
    tests, a distance otherwise), and every statistic computed, for the details table."""

    column: str
    kind: str  # numeric | categorical | skipped
    test: str  # ks | wasserstein | chi_squared | jensen_shannon | none
    statistic: float | None
    threshold: float | None
    drifted: bool
    reference_rows: int
    current_rows: int
    reference_missing: float
    current_missing: float
    statistics: dict[str, float] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Multivariate:
    """MMD² between subsamples of the reference and current rows, with its permutation p-value."""

    statistic: float
    p_value: float
    rows: int
    drifted: bool


@dataclass(frozen=True)
class DriftReport:
    columns: tuple[ColumnDrift, ...]
    rule: DriftRule
    multivariate: Multivariate | None
    prediction: ColumnDrift | None

    @property
    def compared(self) -> list[ColumnDrift]:
        return [c for c in self.columns if c.kind != "skipped"]

    @property
    def drifted_share(self) -> float:
        compared = self.compared
        return sum(c.drifted for c in compared) / len(compared) if compared else 0.0

    @property
    def drifted(self) -> bool:
        return bool(self.compared) and self.drifted_share >= self.rule.share

    def frame(self) -> pd.DataFrame:
        """One row per column (the prediction last, when compared), for tables and CSV downloads."""
        rows = [*self.columns, *([self.prediction] if self.prediction else [])]
        table = pd.DataFrame([{k: v for k, v in asdict(c).items() if k != "statistics"} for c in rows])
        extra = pd.DataFrame([c.statistics for c in rows]).add_prefix("stat_")
        return pd.concat([table, extra], axis=1)


def compare(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    rule: DriftRule | None = None,
    predictions: tuple[pd.Series, pd.Series] | None = None,
) -> DriftReport:
    """Drift of ``current`` against ``reference`` over ``columns`` (default: the reference's); ``predictions``:
    (reference, current) predicted values, compared as one more column."""
    rule = rule or DriftRule()
    names = list(columns) if columns is not None else list(reference.columns)
    missing = [n for n in names if n not in current.columns or n not in reference.columns]
    if missing:
        raise InvalidInput(f"The current data lacks column(s) {', '.join(map(repr, missing))}.")
    results = tuple(compare_column(reference[n], current[n], rule, name=str(n)) for n in names)
    prediction = None
    if predictions is not None:
        prediction = compare_column(predictions[0], predictions[1], rule, name="prediction")
    compared = [n for n, r in zip(names, results, strict=True) if r.kind != "skipped"]
    return DriftReport(results, rule, _multivariate(reference[compared], current[compared], rule), prediction)


def compare_column(reference: pd.Series, current: pd.Series, rule: DriftRule, *, name: str) -> ColumnDrift:
    ref, cur = reference.dropna(), current.dropna()
    base: dict[str, Any] = {
        "column": name,
        "reference_rows": len(ref),
        "current_rows": len(cur),
        "reference_missing": _missing(reference),
        "current_missing": _missing(current),
    }
    if len(ref) < 2 or len(cur) < 2:
        return ColumnDrift(**base, **_skipped("fewer than 2 values on one side"))
    small = min(len(ref), len(cur)) <= rule.small_sample
    reference_values = ref.nunique()
    if _is_numeric(ref) and reference_values > FEW_VALUES:  # the reference says what the column is
        numbers, current_numbers = (v[np.isfinite(v)] for v in (_floats(ref), _floats(cur)))
        if reference_values <= len(ref) // 2:  # ties, which a last-digit difference would move whole
            current_numbers = snap(current_numbers, np.unique(numbers))
        if min(len(numbers), len(current_numbers)) < 2:
            return ColumnDrift(**base, **_skipped("fewer than 2 finite values on one side"))
        return ColumnDrift(**base, **_numeric(numbers, current_numbers, rule, small))
    ref, cur = category_labels(ref), category_labels(cur, ref)
    distinct = ref.nunique()
    if distinct > max(50, len(ref) // 2):
        return ColumnDrift(**base, **_skipped(f"{distinct:,} distinct values: an identifier or free text"))
    return ColumnDrift(**base, **_categorical(ref, cur, rule, small))


def category_labels(values: pd.Series, reference: pd.Series | None = None) -> pd.Series:
    """The text labels categories are compared by. A number within a relative ``SAME_NUMBER`` of one of the
    ``reference``'s numbers takes its label: the training data's -0.044641636506989144 and a CSV's
    -0.0446416365069891, or 1 and 1.0, are one category, not two (which flagged unchanged 0/1 columns as
    drifted)."""
    if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return values.astype(str)
    codes, uniques = pd.factorize(values)
    numbers = np.asarray(uniques, dtype=np.float64)
    if reference is not None and pd.api.types.is_numeric_dtype(reference.dtype):
        numbers = snap(numbers, np.unique(reference.dropna().to_numpy(dtype=np.float64)))
    labels = np.array([f"{n:.15g}" for n in numbers.tolist()] + ["nan"], dtype=object)
    return pd.Series(labels[codes], index=values.index)  # code -1 (missing) picks the last label


def snap(numbers: st.FloatArray, anchors: st.FloatArray) -> st.FloatArray:
    """``numbers`` within a relative ``SAME_NUMBER`` of one of the sorted ``anchors`` replaced by it: the same
    value written with fewer digits is the same value (else every tied value of a column moves the KS statistic
    by its whole share)."""
    if not anchors.size:
        return numbers
    right = np.clip(np.searchsorted(anchors, numbers), 0, anchors.size - 1)
    left = np.clip(right - 1, 0, anchors.size - 1)
    near = np.where(np.abs(anchors[left] - numbers) <= np.abs(anchors[right] - numbers), anchors[left], anchors[right])
    return np.where(np.abs(near - numbers) <= SAME_NUMBER * np.abs(near), near, numbers)


def _missing(values: pd.Series) -> float:
    return float(values.isna().mean()) if len(values) else 0.0


def _skipped(note: str) -> dict[str, Any]:
    return {"kind": "skipped", "test": "none", "statistic": None, "threshold": None, "drifted": False, "note": note}


def _is_numeric(values: pd.Series) -> bool:
    dtype = values.dtype
    return not pd.api.types.is_bool_dtype(dtype) and (
        pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype)
    )


def _floats(values: pd.Series) -> st.FloatArray:
    """Numbers as float64; dates as seconds since the epoch (a shift of dates is drift like any other)."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        values = values.astype("datetime64[s]").astype("int64")
    return values.to_numpy(dtype=np.float64)


def _numeric(ref: st.FloatArray, cur: st.FloatArray, rule: DriftRule, small: bool) -> dict[str, Any]:
    ks_stat, ks_p = st.ks(ref, cur)
    distance = st.wasserstein_normed(ref, cur)
    stats = {"ks": ks_stat, "ks_p_value": ks_p, "wasserstein": distance, "psi": st.numeric_psi(ref, cur)}
    if small:
        return _verdict("numeric", "ks", ks_p, rule.p_value, ks_p < rule.p_value, stats)
    return _verdict("numeric", "wasserstein", distance, rule.distance, distance >= rule.distance, stats)


def _categorical(ref: pd.Series, cur: pd.Series, rule: DriftRule, small: bool) -> dict[str, Any]:
    counts = pd.concat([ref.value_counts().rename("ref"), cur.value_counts().rename("cur")], axis=1).fillna(0)
    chi, chi_p = st.chi_squared(counts["ref"], counts["cur"])
    distance = st.jensen_shannon(counts["ref"], counts["cur"])
    stats = {"chi_squared": chi, "chi_squared_p_value": chi_p, "jensen_shannon": distance}
    stats["psi"] = st.psi(counts["ref"], counts["cur"])
    if small:
        return _verdict("categorical", "chi_squared", chi_p, rule.p_value, chi_p < rule.p_value, stats)
    return _verdict("categorical", "jensen_shannon", distance, rule.distance, distance >= rule.distance, stats)


def _verdict(
    kind: str, test: str, statistic: float, threshold: float, drifted: bool, stats: dict[str, float]
) -> dict[str, Any]:
    return {
        "kind": kind,
        "test": test,
        "statistic": statistic,
        "threshold": threshold,
        "drifted": bool(drifted),
        "statistics": stats,
    }


def _multivariate(reference: pd.DataFrame, current: pd.DataFrame, rule: DriftRule) -> Multivariate | None:
    """MMD on ``mmd_rows`` rows of each side: numbers standardised on the reference (missing = its mean),
    categories one-hot over the reference's most common values."""
    if reference.shape[1] == 0 or len(reference) < 2 or len(current) < 2:
        return None
    rng = np.random.default_rng(rule.seed)
    ref = reference.iloc[_subsample(len(reference), rule.mmd_rows, rng)]
    cur = current.iloc[_subsample(len(current), rule.mmd_rows, rng)]
    parts_ref, parts_cur = [], []
    for name in reference.columns:
        a, b = _features(ref[name], cur[name], reference[name])
        parts_ref.append(a)
        parts_cur.append(b)
    statistic, p_value = st.mmd(
        np.hstack(parts_ref), np.hstack(parts_cur), permutations=rule.permutations, seed=rule.seed
    )
    return Multivariate(statistic, p_value, len(ref) + len(cur), p_value < rule.p_value)


def _subsample(rows: int, wanted: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.choice(rows, size=wanted, replace=False)) if rows > wanted else np.arange(rows)


def _features(ref: pd.Series, cur: pd.Series, whole: pd.Series) -> tuple[st.FloatArray, st.FloatArray]:
    if _is_numeric(whole) and whole.nunique() > FEW_VALUES:
        values = _floats(whole.dropna())
        values = values[np.isfinite(values)]
        centre = float(values.mean()) if values.size else 0.0
        scale = float(values.std()) or 1.0
        return tuple(  # type: ignore[return-value]
            np.nan_to_num((_floats(s) - centre) / scale, nan=0.0, posinf=0.0, neginf=0.0)[:, None] for s in (ref, cur)
        )
    top = category_labels(whole).value_counts().index[:MMD_CATEGORIES]
    return tuple(  # type: ignore[return-value]
        (category_labels(s, whole).to_numpy()[:, None] == top.to_numpy()[None, :]).astype(np.float64)
        for s in (ref, cur)
    )
