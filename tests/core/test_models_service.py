"""The models service on trained models: summary, SHAP importance (at training and as a job), schema and file
downloads, delete. One workspace per module, inline jobs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.datasets import load_iris, make_moons

from core import Conflict, Engine, InvalidInput, JobStatus, NotFound, PermissionDenied
from core.entities import TrainRequest
from core.ml import explain_one, explainer_for
from core.ml.explain import is_tree_model
from core.storage.orm import ModelRow
from core.storage.repositories import jobs as job_repo
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD
from tests.core.test_training_service import csv, model_id


def moons() -> pd.DataFrame:
    """Two interleaved half-moons (trees beat linear models) plus a noise category and a date."""
    X, y = make_moons(n_samples=600, noise=0.25, random_state=0)
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "x1": X[:, 0],
            "x2": X[:, 1],
            "colour": rng.choice(["red", "green", "blue"], 600),
            "day": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, 600), unit="D"),
            "label": np.where(y == 1, "yes", "no"),
        }
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    home = tmp_path_factory.mktemp("models") / "workspace"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATAML_HOME", str(home))
        eng = Engine.open(home=home, runner="inline")
        admin = eng.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
        eng.users.create(admin, username="vic", password=USER_PASSWORD, email="vic@example.com", role="viewer")
        iris = load_iris(as_frame=True)
        flowers = iris.frame.assign(species=iris.target_names[iris.target]).drop(columns="target")
        moon_set = eng.datasets.upload(admin, name="moons", filename="moons.csv", data=csv(moons()))
        iris_set = eng.datasets.upload(admin, name="iris", filename="iris.csv", data=csv(flowers))
        jobs = [
            eng.training.submit(
                admin,
                TrainRequest(
                    dataset_id=moon_set.id, name="moons", target="label", time_budget_s=3, algorithm="gradient_boosting"
                ),
            ),
            eng.training.submit(
                admin,
                TrainRequest(dataset_id=iris_set.id, name="iris", target="species", time_budget_s=2, explain=False),
            ),
        ]
        assert [j.status for j in jobs] == ["succeeded"] * 2, [j.error_details for j in jobs]
        yield SimpleNamespace(
            engine=eng,
            admin=admin,
            viewer=eng.users.authenticate("vic", USER_PASSWORD),
            home=home,
            moons=eng.models.get(admin, model_id(jobs[0])),
            iris=eng.models.get(admin, model_id(jobs[1])),
            moon_set=moon_set,
        )
        eng.close()


def stored(home: Path, kind: str) -> set[str]:
    return {p.name for p in (home / "files").glob(f"*/{kind}/*")}


def test_multiclass_summary_has_confusion_matrix_curves_facts_and_metrics(world) -> None:
    summary = world.engine.models.summary(world.viewer, world.iris.id)
    classes = ["setosa", "versicolor", "virginica"]
    assert list(summary.confusion.index) == classes and list(summary.confusion.columns) == classes
    assert summary.confusion.to_numpy().sum() == world.iris.details.holdout_rows
    assert sorted(summary.roc["class"].unique()) == classes and sorted(summary.pr["class"].unique()) == classes
    assert summary.residuals is None
    assert summary.metrics_frame()["metric"].tolist() == [
        "Accuracy",
        "Balanced accuracy",
        "F1 (macro)",
        "Precision (macro)",
        "Recall (macro)",
        "ROC AUC",
        "Log loss",
    ]
    holdout = summary.holdout
    expected = skm.precision_recall_fscore_support(holdout.y_true, holdout.y_pred, labels=classes, zero_division=0)
    assert summary.per_class["class"].tolist() == classes
    table = summary.per_class[["precision", "recall", "f1", "support"]].to_numpy().T
    np.testing.assert_allclose(table, np.array(expected, dtype=float))
    assert summary.metrics["recall"] == pytest.approx(summary.per_class["recall"].mean())
    facts = dict(zip(summary.facts["fact"], summary.facts["value"], strict=True))
    assert facts["Dataset"] == "iris" and facts["Training rows"] == "120" and facts["Held-out rows"] == "30"
    assert "scikit-learn" in facts["Library versions"] and facts["Feature columns"].startswith("4: ")


def test_a_classifier_stored_without_precision_and_recall_gets_them_from_its_held_out_rows(world) -> None:
    eng, model = world.engine, world.moons
    older = {k: v for k, v in model.metrics.items() if k not in ("precision", "recall")}
    with eng.workspace.db.session() as session:  # as a model trained before they were stored
        session.get(ModelRow, model.id).metrics = older
    try:
        summary = eng.models.summary(world.viewer, model.id)
    finally:
        with eng.workspace.db.session() as session:
            session.get(ModelRow, model.id).metrics = model.metrics
    assert list(summary.metrics) == list(model.metrics)  # in the same place, after F1
    assert summary.metrics == pytest.approx(model.metrics)


def test_binary_summary_draws_the_positive_class_curve(world) -> None:
    summary = world.engine.models.summary(world.admin, world.moons.id)
    assert summary.roc["class"].unique().tolist() == ["yes"] and summary.pr["class"].unique().tolist() == ["yes"]
    assert summary.roc["auc"].iloc[0] == pytest.approx(world.moons.metrics["roc_auc"])


def test_tree_shap_values_with_the_base_value_add_up_to_the_model_output(world) -> None:
    eng, admin, model = world.engine, world.admin, world.moons
    pipeline = eng.models.pipeline(admin, model.id)
    assert is_tree_model(pipeline)  # trained as gradient boosting only: explained without a background
    frame = eng.datasets.frame(admin, world.moon_set.id)
    for i in range(0, 600, 60):
        assert model.schema is not None
        explained = explain_one(pipeline, model.schema, frame.iloc[[i]])
        assert explained.base_value + sum(explained.contributions.values()) == pytest.approx(explained.model_output)
    stored_values = eng.models.importance(admin, model.id).values
    wide = stored_values.pivot(index="row", columns="feature", values="shap")
    explainer = explainer_for(pipeline)
    Xt = explainer.transform(frame.iloc[wide.index - 1])
    values, base = explainer.values(Xt)
    columns = list(explainer.columns)
    np.testing.assert_allclose(wide[columns].to_numpy(), values[:, :, -1], atol=1e-9)
    np.testing.assert_allclose(wide[columns].sum(axis=1) + base[:, -1], explainer.outputs(Xt)[:, -1], atol=1e-6)


def test_importance_is_reported_on_the_original_column_names(world) -> None:
    importance = world.engine.models.feature_importance(world.viewer, world.moons.id)
    assert list(importance.columns) == ["feature", "mean_abs_shap"]
    assert sorted(importance["feature"]) == ["colour", "day", "x1", "x2"]
    assert set(importance["feature"].head(2)) == {"x1", "x2"}
    values = world.engine.models.importance(world.viewer, world.moons.id).values
    highest = values.groupby("feature")["position"].max()  # 0 = lowest value in the sample, 1 = highest
    assert highest["x1"] == 1.0 and highest["day"] > 0.99 and np.isnan(highest["colour"])
    assert set(values.loc[values.feature == "colour", "value"]) == {"red", "green", "blue"}


def test_explain_job_samples_rows_and_can_be_deleted_with_its_file(world) -> None:
    eng, admin, model = world.engine, world.admin, world.iris
    assert eng.models.importance(admin, model.id) is None and eng.models.feature_importance(admin, model.id).empty
    before = stored(world.home, "result")
    first = eng.models.explain(admin, model.id, sample_rows=50)
    assert first.status == "succeeded" and first.kind == "explain_model", first.error_details
    found = eng.models.importance(admin, model.id)
    assert (found.rows, found.source, len(found.values)) == (50, "explain job", 200)
    again = eng.models.explain(admin, model.id, sample_rows=80)
    assert eng.models.importance(admin, model.id).rows == 80
    assert len(stored(world.home, "result") - before) == 1  # the first job's file was replaced
    eng.models.delete_importance(admin, model.id)
    assert eng.models.importance(admin, model.id) is None and stored(world.home, "result") == before
    assert model_id(again) == model.id


def test_explain_refuses_a_sample_size_out_of_range_and_viewers(world) -> None:
    with pytest.raises(InvalidInput, match="between"):
        world.engine.models.explain(world.admin, world.iris.id, sample_rows=5)
    with pytest.raises(PermissionDenied):
        world.engine.models.explain(world.viewer, world.iris.id)


def test_schema_json_describes_features_categories_target_and_classes(world) -> None:
    document = json.loads(world.engine.models.schema_json(world.viewer, world.moons.id))
    assert (document["target"], document["classes"], document["problem_type"]) == (
        "label",
        ["no", "yes"],
        "classification",
    )
    features = {f["name"]: f for f in document["features"]}
    assert sorted(features["colour"]["categories"]) == ["blue", "green", "red"]
    assert (features["x1"]["kind"], features["day"]["kind"], features["day"]["dtype"]) == (
        "numeric",
        "datetime",
        "date",
    )


def test_model_file_download_needs_the_download_permission(world) -> None:
    with pytest.raises(PermissionDenied):
        world.engine.models.download(world.viewer, world.moons.id)
    assert world.engine.models.download(world.admin, world.moons.id)[:2] == b"PK"  # skops files are zip archives


def test_delete_waits_for_jobs_using_the_model_then_removes_every_file(world) -> None:
    eng, admin = world.engine, world.admin
    parent = eng.models.get(
        admin,
        model_id(
            eng.training.submit(
                admin, TrainRequest(dataset_id=world.moon_set.id, name="short-lived", target="label", time_budget_s=1)
            )
        ),
    )
    child = eng.models.get(
        admin,
        model_id(
            eng.training.submit(
                admin,
                TrainRequest(
                    dataset_id=world.moon_set.id,
                    name="short-lived",
                    target="label",
                    time_budget_s=1,
                    explain=False,
                    parent_model_id=parent.id,
                ),
            )
        ),
    )
    files = set(parent.files.values())
    with eng.db.session() as session:
        busy = job_repo.create_job(
            session,
            tenant_id=admin.tenant_id,
            owner_id=admin.user_id,
            kind="explain_model",
            title="Explain short-lived v1",
            params={"model_id": parent.id, "sample_rows": 10},
            models=[parent.id],
        )
    with pytest.raises(Conflict, match="Explain short-lived v1"):
        eng.models.delete(admin, parent.id)
    with eng.db.session() as session:
        job_repo.finish(session, busy.id, JobStatus.CANCELED)
        queued = job_repo.create_job(
            session,
            tenant_id=admin.tenant_id,
            owner_id=admin.user_id,
            kind="forecast",
            title="Any job naming it",
            params={"model_id": parent.id, "steps": 3},
            models=[parent.id],
        )
    with pytest.raises(Conflict, match="Any job naming it"):  # whatever its kind
        eng.models.delete(admin, parent.id)
    with eng.db.session() as session:
        job_repo.finish(session, queued.id, JobStatus.CANCELED)
    eng.models.delete(admin, parent.id)
    assert not files & {f.id for f in eng.files.list(admin)}
    lineage = eng.models.summary(admin, child.id).lineage["version"].tolist()
    assert lineage == ["short-lived v2", "short-lived v1 (deleted)"]
    eng.models.delete(admin, child.id)
    assert [m.name for m in eng.models.list(admin)] == ["iris", "moons"]


def test_a_model_is_found_by_its_id_or_its_training_job_id_and_nothing_else(world) -> None:
    eng, admin, model = world.engine, world.admin, world.iris
    assert eng.models.of_training(admin, model.id).id == model.id
    assert model.job_id is not None and eng.models.of_training(world.viewer, model.job_id).id == model.id
    queued = eng.jobs.selftest(admin, steps=1)
    with pytest.raises(NotFound):
        eng.models.of_training(admin, queued.id)  # a job, but not a training
    with pytest.raises(NotFound):
        eng.models.of_training(admin, "00000000-0000-0000-0000-000000000000")
    eng.tenants.create(
        admin, name="elsewhere", admin_username="eve", admin_password=USER_PASSWORD, admin_email="e@example.com"
    )
    with pytest.raises(NotFound):
        eng.models.of_training(eng.users.authenticate("eve", USER_PASSWORD), model.job_id)


def test_an_unfinished_or_failed_training_has_no_model_yet(world) -> None:
    eng, admin = world.engine, world.admin
    with eng.workspace.db.session() as session:  # a training as the queue holds it before a worker takes it
        job = job_repo.create_job(
            session, tenant_id=admin.tenant_id, owner_id=admin.user_id, kind="train_tabular", title="late", params={}
        )
    with pytest.raises(Conflict, match="no model yet \\(queued\\)"):
        eng.models.of_training(admin, job.id)
    with eng.workspace.db.session() as session:
        job_repo.finish(session, job.id, JobStatus.FAILED, error="The worker stopped.")
    with pytest.raises(Conflict, match="failed: The worker stopped"):
        eng.models.of_training(admin, job.id)
