"""Explanations of non-tree models are relative to a background of training rows kept with the model: the base
value is the average model output over it, and an input left at its default still contributes when it differs
from the background's average."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

from core.ml import background_sample, explain_one, infer_schema
from core.ml.candidates import Candidate, build_pipeline
from core.ml.preprocessing import build_preprocessor
from core.ml.schema import ModelSchema
from tests.core.test_inference_service import mixed_frame

pytestmark = pytest.mark.database_free  # no Engine, no database: the Postgres run of CI skips it


def _fit(family: str) -> tuple[Pipeline, ModelSchema, pd.DataFrame]:
    frame = mixed_frame(400, seed=3)
    schema = infer_schema(frame, "label", column_types={"member": "boolean", "joined": "date"})
    if family == "KNeighbors":  # neither tree nor linear: the model-agnostic (Kernel SHAP) explainer
        pipeline = Pipeline([*build_preprocessor(schema, "linear"), ("model", KNeighborsClassifier(15))])
    else:
        pipeline = build_pipeline(schema, Candidate(family, {"max_iter": 2000}))
    return pipeline.fit(frame[schema.feature_names], frame["label"]), schema, frame


def _explained(pipeline: Pipeline, rows: pd.DataFrame, space: str, label: str) -> np.ndarray:
    """The explained output for class ``label`` over ``rows``, from the pipeline's public methods."""
    k = list(pipeline.classes_).index(label)
    if space == "probability":
        return pipeline.predict_proba(rows)[:, k]
    score = pipeline.decision_function(rows)
    return score if k == 1 else -score


@pytest.mark.parametrize(("family", "space"), [("LogisticRegression", "log-odds"), ("KNeighbors", "probability")])
def test_base_value_is_the_average_output_over_the_background_and_defaults_contribute(family: str, space: str):
    pipeline, schema, frame = _fit(family)
    background = background_sample(frame, schema)
    assert len(background) == 100 and list(background.columns) == schema.feature_names
    typical = pd.DataFrame([schema.defaults()])  # every input left at its form default
    explanation = explain_one(pipeline, schema, typical, background)
    assert explanation.output_space == space
    assert (explanation.baseline, explanation.background_rows) == ("background", 100)
    average = _explained(pipeline, background, space, explanation.explained_class).mean()
    assert explanation.base_value == pytest.approx(average, abs=1e-6)
    total = explanation.base_value + sum(explanation.contributions.values())
    assert total == pytest.approx(explanation.model_output, abs=1e-6)
    # "color" is at its mode (red) while the background mixes red, green and blue: it must count
    assert typical.loc[0, "color"] == "red" and (background["color"] != "red").any()
    assert abs(explanation.contributions["color"]) > 1e-3


def test_without_a_background_explanations_fall_back_to_the_typical_row_and_say_so():
    pipeline, schema, _ = _fit("LogisticRegression")
    typical = pd.DataFrame([schema.defaults()])
    explanation = explain_one(pipeline, schema, typical)
    assert explanation.baseline == "typical row"
    assert all(v == pytest.approx(0, abs=1e-9) for v in explanation.contributions.values())
