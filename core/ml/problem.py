"""What a target asks for (classification or regression) and what is wrong or risky about a training table.

Hard errors raise ``InvalidInput`` with one ``Problem`` each; softer risks come back as sentences the Train
page shows before the analyst commits to a run."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import balanced_accuracy_score, r2_score
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from core.errors import InvalidInput, Problem, quote
from core.ml.coerce import blank_to_missing, guess_kind

MIN_ROWS = 20
FEW_ROWS = 100
MAX_CLASSES_FROM_NUMBERS = 20
IMBALANCE_RATIO = 0.25  # smallest / largest class below this → classes are weighted during training
# Single-feature score from which a column looks like a leak: a copied class scores 1 (iris petal width, an
# honest strong feature, 0.98); for regression the score is the better of a small tree's R² and |Spearman ρ|.
LEAK_SCORE = {"classification": 0.99, "regression": 0.98}
MOSTLY_MISSING = 0.5
_LEAK_SAMPLE = 5000
PROBLEM_TYPES: tuple[str, ...] = ("classification", "regression")


def resolve_columns(
    columns: Sequence[str], target: str, features: Sequence[str] | None = None, id_column: str | None = None
) -> list[str]:
    """The feature columns to use among ``columns``: ``None`` means all but target and id, while an empty choice
    is refused rather than read as "all". Unknown names, overlaps, an id column that is the target and a table
    with nothing else to learn from are refused too."""
    named = [("target", target), ("id_column", id_column), *(("features", f) for f in features or [])]
    problems = [
        Problem("unknown column", field=field, value=str(name))
        for field, name in named
        if name is not None and name not in columns
    ]
    if problems:
        raise InvalidInput("Some column names do not exist in the dataset.", problems)
    if id_column is not None and id_column == target:
        raise InvalidInput(
            "The id column cannot also be the target.",
            [Problem("the same column as the target", field="id_column", value=id_column)],
        )
    excluded = {target, id_column}
    if features is None:
        chosen = [c for c in columns if c not in excluded]
        if not chosen:
            raise InvalidInput(
                "The table has no column to learn from besides the target and the id column.",
                [Problem("no feature columns", field="features")],
            )
        return chosen
    clashes = [
        Problem("the target or id column cannot also be a feature", field="features", value=str(f))
        for f in features
        if f in excluded
    ]
    if clashes:
        raise InvalidInput("A column cannot be both a feature and the target or id.", clashes)
    chosen = list(dict.fromkeys(features))
    if not chosen:
        raise InvalidInput("Choose at least one feature column.", [Problem("no feature columns", field="features")])
    return chosen


def infer_problem_type(y: pd.Series) -> tuple[str, str]:
    """("classification" | "regression", one sentence saying why) from the target's values."""
    values = blank_to_missing(y).dropna()
    if values.empty:
        raise InvalidInput("The target column has no values.", [Problem("all values missing", field=str(y.name))])
    distinct = values.nunique()
    if pd.api.types.is_bool_dtype(values.dtype):
        return "classification", "The target holds true/false values."
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        raise InvalidInput(
            "A date target cannot be classified or regressed; use forecasting.",
            [Problem("date target", field=str(y.name))],
        )
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.isna().any():
        return "classification", f"The target holds text labels ({distinct} distinct values)."
    if distinct == 2:
        return "classification", "The target holds exactly two distinct values."
    floats = numbers.to_numpy(dtype="float64")
    whole = bool(np.all(np.mod(floats[np.isfinite(floats)], 1) == 0))  # ±inf is refused by prepare_target
    if whole and distinct <= MAX_CLASSES_FROM_NUMBERS:
        return "classification", f"The target holds {distinct} distinct whole numbers, so they are treated as classes."
    return "regression", f"The target holds numbers with {distinct} distinct values, so it is predicted as a quantity."


def prepare_target(y: pd.Series, problem_type: str) -> pd.Series:
    """The target without missing rows, as labels (classification) or floats (regression).

    Text in a regression target and ±inf in any numeric target are refused row by row (1 = the first row, as in
    dataset previews): no model can learn from an infinite value."""
    if problem_type == "classification" and y.dtype == object:
        labels = _text_labels(y)
        if labels is not None:
            return labels
    return _prepare(y, problem_type)


def _prepare(y: pd.Series, problem_type: str) -> pd.Series:
    """``prepare_target`` value by value."""
    present = blank_to_missing(y)
    kept = present.notna().to_numpy()
    values = present[kept]
    is_bool = pd.api.types.is_bool_dtype(values.dtype)
    numbers = pd.to_numeric(values, errors="coerce")
    if problem_type == "regression" or (not is_bool and not numbers.isna().any()):
        _refuse_unusable_numbers(str(y.name), values, numbers.to_numpy(dtype="float64"), np.flatnonzero(kept))
    if problem_type == "regression":
        return numbers.astype("float64")
    if is_bool:
        return values.astype(bool)
    if not numbers.isna().any():
        floats = numbers.to_numpy(dtype="float64")
        if np.all(np.mod(floats, 1) == 0):
            return pd.Series(floats.astype("int64"), index=values.index, name=y.name)
        return numbers.astype("float64")
    return values.map(str).str.strip()


def _text_labels(y: pd.Series) -> pd.Series | None:
    """``prepare_target`` of a text target for classification, worked out once per distinct value (a target
    repeats a few labels; a task prepares each of its mini-batches' and test datasets' targets): every step reads
    values one at a time, and whether the labels are numbers is a property of the set of values. None when
    they are not all text, or all read as numbers (the general path then, which names offending rows)."""
    codes, uniques = pd.factorize(y)  # a missing value: -1
    distinct = pd.Series(uniques, dtype=object)
    if pd.api.types.infer_dtype(distinct, skipna=True) != "string":
        return None
    present = blank_to_missing(distinct)
    kept = present.notna().to_numpy()
    if not pd.to_numeric(present[kept], errors="coerce").isna().any():
        return None
    labels = present.map(str).str.strip().to_numpy()
    rows = codes >= 0
    rows[rows] = kept[codes[rows]]
    return pd.Series(labels[codes[rows]], index=y.index[rows], name=y.name, dtype=object)


def _refuse_unusable_numbers(name: str, values: pd.Series, floats: np.ndarray, positions: np.ndarray) -> None:
    """Raise ``InvalidInput`` listing (at most 20) values of a numeric target that are text or infinite."""
    text, infinite = np.isnan(floats), np.isinf(floats)
    if not (text.any() or infinite.any()):
        return
    problems = [
        Problem(
            "not a number" if text[j] else "not a finite number",
            field=name,
            row=int(positions[j]) + 1,
            value=str(values.iloc[j]),
        )
        for j in np.flatnonzero(text | infinite)[:20]
    ]
    raise InvalidInput(
        "A regression target must be numeric."
        if text.any()
        else "The target holds infinite numbers; fix or remove those rows.",
        problems,
    )


def check_target(y: pd.Series, problem_type: str = "auto") -> tuple[str, pd.Series]:
    """(problem type, clean target), refusing a target nothing sensible can be learned from: no values, text or
    infinite numbers where numbers are needed, fewer than ``MIN_ROWS`` values, one class, a class of one row."""
    if problem_type not in (*PROBLEM_TYPES, "auto"):
        raise InvalidInput(
            "Unknown problem type.", [Problem("unknown problem type", field="problem_type", value=problem_type)]
        )
    resolved = infer_problem_type(y)[0] if problem_type == "auto" else problem_type
    clean = prepare_target(y, resolved)
    name = str(y.name)
    problems: list[Problem] = []
    reasons: list[str] = []  # the same, said in the message itself (it alone is shown; problems are details)
    if len(clean) < MIN_ROWS:
        problems.append(
            Problem(
                f"only {len(clean)} rows have a target value; at least {MIN_ROWS} are needed",
                field=name,
                value=str(len(clean)),
            )
        )
        reasons.append(f"only {len(clean)} rows have a value of {name}, and at least {MIN_ROWS} are needed")
    if resolved == "classification":
        counts = clean.value_counts()
        if len(counts) < 2:
            problems.append(Problem("the target has only one class", field=name, value=str(counts.index[0])))
            reasons.append(f"the target {name} has only one class ({quote(str(counts.index[0]))})")
        single = [str(label) for label, n in counts.items() if n < 2]
        problems += [Problem("a class needs at least 2 rows", field=name, value=label) for label in single]
        if single:
            shown = ", ".join(quote(label) for label in single[:3]) + (
                f" and {len(single) - 3} more" if len(single) > 3 else ""
            )
            reasons.append(
                f"each class of {name} needs at least 2 rows, and {shown} {'has' if len(single) == 1 else 'have'} 1"
            )
    if problems:
        raise InvalidInput(f"This table cannot be used for training: {'; '.join(reasons)}.", problems)
    return resolved, clean


def check_training(
    df: pd.DataFrame,
    target: str,
    features: Sequence[str] | None = None,
    id_column: str | None = None,
    problem_type: str = "auto",
) -> tuple[list[str], str, pd.Series]:
    """Refuse tables nothing sensible can be learned from; return (features, problem type, clean target)."""
    chosen = resolve_columns(list(df.columns), target, features, id_column)
    resolved, y = check_target(df[target], problem_type)
    return chosen, resolved, y


def training_warnings(
    df: pd.DataFrame,
    target: str,
    features: Sequence[str] | None = None,
    id_column: str | None = None,
    problem_type: str = "auto",
) -> list[str]:
    """Risks worth a look before training (raises ``InvalidInput`` for the hard errors of ``check_training``)."""
    chosen, resolved, y = check_training(df, target, features, id_column, problem_type)
    notes: list[str] = []
    if missing := len(df) - len(y):
        notes.append(f"{missing} rows have no target value and will be ignored.")
    if len(y) < FEW_ROWS:
        notes.append(f"Only {len(y)} rows have a target value; {FEW_ROWS} or more give more reliable models.")
    if resolved == "classification":
        counts = y.value_counts()
        if counts.iloc[-1] / counts.iloc[0] < IMBALANCE_RATIO:
            notes.append(
                f"Classes are imbalanced (smallest {counts.index[-1]!r}: {counts.iloc[-1]} rows, largest "
                f"{counts.index[0]!r}: {counts.iloc[0]} rows); training also tries models that weight the classes "
                "to compensate."
            )
    rows = df.loc[y.index]
    for name in chosen:
        notes.extend(_column_notes(rows[name], y, resolved))
    return notes


def _column_notes(values: pd.Series, y: pd.Series, problem_type: str) -> list[str]:
    """Constant, mostly empty, identifier-like and target-leaking columns."""
    clean = blank_to_missing(values)
    present = int(clean.notna().sum())
    distinct = clean.nunique()
    name = str(values.name)
    if distinct <= 1:
        return [f"Column {name!r} has a single value and carries no information."]
    notes = []
    if present < MOSTLY_MISSING * len(clean):
        notes.append(f"Column {name!r} is {1 - present / len(clean):.0%} empty.")
    floats = None if pd.api.types.is_datetime64_any_dtype(clean.dtype) else _numeric(clean)
    if floats is not None and (infinite := int(np.isinf(floats).sum())):
        notes.append(f"Column {name!r} has {infinite} infinite value(s); the model reads them as missing.")
    if distinct == present == len(clean) and _looks_like_identifier(clean):
        notes.append(
            f"Column {name!r} looks like an identifier (a different value in every row); consider excluding it."
        )
    score = single_feature_score(clean, y, problem_type)
    if problem_type == "regression":  # a small tree fits a heavy-tailed copy poorly; ranks see it at once
        score = max(score, _rank_agreement(clean, y))
    if score >= LEAK_SCORE[problem_type]:
        notes.append(
            f"Column {name!r} predicts the target almost perfectly on its own (score {score:.3f}); "
            "it may leak the answer."
        )
    return notes


def _looks_like_identifier(values: pd.Series) -> bool:
    """Whole numbers or codes; free text with spaces and continuous numbers are unique by nature."""
    kind, dtype = guess_kind(values)
    if kind == "text":
        return not values.astype(str).str.contains(" ").any()
    return dtype == "integer" or kind == "categorical"


def _numeric(values: pd.Series) -> np.ndarray | None:
    """The column as floats when every present value reads as a number (else None: "inf" is then a label)."""
    numbers = pd.to_numeric(values, errors="coerce")
    return numbers.to_numpy(dtype="float64") if numbers.notna().sum() == values.notna().sum() else None


def _as_numbers(values: pd.Series) -> np.ndarray:
    """Any column as one numeric vector a decision tree can split (categories become codes; ±inf is missing, as
    the model's coercion reads it)."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return (values - values.min()).dt.total_seconds().to_numpy(dtype="float64")
    floats = _numeric(values)
    if floats is not None:
        return np.where(np.isinf(floats), np.nan, floats)
    codes = pd.factorize(values.map(str, na_action="ignore"))[0].astype("float64")
    codes[codes < 0] = np.nan
    return codes


def _rank_agreement(values: pd.Series, y: pd.Series) -> float:
    """|Spearman correlation| of the column with a numeric target: 1 for any monotone copy of it."""
    x, target = _as_numbers(values), pd.to_numeric(y, errors="coerce").to_numpy(dtype="float64")
    both = ~np.isnan(x) & np.isfinite(target)
    if both.sum() < 3:
        return 0.0
    rho = pd.Series(x[both]).corr(pd.Series(target[both]), method="spearman")
    return 0.0 if pd.isna(rho) else abs(float(rho))


def single_feature_score(values: pd.Series, y: pd.Series, problem_type: str) -> float:
    """Held-out balanced accuracy (classification) or R² (regression) of a small tree on this one column."""
    x = _as_numbers(values)
    target: Any = y.to_numpy() if problem_type == "regression" else pd.factorize(y)[0]
    order = np.random.default_rng(0).permutation(len(x))[:_LEAK_SAMPLE]
    cut = int(len(order) * 0.7)
    fit, test = order[:cut], order[cut:]
    if problem_type == "regression":
        tree: Any = DecisionTreeRegressor(max_leaf_nodes=64, random_state=0)
        return float(r2_score(target[test], tree.fit(x[fit, None], target[fit]).predict(x[test, None])))
    tree = DecisionTreeClassifier(max_leaf_nodes=64, random_state=0)
    with warnings.catch_warnings():  # a rare class may be absent from the small test part
        warnings.simplefilter("ignore", UserWarning)
        return float(balanced_accuracy_score(target[test], tree.fit(x[fit, None], target[fit]).predict(x[test, None])))
