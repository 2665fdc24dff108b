"""Scoring, input checks against the model schema, and skops persistence with trusted types only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sklearn
import skops.io as sio
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from core.errors import InvalidInput
from core.ml import (
    check_input,
    infer_schema,
    library_versions,
    load_model,
    model_from_bytes,
    model_to_bytes,
    predict_frame,
    save_model,
)
from core.ml.candidates import Candidate, build_pipeline
from core.ml.coerce import FEATURE_KINDS, coerce_column
from core.ml.preprocessing import FrameCoercer, portable
from core.ml.problem import _prepare, prepare_target

pytestmark = pytest.mark.database_free  # no Engine, no database: the Postgres run of CI skips it


class Shifter(TransformerMixin, BaseEstimator):
    """A class no trusted list knows: a file containing it must be refused."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    with threadpool_limits(limits=1):  # small fits: threads only add contention on a shared machine
        yield


@pytest.fixture(scope="module")
def cancer():
    df = load_breast_cancer(as_frame=True).frame
    schema = infer_schema(df, "target")
    pipeline = build_pipeline(schema, Candidate("HistGradientBoosting", {"max_iter": 50})).fit(
        df[schema.feature_names], df["target"]
    )
    return df, schema, pipeline


def test_predict_frame_matches_the_pipeline_row_for_row(cancer):
    df, schema, pipeline = cancer
    shuffled = df.sample(frac=1.0, random_state=3)
    scored = predict_frame(pipeline, schema, shuffled)
    assert list(scored.columns) == ["prediction", "probability_0", "probability_1"]
    assert scored.index.equals(shuffled.index)
    np.testing.assert_array_equal(scored["prediction"], pipeline.predict(shuffled))
    np.testing.assert_allclose(scored[["probability_0", "probability_1"]], pipeline.predict_proba(shuffled))


def test_regression_predict_frame_has_only_the_prediction():
    df = load_diabetes(as_frame=True).frame
    schema = infer_schema(df, "target")
    pipeline = build_pipeline(schema, Candidate("Ridge")).fit(df[schema.feature_names], df["target"])
    scored = predict_frame(pipeline, schema, df.head(10))
    assert list(scored.columns) == ["prediction"]
    np.testing.assert_allclose(scored["prediction"], pipeline.predict(df.head(10)))


@pytest.mark.parametrize("family", ["HistGradientBoosting", "RandomForest", "ExtraTrees", "LogisticRegression"])
def test_saved_model_round_trips_and_predicts_the_same(cancer, family, tmp_path):
    df, schema, _ = cancer
    params = {"n_estimators": 20} if family in ("RandomForest", "ExtraTrees") else {}
    params = {"max_iter": 30} if family == "HistGradientBoosting" else params
    pipeline = build_pipeline(schema, Candidate(family, params)).fit(df[schema.feature_names], df["target"])
    path = tmp_path / "model.skops"
    save_model(pipeline, path)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(df), pipeline.predict(df))
    np.testing.assert_array_equal(loaded.predict_proba(df), pipeline.predict_proba(df))


def test_model_file_with_an_unknown_type_is_refused(cancer):
    pipeline = cancer[2]
    tampered = Pipeline([("shift", Shifter()), *portable(pipeline).steps])  # what a model file holds
    with pytest.raises(InvalidInput) as excinfo:
        model_from_bytes(sio.dumps(tampered))
    assert [p.problem for p in excinfo.value.problems] == ["untrusted type"]
    value = excinfo.value.problems[0].value
    assert value is not None and value.endswith("Shifter")


def test_bytes_that_are_not_a_model_file_are_refused():
    with pytest.raises(InvalidInput):
        model_from_bytes(b"\x80\x04definitely not a skops archive")
    with pytest.raises(InvalidInput):
        model_from_bytes(sio.dumps({"not": "a pipeline"}))


def test_model_bytes_round_trip(cancer):
    df, _, pipeline = cancer
    np.testing.assert_array_equal(model_from_bytes(model_to_bytes(pipeline)).predict(df), pipeline.predict(df))
    assert library_versions()["scikit-learn"] == sklearn.__version__


def test_check_input_reports_missing_columns_and_ignores_extra_ones(cancer):
    df, schema, _ = cancer
    frame, problems, notes = check_input(schema, df.drop(columns=["mean radius"]).assign(comment="x"))
    assert [(p.problem, p.field) for p in problems] == [("missing column", "mean radius")]
    assert notes == ["Ignored columns not used by the model: comment."]
    assert list(frame.columns) == schema.feature_names


def test_check_input_reports_wrong_types_per_row_with_offset(cancer):
    df, schema, pipeline = cancer
    text = df.head(5).astype(str)
    text.loc[text.index[1], "mean radius"] = "twelve"
    text.loc[text.index[3], "mean area"] = "n/a"  # a missing value, not a wrong one
    frame, problems, _ = check_input(schema, text, row_offset=100)
    assert [(p.row, p.field, p.value, p.problem) for p in problems] == [(101, "mean radius", "twelve", "wrong type")]
    assert np.isnan(frame.loc[text.index[1], "mean radius"]) and np.isnan(frame.loc[text.index[3], "mean area"])
    assert frame["mean texture"].dtype == np.float64
    np.testing.assert_array_equal(
        predict_frame(pipeline, schema, frame)["prediction"].drop(text.index[[1, 3]]),
        pipeline.predict(df.head(5)).take([0, 2, 4]),
    )


def test_check_input_caps_the_number_of_listed_problems(cancer):
    df, schema, _ = cancer
    bad = df.assign(**{"mean radius": "?"})
    _, problems, notes = check_input(schema, bad, max_problems=10)
    assert len(problems) == 10
    assert notes == [f"{len(df) - 10} more wrong values are not listed."]


def test_empty_input_is_refused(cancer):
    _, schema, _ = cancer
    with pytest.raises(InvalidInput):
        check_input(schema, pd.DataFrame(columns=schema.feature_names))


def test_infinite_numbers_are_wrong_values_reported_per_row(cancer):
    df, schema, _ = cancer
    rows = df.head(4).astype({"mean radius": object})
    rows.loc[rows.index[:3], "mean radius"] = [np.inf, "-inf", "1e999"]
    frame, problems, _ = check_input(schema, rows, row_offset=1)
    assert [(p.row, p.field, p.value, p.problem) for p in problems] == [
        (1, "mean radius", "inf", "not a finite number"),
        (2, "mean radius", "-inf", "not a finite number"),
        (3, "mean radius", "1e999", "not a finite number"),
    ]
    assert frame["mean radius"].iloc[:3].isna().all() and frame["mean radius"].iloc[3] == df["mean radius"].iloc[3]


def test_a_linear_pipeline_reads_infinite_inputs_as_missing_instead_of_crashing():
    df = load_diabetes(as_frame=True).frame
    schema = infer_schema(df, "target")
    pipeline = build_pipeline(schema, Candidate("Ridge")).fit(df[schema.feature_names], df["target"])
    rows = df.head(3)[schema.feature_names].copy()
    rows["bmi"] = [np.inf, -np.inf, np.nan]
    np.testing.assert_allclose(pipeline.predict(rows), pipeline.predict(rows.assign(bmi=np.nan)))


@pytest.mark.parametrize("kind", FEATURE_KINDS)
def test_lists_and_dicts_are_wrong_values_of_every_kind(kind):
    values, bad = coerce_column(pd.Series([{"a": 1}, [1, 2], None], dtype=object), kind)
    assert bad.tolist() == [True, True, False] and values.isna().all()


_NUMBERS = st.one_of(
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=30).map(lambda v: pd.Series(v, dtype="float64")),
    st.lists(st.integers(-(2**62), 2**62), max_size=30).map(lambda v: pd.Series(v, dtype="int64")),
    st.lists(st.one_of(st.none(), st.integers(-(10**12), 10**12)), max_size=30).map(
        lambda v: pd.Series(v, dtype="Int64")
    ),
    st.lists(st.one_of(st.none(), st.floats(width=32)), max_size=30).map(lambda v: pd.Series(v, dtype="Float32")),
)


@settings(max_examples=200, deadline=None)
@given(_NUMBERS)
def test_numbers_read_the_same_on_the_fast_path_as_their_text(values: pd.Series) -> None:
    """Numeric dtypes skip the per-value path; the result and the wrong-value mask must be what the same values
    give as plain Python objects (a CSV's or a form's)."""
    fast, fast_bad = coerce_column(values.rename("x"), "numeric")
    slow, slow_bad = coerce_column(values.astype(object).rename("x"), "numeric")
    pd.testing.assert_series_equal(fast, slow)
    assert fast_bad.tolist() == slow_bad.tolist()


_LABELS = st.one_of(
    st.sampled_from(["a", " b ", "B", "", "  ", "NA", "null", "n/a", "None", "1", " 2 ", "3.5", "01", "inf", "1e999"]),
    st.none(),
    st.just(np.nan),
    st.text(max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LABELS, max_size=30), st.integers(0, 5))
def test_text_targets_read_per_distinct_value_as_value_by_value(values: list[object], offset: int) -> None:
    """A text target's labels are worked out once per distinct value: the same labels, rows and refusals as
    reading every value (blanks and "NA" missing, numbers as numbers, text stripped)."""
    y = pd.Series(values, dtype=object, name="label", index=range(offset, offset + len(values)))
    outcomes = []
    for read in (prepare_target, _prepare):
        try:
            outcomes.append(read(y, "classification"))
        except InvalidInput as exc:
            outcomes.append(exc.problems)
    if isinstance(outcomes[1], pd.Series):
        pd.testing.assert_series_equal(outcomes[0], outcomes[1], check_exact=True)
    else:
        assert outcomes[0] == outcomes[1]


def _numbers_of(n: int) -> st.SearchStrategy[pd.Series]:
    """A column of ``n`` plain numbers of one of the dtypes the fast path reads."""

    def size(values: st.SearchStrategy[object]) -> st.SearchStrategy[list[object]]:
        return st.lists(values, min_size=n, max_size=n)

    return st.one_of(
        size(st.floats(allow_nan=True, allow_infinity=True)).map(lambda v: pd.Series(v, dtype="float64")),
        size(st.integers(-(2**62), 2**62)).map(lambda v: pd.Series(v, dtype="int64")),
        size(st.one_of(st.none(), st.integers(-(10**12), 10**12))).map(lambda v: pd.Series(v, dtype="Int64")),
        size(st.one_of(st.none(), st.floats(width=32))).map(lambda v: pd.Series(v, dtype="Float32")),
        size(st.just(np.nan)).map(lambda v: pd.Series(v, dtype="float64")),  # nothing present: no statistics
    )


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_number_columns_read_at_once_as_one_by_one(data: st.DataObject) -> None:
    """A pipeline's first step and the schema read plain number columns in one block: the same values, laid out
    as a frame built column by column (so what reads them computes exactly as before), and the same statistics."""
    n = data.draw(st.integers(1, 25))
    frame = pd.DataFrame({f"c{i}": data.draw(_numbers_of(n)) for i in range(4)}).set_axis(range(10, 10 + n))
    frame["y"] = ["a", "b"] * (n // 2) + ["a"] * (n % 2)
    kinds = dict.fromkeys(frame.columns[:4], "numeric")
    expected = pd.DataFrame({c: coerce_column(frame[c], "numeric")[0] for c in kinds}, index=frame.index)
    coerced = FrameCoercer(kinds).transform(frame)
    pd.testing.assert_frame_equal(coerced, expected, check_exact=True)
    assert coerced.to_numpy().flags["F_CONTIGUOUS"] == expected.to_numpy().flags["F_CONTIGUOUS"]
    for spec in infer_schema(frame, "y").features:
        present = expected[spec.name].dropna()
        stats = (spec.median, spec.min, spec.max)
        assert stats == ((present.median(), present.min(), present.max()) if len(present) else (None, None, None))
