"""Automatic training on scikit-learn's bundled data sets: problem checks, selection, metrics, progress."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine

from core.errors import InvalidInput
from core.ml import (
    confusion_frame,
    infer_problem_type,
    infer_schema,
    pr_curves,
    residuals_frame,
    roc_curves,
    train_tabular,
    training_warnings,
)
from core.progress import Cancelled

pytestmark = pytest.mark.database_free  # no Engine, no database: the Postgres run of CI skips it


class RecordingContext:
    """A task context that keeps every progress message and can cancel once a message appears."""

    def __init__(self, cancel_on: str | None = None) -> None:
        self.events: list[tuple[float, str]] = []
        self.cancel_on = cancel_on

    def progress(self, fraction: float, message: str = "") -> None:
        self.events.append((fraction, message))

    def cancelled(self) -> bool:
        return self.cancel_on is not None and any(self.cancel_on in m for _, m in self.events)

    def check(self) -> None:
        if self.cancelled():
            raise Cancelled()


def _frame(loader) -> pd.DataFrame:
    return loader(as_frame=True).frame


@pytest.fixture(scope="module")
def cancer() -> pd.DataFrame:
    return _frame(load_breast_cancer)


@pytest.fixture(scope="module")
def cancer_run(cancer):
    schema = infer_schema(cancer, "target")
    ctx = RecordingContext()
    return schema, train_tabular(cancer, schema, time_budget_s=5, ctx=ctx), ctx


@pytest.fixture(scope="module")
def wine_run():
    df = _frame(load_wine)
    schema = infer_schema(df, "target")
    return schema, train_tabular(df, schema, time_budget_s=3)


@pytest.fixture(scope="module")
def diabetes_run():
    df = _frame(load_diabetes)
    return train_tabular(df, infer_schema(df, "target"), time_budget_s=3)


def test_problem_type_is_inferred_with_a_reason():
    assert infer_problem_type(_frame(load_wine)["target"])[0] == "classification"
    kind, reason = infer_problem_type(_frame(load_diabetes)["target"])
    assert kind == "regression" and "distinct values" in reason
    assert infer_problem_type(pd.Series(["spam", "ham", "spam"]))[0] == "classification"
    assert infer_problem_type(pd.Series([True, False, True]))[0] == "classification"


def test_binary_classification_metrics_are_recomputable_from_holdout(cancer, cancer_run):
    _, outcome, _ = cancer_run
    holdout = outcome.holdout
    assert outcome.train_rows + outcome.holdout_rows == len(cancer)
    assert outcome.holdout_rows == len(holdout) == pytest.approx(0.2 * len(cancer), abs=1)
    y, pred, proba = holdout["y_true"], holdout["y_pred"], holdout[["probability_0", "probability_1"]].to_numpy()
    expected = {
        "accuracy": skm.accuracy_score(y, pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
        "f1": skm.f1_score(y, pred, average="macro"),
        "precision": skm.precision_score(y, pred, average="macro"),
        "recall": skm.recall_score(y, pred, average="macro"),
        "roc_auc": skm.roc_auc_score(y, proba[:, 1]),
        "log_loss": skm.log_loss(y, proba),
    }
    assert outcome.metrics == pytest.approx(expected)
    assert outcome.metrics["roc_auc"] > 0.95
    assert outcome.metric_name == "roc_auc"


def test_holdout_predictions_come_from_the_returned_pipeline(cancer, cancer_run):
    schema, outcome, _ = cancer_run
    rows = cancer.loc[outcome.holdout.index, schema.feature_names]
    np.testing.assert_array_equal(outcome.pipeline.predict(rows), outcome.holdout["y_pred"])
    np.testing.assert_allclose(outcome.pipeline.predict_proba(rows)[:, 1], outcome.holdout["probability_1"])


def test_leaderboard_ranks_several_families_best_first(cancer_run):
    _, outcome, _ = cancer_run
    board = outcome.leaderboard
    assert list(board.columns) == [
        "rank",
        "trial",
        "family",
        "params",
        "cv_score",
        "cv_std",
        "folds",
        "fit_time_s",
        "weight",
        "status",
    ]
    ranked = board[board["rank"].notna()]
    assert ranked["family"].nunique() > 1
    assert list(ranked["rank"]) == list(range(1, len(ranked) + 1))
    complete = ranked[ranked["folds"] == ranked["folds"].max()]
    assert complete["cv_score"].iloc[0] == complete["cv_score"].max()
    assert outcome.chosen_family == board["family"].iloc[0]
    assert (ranked["fit_time_s"] > 0).all()


def test_training_reports_progress_steps_and_candidates(cancer_run):
    _, _, ctx = cancer_run
    messages = [m for _, m in ctx.events]
    assert messages[0] == "preparing" and messages[-1] == "building the final model"
    candidates = [m for m in messages if m.startswith("candidate")]
    assert candidates and all(re.fullmatch(r"candidate \d+: [A-Za-z]+", m) for m in candidates)
    assert candidates[:2] == ["candidate 1: LogisticRegression", "candidate 2: LightGBM"]
    fractions = [f for f, _ in ctx.events]
    assert fractions == sorted(fractions) and fractions[0] >= 0 and fractions[-1] <= 1


def test_multiclass_metrics_use_one_vs_rest_auc_and_log_loss(wine_run):
    schema, outcome = wine_run
    assert schema.classes == (0, 1, 2) and outcome.metric_name == "log_loss"
    holdout = outcome.holdout
    proba = holdout[[f"probability_{c}" for c in schema.classes]].to_numpy()
    assert outcome.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(holdout["y_true"], proba, multi_class="ovr"))
    assert outcome.metrics["log_loss"] == pytest.approx(skm.log_loss(holdout["y_true"], proba))
    assert outcome.metrics["accuracy"] > 0.85
    confusion = confusion_frame(holdout, schema.classes)
    assert confusion.shape == (3, 3) and confusion.to_numpy().sum() == len(holdout)
    assert np.trace(confusion.to_numpy()) == (holdout["y_true"] == holdout["y_pred"]).sum()
    assert set(roc_curves(holdout, schema.classes)["class"]) == {"0", "1", "2"}


def test_regression_metrics_are_recomputable_from_holdout(diabetes_run):
    outcome = diabetes_run
    y, pred = outcome.holdout["y_true"], outcome.holdout["y_pred"]
    expected = {
        "rmse": np.sqrt(skm.mean_squared_error(y, pred)),
        "mae": skm.mean_absolute_error(y, pred),
        "r2": skm.r2_score(y, pred),
        "mape": skm.mean_absolute_percentage_error(y, pred),
    }
    assert outcome.metrics == pytest.approx(expected)
    assert outcome.metrics["r2"] > 0.25 and outcome.metric_name == "r2"
    residuals = residuals_frame(outcome.holdout)
    np.testing.assert_allclose(residuals["residual"], y - pred)


def test_binary_curves_match_reported_auc(cancer_run):
    schema, outcome, _ = cancer_run
    roc = roc_curves(outcome.holdout, schema.classes)
    positive = roc[roc["class"] == "1"]
    assert positive["auc"].iloc[0] == pytest.approx(outcome.metrics["roc_auc"])
    assert positive["fpr"].is_monotonic_increasing and positive["tpr"].iloc[-1] == 1.0
    pr = pr_curves(outcome.holdout, schema.classes)
    assert set(pr["class"]) == {"0", "1"} and pr["precision"].between(0, 1).all()


def test_short_budget_stops_starting_candidates_but_returns_a_model(cancer):
    schema = infer_schema(cancer, "target")
    outcome = train_tabular(cancer, schema, time_budget_s=0.3)
    assert outcome.duration_s < 10
    assert (outcome.leaderboard["status"] == "not run (time budget)").any()
    assert outcome.pipeline.predict(cancer[schema.feature_names].head()).shape == (5,)


def test_cancel_between_candidates_raises_cancelled(cancer):
    schema = infer_schema(cancer, "target")
    with pytest.raises(Cancelled):
        train_tabular(cancer, schema, time_budget_s=30, ctx=RecordingContext(cancel_on="candidate 2:"))


def _problems(excinfo) -> list[str]:
    return [p.problem for p in excinfo.value.problems]


def test_one_class_target_is_refused(cancer):
    with pytest.raises(InvalidInput) as excinfo:
        training_warnings(cancer.assign(target=1), "target", problem_type="classification")
    assert "the target has only one class" in _problems(excinfo)


def test_all_missing_target_is_refused(cancer):
    with pytest.raises(InvalidInput) as excinfo:
        training_warnings(cancer.assign(target=np.nan), "target")
    assert _problems(excinfo) == ["all values missing"]


def test_fewer_than_20_rows_is_refused_and_fewer_than_100_warns(cancer):
    with pytest.raises(InvalidInput) as excinfo:
        training_warnings(cancer.head(19), "target")
    assert "at least 20" in _problems(excinfo)[0]
    notes = training_warnings(cancer.sample(n=60, random_state=0), "target")
    assert any("Only 60 rows" in n for n in notes)


def test_unknown_column_names_are_refused(cancer):
    with pytest.raises(InvalidInput) as excinfo:
        training_warnings(cancer, "no such target", features=["mean radius", "nope"], id_column="missing id")
    assert {(p.field, p.value) for p in excinfo.value.problems} == {
        ("target", "no such target"),
        ("features", "nope"),
        ("id_column", "missing id"),
    }


def test_warnings_flag_constant_identifier_leaking_and_imbalanced_columns(cancer):
    df = cancer.assign(
        constant=7,
        row_code=[f"R{i:05d}" for i in range(len(cancer))],
        diagnosis=cancer["target"].map({0: "malignant", 1: "benign"}),
    )
    notes = " ".join(training_warnings(df, "target"))
    assert "'constant' has a single value" in notes
    assert "'row_code' looks like an identifier" in notes
    assert "'diagnosis' predicts the target almost perfectly" in notes
    assert "'mean radius'" not in notes
    rare = pd.concat([cancer[cancer["target"] == 1], cancer[cancer["target"] == 0].head(30)])
    assert any("imbalanced" in n for n in training_warnings(rare, "target"))


def test_a_monotone_copy_of_a_heavy_tailed_regression_target_is_called_a_leak() -> None:
    y = np.random.default_rng(22).lognormal(0, 1.5, 1000)  # a small tree's held-out R² on the copy is only ~0.70
    frame = pd.DataFrame({"price": y, "price_with_tax": y * 1.2, "noise": np.random.default_rng(1).normal(size=1000)})
    notes = [n for n in training_warnings(frame, "price", problem_type="regression") if "leak" in n]
    assert len(notes) == 1 and "'price_with_tax'" in notes[0]


def test_a_strong_honest_feature_is_not_called_a_leak() -> None:
    iris = load_iris(as_frame=True).frame  # petal width alone separates the species ~98% of the time
    assert not [n for n in training_warnings(iris, "target") if "leak" in n]


@pytest.mark.parametrize(
    ("features", "id_column", "sentence"),
    [
        ((), None, "Choose at least one feature column."),
        (None, "target", "The id column cannot also be the target."),
        (["target", "mean radius"], None, "A column cannot be both a feature and the target or id."),
    ],
)
def test_column_choices_that_leave_nothing_sensible_are_refused(cancer, features, id_column, sentence):
    with pytest.raises(InvalidInput) as excinfo:
        training_warnings(cancer, "target", features=features, id_column=id_column)
    assert excinfo.value.message == sentence


def test_a_table_with_only_the_target_and_the_id_is_refused(cancer):
    table = cancer[["target"]].assign(patient=range(len(cancer)))
    with pytest.raises(InvalidInput, match="no column to learn from"):
        training_warnings(table, "target", id_column="patient")


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinite_target_values_are_refused_row_by_row(bad):
    diabetes = _frame(load_diabetes)
    diabetes.loc[[3, 10], "target"] = bad
    with pytest.raises(InvalidInput) as excinfo:
        training_warnings(diabetes, "target")
    assert [(p.problem, p.row) for p in excinfo.value.problems] == [
        ("not a finite number", 4),
        ("not a finite number", 11),
    ]


def test_infinite_feature_values_are_read_as_missing_with_a_warning(cancer):
    df = cancer.copy()
    df.loc[[0, 5, 9], "mean radius"] = [np.inf, -np.inf, np.inf]
    schema = infer_schema(df, "target")
    assert schema.feature("mean radius").max == cancer["mean radius"].drop([0, 5, 9]).max()
    assert "'mean radius' has 3 infinite value(s)" in " ".join(training_warnings(df, "target"))
    outcome = train_tabular(df, schema, time_budget_s=1)
    assert outcome.holdout_rows > 0 and np.isfinite(outcome.pipeline.predict_proba(df.head(10))).all()
