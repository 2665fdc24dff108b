"""Typed preprocessing: values are coerced to one dtype per feature kind, then each original column gets
its own small transformer, so every model input feature knows which user column it came from (SHAP values
are summed back onto those columns).

A pipeline has two parts. The engine's steps (``coerce``: canonical dtypes; ``inputs``: date parts, blank text)
are rebuilt from the schema when a model is loaded. The *portable* part (``prep``: a ``ColumnTransformer`` of
scikit-learn's own transformers, then the estimator) is what the model file holds, so a downloaded model loads
and predicts with scikit-learn, skops and pandas alone. Models saved before that split hold the whole pipeline
(with ``DatetimeParts`` / ``TextTokens`` inside ``prep``); they still load."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from core.ml.coerce import coerce_column, coerce_numbers, plain_number_columns
from core.ml.schema import ModelSchema

Style = Literal["tree", "linear"]
DATETIME_PARTS: tuple[str, ...] = ("year", "month", "day", "dayofweek", "hour")
MIN_CATEGORY_COUNT = 5  # rarer categories share one "infrequent" bucket, so a typo never gets its own weight
MAX_ONE_HOT = 30
MAX_ORDINAL = 250
TEXT_WORDS = 20  # most frequent words of a free-text column kept as features


class FrameCoercer(TransformerMixin, BaseEstimator):
    """First pipeline step: select the schema's features and give each its canonical dtype, so the saved
    pipeline accepts raw rows from a CSV, a form or a Parquet file alike."""

    def __init__(self, kinds: dict[str, str] | None = None) -> None:
        self.kinds = kinds

    def fit(self, X: pd.DataFrame, y: Any = None) -> FrameCoercer:
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True  # stateless

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        kinds = self.kinds or {}
        if kinds and all(k == "numeric" for k in kinds.values()):  # numbers only: at once when their dtypes allow
            names = list(kinds)
            if len(plain_number_columns(X, names)) == len(names):
                return coerce_numbers(X, names)
        return pd.DataFrame({c: coerce_column(X[c], k)[0] for c, k in kinds.items()}, index=X.index)


class ModelInputs(TransformerMixin, BaseEstimator):
    """Second engine step: canonical columns as the portable part reads them. A datetime column becomes numeric
    calendar parts ``<name>__year`` … (no scikit-learn transformer extracts them), missing text becomes ""
    (``TfidfVectorizer`` refuses NaN); other columns pass unchanged."""

    def __init__(self, kinds: dict[str, str] | None = None) -> None:
        self.kinds = kinds

    def fit(self, X: pd.DataFrame, y: Any = None) -> ModelInputs:
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True  # stateless

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        kinds = self.kinds or {}
        dates = [name for name, kind in kinds.items() if kind == "datetime"]
        texts = [name for name, kind in kinds.items() if kind == "text"]
        if not dates and not texts:
            return X  # the usual case, and a form prediction runs it twice: no copy
        out = X.drop(columns=dates)
        for name in texts:
            out[name] = X[name].fillna("")
        for name in dates:
            stamps = pd.to_datetime(X[name])
            for part in DATETIME_PARTS:
                out[part_column(name, part)] = getattr(stamps.dt, part).astype("float64")
        return out


def part_column(name: str, part: str) -> str:
    """The portable model's input column holding one calendar part of a datetime feature."""
    return f"{name}__{part}"


class DatetimeParts(TransformerMixin, BaseEstimator):
    """Calendar parts of a datetime column (missing dates give missing parts); in models saved before the
    portable split only."""

    def fit(self, X: pd.DataFrame, y: Any = None) -> DatetimeParts:
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        stamps = pd.to_datetime(X.iloc[:, 0])
        return np.column_stack([getattr(stamps.dt, part).to_numpy(dtype="float64") for part in DATETIME_PARTS])


class TextTokens(TransformerMixin, BaseEstimator):
    """The most frequent words of a free-text column as dense TF-IDF features (none if it has no words); in models
    saved before the portable split only."""

    def __init__(self, max_features: int = TEXT_WORDS) -> None:
        self.max_features = max_features

    def fit(self, X: pd.DataFrame, y: Any = None) -> TextTokens:
        vectorizer = TfidfVectorizer(max_features=self.max_features)
        try:
            vectorizer.fit(X.iloc[:, 0].fillna(""))
            self.vectorizer_: TfidfVectorizer | None = vectorizer
        except ValueError:  # empty vocabulary: nothing to learn from this column
            self.vectorizer_ = None
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        if self.vectorizer_ is None:
            return np.empty((len(X), 0))
        return self.vectorizer_.transform(X.iloc[:, 0].fillna("")).toarray()


def _column_step(kind: str, style: Style) -> Any:
    """The transformer for one original column of ``kind`` for a tree or a linear model."""
    if kind == "text":
        return TfidfVectorizer(max_features=TEXT_WORDS)
    if style == "tree":
        if kind == "categorical":
            return OrdinalEncoder(
                handle_unknown="use_encoded_value",
                unknown_value=np.nan,
                min_frequency=MIN_CATEGORY_COUNT,
                max_categories=MAX_ORDINAL,
            )
        return "passthrough"  # trees split on missing values
    if kind == "categorical":
        return OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            min_frequency=MIN_CATEGORY_COUNT,
            max_categories=MAX_ONE_HOT,
            sparse_output=False,
        )
    if kind == "boolean":
        return SimpleImputer(strategy="most_frequent", keep_empty_features=True)
    impute = SimpleImputer(strategy="median", keep_empty_features=True)
    return Pipeline([("impute", impute), ("scale", StandardScaler())])  # numbers and date parts


def _inputs_of(name: str, kind: str) -> str | list[str]:
    """What the portable part's transformer of one feature reads: one text column as 1-D, date parts, or one column."""
    if kind == "text":
        return name
    return [part_column(name, p) for p in DATETIME_PARTS] if kind == "datetime" else [name]


def engine_steps(kinds: dict[str, str]) -> list[tuple[str, Any]]:
    """The steps ahead of the portable part; rebuilt from the schema when a model is loaded."""
    return [("coerce", FrameCoercer(dict(kinds))), ("inputs", ModelInputs(dict(kinds)))]


# Kinds whose transformer maps each input column to exactly one output column, per style: they share one
# transformer (``g_<kind>``), which keeps a model file small (skops writes every transformer of every fold model).
_ONE_TO_ONE: dict[str, tuple[str, ...]] = {
    "tree": ("numeric", "boolean", "datetime", "categorical"),
    "linear": ("numeric", "datetime", "boolean"),
}


def preprocessor(schema: ModelSchema, style: Style) -> ColumnTransformer:
    """The portable part's ``prep``, reading the engine steps' output: one shared transformer per one-to-one kind
    (``g_<kind>``), one per other feature (``c<i>``: one-hot columns, text tokens)."""
    grouped: dict[str, list[str]] = {}
    single: list[tuple[str, Any, str | list[str]]] = []
    for i, f in enumerate(schema.features):
        if f.kind in _ONE_TO_ONE[style]:
            kind = "numeric" if f.kind == "datetime" else f.kind  # date parts are numbers
            grouped.setdefault(kind, []).extend(_inputs_of(f.name, f.kind))
        else:
            single.append((f"c{i}", _column_step(f.kind, style), _inputs_of(f.name, f.kind)))
    shared = [(f"g_{kind}", _column_step(kind, style), columns) for kind, columns in grouped.items()]
    return ColumnTransformer([*shared, *single], remainder="drop", sparse_threshold=0.0)


def engine_head(schema: ModelSchema) -> Pipeline:
    """The engine steps alone (stateless): raw rows in, what ``preprocessor`` reads out."""
    return Pipeline(engine_steps({f.name: f.kind for f in schema.features}))


def build_preprocessor(schema: ModelSchema, style: Style) -> list[tuple[str, Any]]:
    """Pipeline steps (engine steps, then one transformer per feature) ahead of the estimator."""
    return [*engine_steps({f.name: f.kind for f in schema.features}), ("prep", preprocessor(schema, style))]


def portable(pipeline: Pipeline) -> Pipeline:
    """The fitted scikit-learn-only part of a pipeline (``prep`` and the estimator): what a model file holds."""
    start = [name for name, _ in pipeline.steps].index("prep")
    return Pipeline(pipeline.steps[start:])


def runtime(saved: Pipeline, kinds: dict[str, str]) -> Pipeline:
    """A loaded model file as the engine runs it: the engine steps for ``kinds`` ahead of the portable part (a
    file from before the split already starts with ``coerce``)."""
    if saved.steps[0][0] == "coerce":
        return saved
    return Pipeline([*engine_steps(kinds), *saved.steps])


def feature_sources(pipeline: Pipeline) -> list[str]:
    """For each model input feature of a fitted pipeline, the original column it came from (transformer
    ``c<i>`` encodes the i-th feature)."""
    return prep_sources(pipeline.named_steps["prep"], list(pipeline.named_steps["coerce"].kinds))


def prep_sources(columns: ColumnTransformer, names: list[str]) -> list[str]:
    """``feature_sources`` of one fitted ``prep``: transformer ``c<i>`` encodes ``names[i]``; a shared ``g_<kind>``
    one maps each input column (a feature, or one of its date parts) to one output column."""
    owner = {part_column(n, p): n for n in names for p in DATETIME_PARTS} | {n: n for n in names}
    inputs = {name: cols for name, _, cols in columns.transformers_}
    sources: list[str] = []
    for name, part in sorted(columns.output_indices_.items(), key=lambda item: item[1].start):
        if name.startswith("g_"):
            sources.extend(owner[c] for c in inputs[name])
        elif name.startswith("c") and name[1:].isdigit():
            sources.extend([names[int(name[1:])]] * (part.stop - part.start))
    return sources
