"""Categorical, boolean, date, datetime and text columns: schema, training, unseen values, SHAP summed back."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from threadpoolctl import threadpool_limits

from core.ml import (
    ModelSchema,
    check_input,
    explain_one,
    global_importance,
    infer_schema,
    predict_frame,
    train_tabular,
)
from core.ml.candidates import Candidate, build_pipeline
from core.ml.preprocessing import feature_sources
from core.ml.ranges import flag_notes, unusual_inputs

pytestmark = pytest.mark.database_free  # no Engine, no database: the Postgres run of CI skips it


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    with threadpool_limits(limits=1):  # small fits: threads only add contention on a shared machine
        yield


@pytest.fixture(scope="module")
def loans() -> pd.DataFrame:
    """Breast-cancer measurements plus typed columns whose values carry signal, written as a CSV reader sees them."""
    cancer = load_breast_cancer(as_frame=True).frame
    rng = np.random.default_rng(0)
    n = len(cancer)
    region = np.where(
        cancer["target"] == 1, rng.choice(["north", "east", "west"], n), rng.choice(["south", "east", "west"], n)
    )
    frame = pd.DataFrame(
        {
            "loan_id": [f"L{i:04d}" for i in range(n)],
            "radius": cancer["mean radius"].round(2),
            "texture": cancer["mean texture"].where(rng.random(n) > 0.1),
            "region": pd.Series(region).where(rng.random(n) > 0.05),
            "insured": np.where(rng.random(n) < 0.5 + 0.3 * cancer["target"], "yes", "no"),
            "opened": pd.date_range("2021-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "updated": pd.date_range("2022-03-01 08:30", periods=n, freq="7h").astype(str),
            "note": [f"customer note {w} about case {i}" for i, w in enumerate(rng.choice(["late", "ok"], n))],
            "outcome": cancer["target"].map({0: "default", 1: "repaid"}),
        }
    )
    return frame


@pytest.fixture(scope="module")
def schema(loans) -> ModelSchema:
    return infer_schema(loans, "outcome", id_column="loan_id")


def test_schema_infers_feature_kinds_from_values(schema):
    kinds = {f.name: (f.kind, f.dtype) for f in schema.features}
    assert kinds == {
        "radius": ("numeric", "float"),
        "texture": ("numeric", "float"),
        "region": ("categorical", "string"),
        "insured": ("boolean", "boolean"),
        "opened": ("datetime", "date"),
        "updated": ("datetime", "datetime"),
        "note": ("text", "string"),
    }
    assert schema.classes == ("default", "repaid") and schema.problem_type == "classification"
    region = schema.feature("region")
    assert set(region.categories) == {"north", "south", "east", "west"} and region.mode == region.categories[0]
    assert schema.feature("opened").min == "2021-01-01" and schema.feature("radius").median is not None


def test_schema_round_trips_through_json(schema):
    assert ModelSchema.from_dict(json.loads(json.dumps(schema.to_dict()))) == schema


def test_template_column_types_win_over_guessing(loans):
    typed = infer_schema(
        loans,
        "outcome",
        features=["radius", "insured", "opened"],
        column_types={"radius": "category", "insured": "string", "opened": "string"},
    )
    assert [f.kind for f in typed.features] == ["categorical", "categorical", "text"]


def test_training_end_to_end_on_mixed_types(loans, schema):
    outcome = train_tabular(loans, schema, time_budget_s=3)
    roc_auc = outcome.metrics["roc_auc"]
    assert roc_auc is not None and roc_auc > 0.9
    assert set(outcome.holdout.columns) == {"y_true", "y_pred", "probability_default", "probability_repaid"}
    assert set(outcome.holdout["y_pred"]) <= {"default", "repaid"}


def test_unseen_category_is_predicted_with_a_warning(loans, schema):
    pipeline = build_pipeline(schema, Candidate("HistGradientBoosting", {"max_iter": 30}))
    pipeline.fit(loans, loans["outcome"])
    rows = loans.head(4).assign(region=["atlantis", "north", None, "atlantis"])
    frame, problems, _ = check_input(schema, rows)
    assert problems == []
    notes = flag_notes(unusual_inputs(schema, frame))
    assert "Column 'region': 2 rows have categories never seen in training ('atlantis')" in notes[0]
    assert len(predict_frame(pipeline, schema, frame)) == 4
    explanation = explain_one(pipeline, schema, rows.iloc[[0]])
    assert explanation.base_value + sum(explanation.contributions.values()) == pytest.approx(explanation.model_output)


def test_one_hot_and_date_parts_are_summed_back_onto_original_columns(loans, schema):
    pipeline = build_pipeline(schema, Candidate("LogisticRegression", {"max_iter": 2000}))
    pipeline.fit(loans, loans["outcome"])
    sources = feature_sources(pipeline)
    assert sources.count("region") == 5  # four regions and "missing"
    assert sources.count("opened") == 5 and sources.count("radius") == 1
    importance, _ = global_importance(pipeline, schema, loans)
    assert sorted(importance["feature"]) == sorted(schema.feature_names)
    assert importance["feature"].iloc[0] == "radius"
    explanation = explain_one(pipeline, schema, loans.iloc[[5]])
    assert set(explanation.contributions) == set(schema.feature_names)
    assert explanation.base_value + sum(explanation.contributions.values()) == pytest.approx(explanation.model_output)


def test_form_values_as_text_are_read_like_training_values(loans, schema):
    pipeline = build_pipeline(schema, Candidate("HistGradientBoosting", {"max_iter": 30}))
    pipeline.fit(loans, loans["outcome"])
    row = loans.iloc[[10]]
    form = pd.DataFrame([{k: ("" if pd.isna(v) else str(v)) for k, v in row.iloc[0].items()}])
    form["insured"] = form["insured"].str.upper()
    frame, problems, _ = check_input(schema, form)
    assert problems == []
    np.testing.assert_allclose(
        predict_frame(pipeline, schema, frame).iloc[:, 1:].to_numpy(), pipeline.predict_proba(row)
    )
    defaults = pd.DataFrame([schema.defaults()])
    assert check_input(schema, defaults)[1] == []
    assert len(predict_frame(pipeline, schema, defaults)) == 1
