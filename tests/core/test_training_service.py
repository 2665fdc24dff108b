"""Training through the engine on scikit-learn's real data sets: end to end, incremental versions, bad input,
cancel. One workspace per module (training is the slow part), inline jobs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.datasets import load_breast_cancer, load_diabetes

from core import ColumnSpec, Conflict, Engine, InvalidInput, Job, NotFound
from core.entities import ModelDetails, TrainRequest
from core.ml import model_from_bytes
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD


def csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def model_id(job: Job) -> str:
    assert job.result, job.error_details
    return str(job.result["model_id"])


def cancer() -> pd.DataFrame:
    frame = load_breast_cancer(as_frame=True).frame
    frame["diagnosis"] = np.where(frame.pop("target") == 1, "benign", "malignant")
    return frame


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    home = tmp_path_factory.mktemp("training") / "workspace"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATAML_HOME", str(home))
        eng = Engine.open(home=home, runner="inline")
        admin = eng.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
        tumours = cancer()
        first = eng.datasets.upload(admin, name="tumours 2020", filename="t1.csv", data=csv(tumours.iloc[:420]))
        later = eng.datasets.upload(admin, name="tumours 2021", filename="t2.csv", data=csv(tumours.iloc[420:]))
        diabetes = eng.datasets.upload(
            admin, name="diabetes", filename="d.csv", data=csv(load_diabetes(as_frame=True, scaled=False).frame)
        )
        jobs = {
            "classifier": eng.training.submit(
                admin, TrainRequest(dataset_id=first.id, name="tumours", target="diagnosis", time_budget_s=5)
            ),
            "regressor": eng.training.submit(
                admin,
                TrainRequest(
                    dataset_id=diabetes.id, name="progression", target="target", time_budget_s=2, explain=False
                ),
            ),
        }
        parent = model_id(jobs["classifier"])
        jobs["continued"] = eng.training.submit(
            admin,
            TrainRequest(
                dataset_id=later.id,
                name="tumours",
                target="diagnosis",
                time_budget_s=2,
                explain=False,
                parent_model_id=parent,
            ),
        )
        yield SimpleNamespace(
            engine=eng,
            admin=admin,
            first=first,
            later=later,
            diabetes=diabetes,
            jobs=jobs,
            models={k: eng.models.get(admin, model_id(j)) for k, j in jobs.items()},
        )
        eng.close()


def test_training_jobs_succeed_and_report_a_model(world) -> None:
    for job in world.jobs.values():
        assert job.status == "succeeded", job.error_details
        assert job.progress == 1.0 and set(job.result) == {"model_id"}


def test_classification_metrics_are_recomputed_from_the_held_out_predictions(world) -> None:
    model = world.models["classifier"]
    holdout = world.engine.models.holdout(world.admin, model.id)
    assert model.schema is not None
    classes = list(model.schema.classes)
    assert classes == ["benign", "malignant"] and len(holdout) == model.details.holdout_rows
    proba = holdout[[f"probability_{c}" for c in classes]].to_numpy()
    expected = {
        "accuracy": skm.accuracy_score(holdout.y_true, holdout.y_pred),
        "balanced_accuracy": skm.balanced_accuracy_score(holdout.y_true, holdout.y_pred),
        "f1": skm.f1_score(holdout.y_true, holdout.y_pred, average="macro"),
        "precision": skm.precision_score(holdout.y_true, holdout.y_pred, average="macro"),
        "recall": skm.recall_score(holdout.y_true, holdout.y_pred, average="macro"),
        "roc_auc": skm.roc_auc_score(holdout.y_true == "malignant", proba[:, 1]),
        "log_loss": skm.log_loss(holdout.y_true, proba, labels=classes),
    }
    assert model.metrics == pytest.approx(expected)
    assert model.metrics["roc_auc"] > 0.95


def test_regression_metrics_are_recomputed_from_the_held_out_predictions(world) -> None:
    model = world.models["regressor"]
    holdout = world.engine.models.holdout(world.admin, model.id)
    y, p = holdout.y_true, holdout.y_pred
    expected = {
        "rmse": np.sqrt(skm.mean_squared_error(y, p)),
        "mae": skm.mean_absolute_error(y, p),
        "r2": skm.r2_score(y, p),
        "mape": skm.mean_absolute_percentage_error(y, p),
    }
    assert model.problem_type == "regression" and model.metrics == pytest.approx(expected)
    assert model.metrics["r2"] > 0  # better than predicting the mean (a loaded machine may cut the search short)
    residuals = world.engine.models.summary(world.admin, model.id).residuals
    assert len(residuals) == len(holdout)
    np.testing.assert_allclose(residuals["residual"], residuals["y_true"] - residuals["y_pred"])


def test_leaderboard_compares_several_families_with_cv_score_and_fit_time(world) -> None:
    board = world.engine.models.summary(world.admin, world.models["classifier"].id).leaderboard
    scored = board[board["cv_score"].notna()]
    assert scored["family"].nunique() > 1
    assert (scored["fit_time_s"] > 0).all() and scored["rank"].tolist() == list(range(1, len(scored) + 1))
    assert board.loc[0, "family"] == world.models["classifier"].details.chosen_family


def test_saved_model_round_trips_and_predicts_the_held_out_rows_as_recorded(world) -> None:
    eng, admin, model = world.engine, world.admin, world.models["classifier"]
    restored = model_from_bytes(eng.models.download(admin, model.id))
    holdout = eng.models.holdout(admin, model.id)
    rows = eng.datasets.frame(admin, world.first.id).iloc[holdout["row"] - 1]
    assert (restored.predict(rows) == holdout["y_pred"].to_numpy()).all()
    np.testing.assert_allclose(restored.predict_proba(rows)[:, 1], holdout["probability_malignant"])
    assert (eng.models.pipeline(admin, model.id).predict(rows) == restored.predict(rows)).all()


def test_incremental_version_links_its_parent_and_learns_from_more_rows(world) -> None:
    parent, child = world.models["classifier"], world.models["continued"]
    assert (child.name, child.version, child.parent_id) == ("tumours", 2, parent.id)
    assert child.datasets == (world.first.id, world.later.id) and child.details.parent_label == parent.label
    rows = {m.id: m.details.train_rows + m.details.holdout_rows for m in (parent, child)}
    assert rows[parent.id] == 420 and rows[child.id] == 569
    summary = world.engine.models.summary(world.admin, child.id)
    assert summary.lineage["version"].tolist() == ["tumours v2", "tumours v1"]
    assert summary.lineage.loc[0, "datasets"] == "tumours 2020, tumours 2021"
    facts = dict(zip(summary.facts["fact"], summary.facts["value"], strict=True))
    assert facts["Continued from"] == "tumours v1"


def test_check_says_which_problem_type_it_chose_and_why(world) -> None:
    check = world.engine.training.check
    chosen = check(world.admin, TrainRequest(dataset_id=world.diabetes.id, name="x", target="target"))
    assert chosen.problem_type == "regression" and "distinct values" in chosen.reason
    chosen = check(world.admin, TrainRequest(dataset_id=world.first.id, name="x", target="diagnosis"))
    assert chosen.problem_type == "classification" and "text labels" in chosen.reason


def test_check_warns_about_identifier_and_leaking_columns(world) -> None:
    frame = cancer().iloc[:200].assign(patient=range(1000, 1200))
    frame["copy_of_diagnosis"] = frame["diagnosis"].map({"benign": 0, "malignant": 1})
    dataset = world.engine.datasets.upload(world.admin, name="leaky", filename="leaky.csv", data=csv(frame))
    notes = " ".join(
        world.engine.training.check(
            world.admin, TrainRequest(dataset_id=dataset.id, name="x", target="diagnosis")
        ).warnings
    )
    assert "'patient' looks like an identifier" in notes and "'copy_of_diagnosis' predicts the target" in notes


def test_continuing_with_the_same_dataset_is_flagged(world) -> None:
    request = TrainRequest(
        dataset_id=world.first.id, name="tumours", target="diagnosis", parent_model_id=world.models["classifier"].id
    )
    assert "already part of the training data" in world.engine.training.check(world.admin, request).warnings[0]


BAD_TABLES = {
    "one class": (pd.DataFrame({"x": range(30), "y": ["a"] * 30}), "only one class"),
    "all missing target": (pd.DataFrame({"x": range(30), "y": [""] * 30}), "no values"),
    "fewer than 20 rows": (pd.DataFrame({"x": range(12), "y": ["a", "b"] * 6}), "at least 20"),
}


@pytest.mark.parametrize("case", list(BAD_TABLES))
def test_untrainable_tables_are_refused_before_a_job_starts(world, case: str) -> None:
    frame, reason = BAD_TABLES[case]
    eng, admin = world.engine, world.admin
    dataset = eng.datasets.upload(admin, name=f"bad {case}", filename="bad.csv", data=csv(frame))
    jobs_before = len(eng.jobs.list(admin))
    request = TrainRequest(dataset_id=dataset.id, name="bad", target="y")
    for call in (eng.training.check, eng.training.submit):
        with pytest.raises(InvalidInput) as refused:
            call(admin, request)
        assert reason in f"{refused.value.message} {[p.problem for p in refused.value.problems]}"
    assert len(eng.jobs.list(admin)) == jobs_before


def test_unknown_column_names_are_refused(world) -> None:
    request = TrainRequest(
        dataset_id=world.first.id,
        name="x",
        target="diagnosis",
        features=("mean radius", "nope"),
        id_column="missing id",
    )
    with pytest.raises(InvalidInput) as refused:
        world.engine.training.submit(world.admin, request)
    assert sorted(str(p.field) for p in refused.value.problems) == ["missing id", "nope"]


def test_dataset_with_unresolved_problems_is_refused(world) -> None:
    eng, admin = world.engine, world.admin
    template = eng.templates.create(admin, "scores", [ColumnSpec("x", "integer"), ColumnSpec("y", "string")])
    rows = "x,y\n" + "".join(f"{i},{'ab'[i % 2]}\n" for i in range(30)) + "oops,a\n"
    dataset = eng.datasets.upload(
        admin, name="with problems", filename="p.csv", data=rows.encode(), template_id=template.id
    )
    assert dataset.status == "has problems"
    with pytest.raises(InvalidInput, match="unresolved problems"):
        eng.training.submit(admin, TrainRequest(dataset_id=dataset.id, name="x", target="y"))


def test_a_new_version_must_keep_the_target_and_have_the_parents_columns(world) -> None:
    eng, admin, parent = world.engine, world.admin, world.models["classifier"]
    with pytest.raises(InvalidInput, match="same thing"):
        eng.training.submit(
            admin,
            TrainRequest(dataset_id=world.later.id, name="tumours", target="mean radius", parent_model_id=parent.id),
        )
    partial = eng.datasets.upload(
        admin, name="radius only", filename="r.csv", data=csv(cancer()[["mean radius", "diagnosis"]].head(50))
    )
    with pytest.raises(InvalidInput, match="lacks columns") as refused:
        eng.training.submit(
            admin, TrainRequest(dataset_id=partial.id, name="tumours", target="diagnosis", parent_model_id=parent.id)
        )
    assert len(refused.value.problems) == 29


def test_another_tenants_dataset_and_model_are_not_found(world) -> None:
    eng = world.engine
    eng.tenants.create(
        world.admin,
        name="Rivals",
        admin_username="rival",
        admin_password=USER_PASSWORD,
        admin_email="rival@example.com",
    )
    rival = eng.users.authenticate("rival", USER_PASSWORD)
    with pytest.raises(NotFound):
        eng.training.submit(rival, TrainRequest(dataset_id=world.first.id, name="x", target="diagnosis"))
    with pytest.raises(NotFound):
        eng.models.summary(rival, world.models["classifier"].id)
    assert eng.models.list(rival) == []


def _stored_files(home: Path) -> list[Path]:
    return [p for kind in ("model", "result") for p in (home / "files").glob(f"*/{kind}/*")]


def test_cancel_during_training_leaves_no_model_and_no_file(process_engine: Engine, home: Path) -> None:
    eng = process_engine
    admin = eng.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
    dataset = eng.datasets.upload(admin, name="tumours", filename="t.csv", data=csv(cancer()))
    job = eng.training.submit(
        admin, TrainRequest(dataset_id=dataset.id, name="slow", target="diagnosis", time_budget_s=120)
    )
    deadline = time.monotonic() + 60
    while "candidate" not in job.message and time.monotonic() < deadline:
        time.sleep(0.2)
        job = eng.jobs.get(admin, job.id)
    assert "candidate" in job.message, job
    eng.jobs.cancel(admin, job.id)
    job = eng.jobs.wait(admin, job.id, timeout=30)
    assert job.status == "canceled"
    time.sleep(0.5)  # the worker's own clean-up runs as it exits
    assert eng.models.list(admin) == [] and _stored_files(home) == []
    assert sorted(f.kind for f in eng.files.list(admin)) == ["data", "dataset"]  # the dataset and its original


def _refused_before_queueing(world, request: TrainRequest) -> InvalidInput:
    """``check`` and ``submit`` both refuse ``request`` with the same error, and no job is created."""
    eng, admin = world.engine, world.admin
    jobs_before = len(eng.jobs.list(admin))
    errors = []
    for call in (eng.training.check, eng.training.submit):
        with pytest.raises(InvalidInput) as refused:
            call(admin, request)
        errors.append(refused.value)
    assert errors[0].message == errors[1].message
    assert len(eng.jobs.list(admin)) == jobs_before
    return errors[1]


def test_an_empty_feature_choice_is_refused_not_read_as_every_column(world) -> None:
    request = TrainRequest(dataset_id=world.first.id, name="x", target="diagnosis", features=())
    assert _refused_before_queueing(world, request).message == "Choose at least one feature column."


@pytest.mark.parametrize(
    ("features", "id_column", "sentence"),
    [
        (("mean radius", "diagnosis"), None, "A column cannot be both a feature and the target or id."),
        (None, "diagnosis", "The id column cannot also be the target."),
    ],
)
def test_column_choices_the_job_would_fail_on_are_refused_at_submit(world, features, id_column, sentence) -> None:
    request = TrainRequest(
        dataset_id=world.first.id, name="x", target="diagnosis", features=features, id_column=id_column
    )
    assert _refused_before_queueing(world, request).message == sentence


def test_an_unknown_algorithm_is_refused_at_submit(world) -> None:
    request = TrainRequest(dataset_id=world.first.id, name="x", target="diagnosis", algorithm="catboost")
    refused = _refused_before_queueing(world, request)
    assert refused.message.startswith("Unknown algorithm; choose from gradient_boosting")
    assert [(p.field, p.value) for p in refused.problems] == [("algorithm", "catboost")]


def test_details_record_the_search_and_older_rows_load_without_it(world) -> None:
    details = world.models["classifier"].details
    searched = [r for r in details.leaderboard if r["trial"] and r["folds"]]  # not the ensemble row, nor "not run"
    assert details.algorithm is None and details.trials == len(searched) > 1
    stored = details.to_dict()
    assert json.dumps(ModelDetails.from_dict(json.loads(json.dumps(stored))).to_dict()) == json.dumps(stored)
    older = ModelDetails.from_dict({k: v for k, v in stored.items() if k not in ("algorithm", "trials")})
    assert (older.algorithm, older.trials, older.cv_metric) == (None, 0, details.cv_metric)


def test_a_table_with_nothing_but_the_target_and_an_id_is_refused_at_submit(world) -> None:
    frame = cancer()[["diagnosis"]].assign(patient=range(569))
    dataset = world.engine.datasets.upload(world.admin, name="labels only", filename="l.csv", data=csv(frame))
    request = TrainRequest(dataset_id=dataset.id, name="x", target="diagnosis", id_column="patient")
    assert "no column to learn from" in _refused_before_queueing(world, request).message


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"features": ("mean radius", "mean texture")}, {"features"}),
        ({"id_column": "mean radius"}, {"features", "id_column"}),
        ({"problem_type": "regression"}, {"problem_type"}),
    ],
)
def test_a_new_version_must_keep_the_parents_features_id_column_and_problem_type(world, change, fields) -> None:
    parent = world.models["classifier"]
    request = TrainRequest(
        dataset_id=world.later.id, name="tumours", target="diagnosis", parent_model_id=parent.id, **change
    )
    refused = _refused_before_queueing(world, request)
    assert refused.message == (
        "A new version must use the same feature columns, id column and problem type as tumours v1."
    )
    assert {p.field for p in refused.problems} == fields


def _with_infinities(column: str) -> pd.DataFrame:
    frame = load_diabetes(as_frame=True, scaled=False).frame.head(80)
    frame[column] = frame[column].astype(float)
    frame.loc[[4, 9], column] = [np.inf, -np.inf]
    return frame


def test_infinite_target_values_are_refused_row_by_row_before_and_inside_a_job(world) -> None:
    eng, admin = world.engine, world.admin
    dataset = eng.datasets.upload(admin, name="infinite target", filename="i.csv", data=csv(_with_infinities("target")))
    request = TrainRequest(dataset_id=dataset.id, name="x", target="target", time_budget_s=1, explain=False)
    refused = _refused_before_queueing(world, request)
    assert [(p.problem, p.row) for p in refused.problems] == [("not a finite number", 5), ("not a finite number", 10)]
    job = eng.jobs.submit(admin, "train_tabular", "Train past the checks", request.to_params())
    assert (job.status, job.error) == ("failed", refused.message)


def test_infinite_feature_values_train_as_missing_with_a_warning(world) -> None:
    eng, admin = world.engine, world.admin
    dataset = eng.datasets.upload(admin, name="infinite bmi", filename="b.csv", data=csv(_with_infinities("bmi")))
    request = TrainRequest(dataset_id=dataset.id, name="infinite bmi", target="target", time_budget_s=1, explain=False)
    assert "'bmi' has 2 infinite value(s)" in " ".join(eng.training.check(admin, request).warnings)
    job = eng.training.submit(admin, request)
    assert job.status == "succeeded", job.error
    schema = eng.models.get(admin, model_id(job)).schema
    assert schema is not None
    bmi = schema.features[2]
    assert bmi.name == "bmi" and np.isfinite([bmi.min, bmi.max, bmi.median]).all()


def test_a_name_belongs_to_one_predictor_and_a_clash_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    """'tumours' classifies diagnosis: a regressor of mean radius under that name would be version 2 of it."""
    eng, admin = world.engine, world.admin
    radius = TrainRequest(dataset_id=world.first.id, name="tumours", target="mean radius", time_budget_s=2)
    fewer = TrainRequest(
        dataset_id=world.first.id, name="tumours", target="diagnosis", features=("mean radius",), time_budget_s=2
    )
    for request, words in ((radius, "but this would be a regression of 'mean radius'"), (fewer, "from other columns")):
        for call in (eng.training.check, eng.training.submit):
            with pytest.raises(Conflict, match="The name 'tumours' is taken by a classification of 'diagnosis'") as e:
                call(admin, request)
            assert words in e.value.message
    assert eng.training.check(admin, replace(radius, name="tumour radius")).problem_type == "regression"


def test_a_regression_on_a_dated_table_suggests_forecasting(world) -> None:  # type: ignore[no-untyped-def]
    eng, admin = world.engine, world.admin
    air = eng.datasets.upload(
        admin, name="air", filename="air.csv", data=Path("data/samples/air_passengers.csv").read_bytes()
    )
    check = eng.training.check(admin, TrainRequest(dataset_id=air.id, name="air", target="passengers"))
    assert check.problem_type == "regression"
    assert check.warnings[0].startswith("This looks like a time series (a date column 'month'")
