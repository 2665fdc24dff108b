"""SHAP explanations: base value + contributions equal the model output; values land on original columns."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from core.ml import (
    ModelSchema,
    explain_one,
    explainer_for,
    global_importance,
    importance_rows,
    infer_schema,
    predict_frame,
    top_reasons,
)
from core.ml import importance as importance_module
from core.ml.candidates import Candidate, build_pipeline
from core.ml.preprocessing import build_preprocessor

pytestmark = pytest.mark.database_free  # no Engine, no database: the Postgres run of CI skips it

DATA = {"cancer": load_breast_cancer, "wine": load_wine, "diabetes": load_diabetes}
MODELS = [
    ("cancer", "HistGradientBoosting", "log-odds"),
    ("cancer", "RandomForest", "probability"),
    ("cancer", "LogisticRegression", "log-odds"),
    ("cancer", "KNeighbors", "probability"),
    ("wine", "HistGradientBoosting", "raw score"),
    ("wine", "ExtraTrees", "probability"),
    ("diabetes", "HistGradientBoosting", "value"),
    ("diabetes", "Ridge", "value"),
]


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    with threadpool_limits(limits=1):  # small fits: threads only add contention on a shared machine
        yield


@pytest.fixture(scope="module")
def frames() -> dict[str, tuple[pd.DataFrame, ModelSchema]]:
    out = {}
    for name, loader in DATA.items():
        df = loader(as_frame=True).frame
        out[name] = (df, infer_schema(df, "target"))
    return out


def _fit(df: pd.DataFrame, schema, family: str) -> Pipeline:
    if family == "KNeighbors":  # neither tree nor linear: exercises the model-agnostic explainer
        pipeline = Pipeline([*build_preprocessor(schema, "linear"), ("model", KNeighborsClassifier())])
    else:
        params = {"n_estimators": 30} if family in ("RandomForest", "ExtraTrees") else {}
        params = {"max_iter": 40} if family == "HistGradientBoosting" else params
        pipeline = build_pipeline(schema, Candidate(family, params))
    return pipeline.fit(df[schema.feature_names], df["target"])


def _independent_output(pipeline: Pipeline, row: pd.DataFrame, space: str) -> float:
    """The explained quantity, computed from the pipeline's own public methods."""
    if space == "value":
        return float(pipeline.predict(row)[0])
    index = list(pipeline.classes_).index(pipeline.predict(row)[0])
    if space == "probability":
        return float(pipeline.predict_proba(row)[0, index])
    score = np.atleast_1d(pipeline.decision_function(row)[0])
    if space == "log-odds":
        return float(score[0] if index == 1 else -score[0])
    return float(score[index])


@pytest.mark.parametrize(("data", "family", "space"), MODELS, ids=[f"{d}-{f}" for d, f, _ in MODELS])
def test_base_value_plus_contributions_equals_model_output(frames, data, family, space):
    df, schema = frames[data]
    pipeline = _fit(df, schema, family)
    for position in (0, 7, 42):
        row = df.iloc[[position]][schema.feature_names]
        explanation = explain_one(pipeline, schema, row)
        total = explanation.base_value + sum(explanation.contributions.values())
        expected = _independent_output(pipeline, row, space)
        assert explanation.output_space == space
        assert explanation.model_output == pytest.approx(expected, rel=1e-6, abs=1e-9)
        assert total == pytest.approx(explanation.model_output, rel=1e-6, abs=1e-9)
        assert explanation.prediction == pipeline.predict(row)[0]
        assert list(explanation.contributions) == schema.feature_names


def test_explanation_of_a_tree_model_is_fast_once_cached(frames):
    df, schema = frames["cancer"]
    pipeline = _fit(df, schema, "HistGradientBoosting")
    explain_one(pipeline, schema, df.iloc[[0]])
    timings = []
    for position in range(20):
        started = time.perf_counter()
        explain_one(pipeline, schema, df.iloc[[position]])
        timings.append(time.perf_counter() - started)
    assert np.percentile(timings, 95) < 0.2


def test_global_importance_is_reported_on_original_columns(frames):
    df, schema = frames["wine"]
    pipeline = _fit(df, schema, "HistGradientBoosting")
    importance, per_row = global_importance(pipeline, schema, df, max_rows=100)
    assert sorted(importance["feature"]) == sorted(schema.feature_names)
    assert importance["mean_abs_shap"].is_monotonic_decreasing and (importance["mean_abs_shap"] >= 0).all()
    assert list(per_row.columns) == schema.feature_names and len(per_row) == 100
    assert set(per_row.index) <= set(df.index)
    assert importance["feature"].iloc[0] in {
        "proline",
        "flavanoids",
        "color_intensity",
        "od280/od315_of_diluted_wines",
        "alcohol",
    }


def test_model_agnostic_importance_explains_a_small_sample(frames):
    df, schema = frames["cancer"]
    pipeline = _fit(df, schema, "KNeighbors")
    importance, per_row = global_importance(pipeline, schema, df, max_rows=8)
    assert explainer_for(pipeline, df.head(5)).kind == "agnostic"
    assert len(per_row) == 8 and sorted(importance["feature"]) == sorted(schema.feature_names)


def test_binary_importance_matches_per_row_values_of_the_positive_class(frames):
    df, schema = frames["cancer"]
    pipeline = _fit(df, schema, "LogisticRegression")
    importance, per_row = global_importance(pipeline, schema, df)
    by_feature = importance.set_index("feature")["mean_abs_shap"]
    np.testing.assert_allclose(by_feature[per_row.columns], per_row.abs().mean().to_numpy())
    explainer = explainer_for(pipeline, df.head(50))
    assert explainer.kind == "linear"


def _largest(explanation, k: int) -> list[str]:
    """The k columns with the largest |contribution| in a single-row explanation, as ``top_reasons`` writes them."""
    ranked = sorted(explanation.contributions.items(), key=lambda item: -abs(item[1]))[:k]
    return [f"{name} ({value:+.3g})" for name, value in ranked]


@pytest.mark.parametrize("data", ["cancer", "wine"])  # binary (flipped for class 0) and multiclass
def test_top_reasons_explain_every_row_of_a_big_forest_batch(frames, data, monkeypatch):
    df, schema = frames[data]
    pipeline = _fit(df, schema, "RandomForest")
    # A forest "too big" for global importance to explain the whole batch, without the minutes a really big one
    # takes: the time budget that sizes global importance shrinks instead of the forest growing.
    monkeypatch.setattr(importance_module, "IMPORTANCE_SECONDS", 0.001)
    assert importance_rows(pipeline, len(df)) < len(df)
    rows = df[schema.feature_names].sample(frac=1.0, random_state=2)
    predictions = predict_frame(pipeline, schema, rows)["prediction"]
    reasons = top_reasons(pipeline, schema, rows, predictions, 3)
    assert list(reasons.columns) == ["reason_1", "reason_2", "reason_3"] and reasons.index.equals(rows.index)
    assert (reasons["reason_1"] != "").all()
    for label in rows.index[[0, 17, len(rows) - 1]]:
        assert reasons.loc[label].tolist() == _largest(explain_one(pipeline, schema, rows.loc[[label]]), 3)
    sliced = top_reasons(pipeline, schema, rows, predictions, 3, slice_rows=64)
    pd.testing.assert_frame_equal(sliced, reasons)


def test_top_reasons_leave_blanks_when_the_model_has_fewer_columns(frames):
    df, _ = frames["diabetes"]
    schema = infer_schema(df, "target", features=["bmi", "s5"])
    pipeline = _fit(df, schema, "Ridge")
    rows = df.head(30)[schema.feature_names]
    reasons = top_reasons(pipeline, schema, rows, predict_frame(pipeline, schema, rows)["prediction"], 3)
    assert reasons["reason_1"].str.match(r"^(bmi|s5) \(").all() and (reasons["reason_3"] == "").all()
