"""Typed preprocessing: values are coerced to one dtype per feature kind, then each original column gets
its own small transformer, so every model input feature knows which user column it came from (SHAP values
are summed back onto those columns)."""

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

from core.ml.coerce import coerce_column
from core.ml.schema import ModelSchema

Style = Literal["tree", "linear"]
DATETIME_PARTS: tuple[str, ...] = ("year", "month", "day", "dayofweek", "hour")
MIN_CATEGORY_COUNT = 5  # rarer categories share one "infrequent" bucket, so a typo never gets its own weight
MAX_ONE_HOT = 30
MAX_ORDINAL = 250


class FrameCoercer(TransformerMixin, BaseEstimator):
    """First pipeline step: select the schema's features and give each its canonical dtype, so the saved
    pipeline accepts raw rows from a CSV, a form or a Parquet file alike."""

    def __init__(self, kinds: dict[str, str] | None = None) -> None:
        self.kinds = kinds

    def fit(self, X: pd.DataFrame, y: Any = None) -> FrameCoercer:
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        kinds = self.kinds or {}
        return pd.DataFrame({c: coerce_column(X[c], k)[0] for c, k in kinds.items()}, index=X.index)


class DatetimeParts(TransformerMixin, BaseEstimator):
    """Calendar parts of a datetime column (missing dates give missing parts)."""

    def fit(self, X: pd.DataFrame, y: Any = None) -> DatetimeParts:
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        stamps = pd.to_datetime(X.iloc[:, 0])
        return np.column_stack([getattr(stamps.dt, part).to_numpy(dtype="float64") for part in DATETIME_PARTS])


class TextTokens(TransformerMixin, BaseEstimator):
    """The most frequent words of a free-text column as dense TF-IDF features (none if it has no words)."""

    def __init__(self, max_features: int = 20) -> None:
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
        return TextTokens()
    if style == "tree":
        if kind == "categorical":
            return OrdinalEncoder(
                handle_unknown="use_encoded_value",
                unknown_value=np.nan,
                min_frequency=MIN_CATEGORY_COUNT,
                max_categories=MAX_ORDINAL,
            )
        return DatetimeParts() if kind == "datetime" else "passthrough"  # trees split on missing values
    if kind == "categorical":
        return OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            min_frequency=MIN_CATEGORY_COUNT,
            max_categories=MAX_ONE_HOT,
            sparse_output=False,
        )
    if kind == "boolean":
        return SimpleImputer(strategy="most_frequent", keep_empty_features=True)
    scaled = [("impute", SimpleImputer(strategy="median", keep_empty_features=True)), ("scale", StandardScaler())]
    return Pipeline([("parts", DatetimeParts()), *scaled] if kind == "datetime" else scaled)


def build_preprocessor(schema: ModelSchema, style: Style) -> list[tuple[str, Any]]:
    """Pipeline steps (coerce, then one transformer per feature) ahead of the estimator."""
    columns = ColumnTransformer(
        [(f"c{i}", _column_step(f.kind, style), [f.name]) for i, f in enumerate(schema.features)],
        remainder="drop",
        sparse_threshold=0.0,
    )
    return [("coerce", FrameCoercer({f.name: f.kind for f in schema.features})), ("prep", columns)]


def feature_sources(pipeline: Pipeline) -> list[str]:
    """For each model input feature of a fitted pipeline, the original column it came from."""
    columns: ColumnTransformer = pipeline.named_steps["prep"]
    by_name = {name: cols[0] for name, _, cols in columns.transformers_ if name != "remainder"}
    sources: list[str] = []
    for name, part in sorted(columns.output_indices_.items(), key=lambda item: item[1].start):
        if name in by_name:
            sources.extend([by_name[name]] * (part.stop - part.start))
    return sources
