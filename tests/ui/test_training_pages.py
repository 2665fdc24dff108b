"""The Train and Models pages (AppTest, inline jobs): submit, automatic choice, refusal, summary, importance,
downloads, delete, and what a viewer does not get."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core import Actor, Engine
from core.entities import TrainRequest
from tests.conftest import make_user


@pytest.fixture
def iris(engine: Engine, admin: Actor) -> str:
    return {d.name: d for d in engine.datasets.load_samples(admin)}["iris"].id


def _train(engine: Engine, actor: Actor, dataset_id: str, explain: bool = True) -> str:
    job = engine.training.submit(
        actor, TrainRequest(dataset_id=dataset_id, name="flowers", target="species", time_budget_s=2, explain=explain)
    )
    assert job.status == "succeeded" and job.result, job.error_details
    return str(job.result["model_id"])


def _open_tab(at: AppTest, label: str) -> AppTest:
    """Switch the Models page to another tab (only the open tab runs)."""
    at.session_state["models_tab"] = label
    return at.run()


def _texts(at: AppTest) -> str:
    return " ".join(
        str(e.value) for kind in (at.info, at.warning, at.error, at.success, at.caption, at.subheader) for e in kind
    )


def test_train_page_says_what_it_chose_trains_and_opens_the_summary(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, iris: str
) -> None:
    at = app(actor=admin, page="train.py")
    at.selectbox(key="train_dataset").select(iris).run()
    assert at.text_input(key="train_name").value == "iris species model"
    assert at.selectbox(key="train_target").value == "species"
    assert "The job will train: a model (type chosen automatically) of **species**" in " ".join(
        m.value for m in at.markdown
    )
    assert "Automatic choice: **classification**" in _texts(at) and "text labels" in _texts(at)
    at.number_input(key="train_budget").set_value(2)
    at.checkbox(key="train_explain").uncheck().run()
    at.button(key="train_submit").click().run()
    assert not at.exception
    assert "finished" in _texts(at)
    [model] = engine.models.list(admin)
    assert (model.label, model.target) == ("iris species model v1", "species") and model.details.importance is None
    assert "Submitted: a model (type chosen automatically) of **species**" in _texts(at)
    at.button(key="train_open").click().run()
    assert "iris species model v1 — classification of species" in _texts(at)


def test_train_page_refuses_a_one_class_target_before_training(
    app: Callable[..., AppTest], engine: Engine, admin: Actor
) -> None:
    rows = pd.DataFrame({"x": range(30), "y": ["same"] * 30}).to_csv(index=False).encode()
    engine.datasets.upload(admin, name="flat", filename="flat.csv", data=rows)
    at = app(actor=admin, page="train.py")
    assert "cannot be used for training" in _texts(at)
    assert at.button(key="train_submit").disabled


def test_forecast_has_its_own_separate_fields(app: Callable[..., AppTest], admin: Actor, iris: str) -> None:
    at = app(actor=admin, page="train.py")
    at.button_group(key="train_problem").set_value("forecast").run()
    assert "or a single model when it is clearly better" in _texts(at)
    assert at.selectbox(key="fc_time") is not None and at.number_input(key="fc_horizon").value == 0


def test_models_page_shows_summary_importance_and_downloads(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, iris: str
) -> None:
    _train(engine, admin, iris)
    at = app(actor=admin, page="models.py")
    assert not at.exception
    assert [m.label for m in at.metric] == [
        "Accuracy",
        "Balanced accuracy",
        "F1 (macro)",
        "Precision (macro)",
        "Recall (macro)",
        "ROC AUC",
        "Log loss",
    ]
    per_class = next(d.value for d in at.dataframe if "support" in d.value.columns)
    assert per_class["class"].tolist() == ["setosa", "versicolor", "virginica"]
    assert per_class["support"].sum() == model_holdout_rows(engine, admin)
    assert len(at.get("plotly_chart")) == 3  # confusion, ROC, PR: the other tabs do not run until opened
    board = next(d.value for d in at.dataframe if "family" in d.value.columns)
    [model] = engine.models.list(admin)
    assert len(board) == len(model.details.leaderboard) > 1 and board.loc[0, "rank"] == "1"  # every candidate
    assert board.loc[0, "family"] == model.details.chosen_family  # the chosen model (an ensemble or one) first
    assert "Recompute" not in str([b.label for b in at.button])

    _open_tab(at, "Feature importance")
    assert not at.exception and not at.metric
    assert len(at.get("plotly_chart")) == 3  # importance bars, SHAP strip, one feature's effect
    assert "Compute feature importance" not in str([b.label for b in at.button]) and "Recompute" in str(
        [b.label for b in at.button]
    )
    _open_tab(at, "Schema, files & delete")
    labels = [e.proto.label for e in at.get("download_button")]
    assert {"Download the model schema (JSON)", "Download the model file (skops)", "Download CSV"} <= set(labels)


def test_models_page_computes_importance_on_request(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, iris: str
) -> None:
    model_id = _train(engine, admin, iris, explain=False)
    at = _open_tab(app(actor=admin, page="models.py"), "Feature importance")
    assert "No feature importance yet" in _texts(at)
    at.number_input(key="models_explain_rows").set_value(60)
    at.button(key="FormSubmitter:models_explain_form-Compute feature importance").click().run()
    assert not at.exception
    found = engine.models.importance(admin, model_id)
    assert found is not None and found.rows == 60
    assert "SHAP values of 60 rows of the model's data (held-out rows included), computed by a job" in _texts(at)


def test_models_page_deletes_a_version_after_confirmation(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, iris: str
) -> None:
    _train(engine, admin, iris, explain=False)
    at = _open_tab(app(actor=admin, page="models.py"), "Schema, files & delete")
    assert at.button(key="models_delete").disabled
    at.checkbox(key="models_delete_sure").check().run()
    at.button(key="models_delete").click().run()
    assert engine.models.list(admin) == [] and "No model yet" in _texts(at)


def test_viewer_sees_the_summary_but_no_training_download_or_delete(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, iris: str
) -> None:
    _train(engine, admin, iris, explain=False)
    viewer = make_user(engine, admin, "vic", "viewer")
    at = app(actor=viewer, page="models.py")
    assert not at.exception and len(at.metric) == 7
    _open_tab(at, "Schema, files & delete")
    labels = [e.proto.label for e in at.get("download_button")]
    assert "Download the model schema (JSON)" in labels and "Download the model file (skops)" not in labels
    assert not [b for b in at.button if b.key == "models_delete"]
    assert "Your role cannot train models." in _texts(_open_tab(at, "Continue with new data"))


def test_models_page_reads_the_model_file_only_when_downloaded(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, iris: str
) -> None:
    _train(engine, admin, iris, explain=False)
    at = _open_tab(app(actor=admin, page="models.py"), "Schema, files & delete")
    at.run()  # a second render, as any widget change causes
    assert not at.exception
    assert "Download the model file (skops)" in [e.proto.label for e in at.get("download_button")]
    # no rerun after a click: a rerun replaced the deferred file, and a second click soon after found nothing
    assert all(e.proto.ignore_rerun for e in at.get("download_button"))
    assert engine.audit.list(admin, action="model.downloaded") == []
    engine.models.download(admin, engine.models.list(admin)[0].id)  # what the button's callable does on a click
    assert len(engine.audit.list(admin, action="model.downloaded")) == 1


def test_train_page_refuses_an_empty_feature_choice(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, iris: str
) -> None:
    at = app(actor=admin, page="train.py")
    at.selectbox(key="train_dataset").select(iris).run()
    at.multiselect(key="train_features").set_value([]).run()
    assert not at.exception
    assert "Choose at least one feature column." in _texts(at)
    assert at.button(key="train_submit").disabled and engine.jobs.list(admin) == []


def test_default_name_follows_the_target_until_the_analyst_types_one(
    app: Callable[..., AppTest], admin: Actor, iris: str
) -> None:
    at = app(actor=admin, page="train.py")
    at.selectbox(key="train_dataset").select(iris).run()
    at.selectbox(key="train_target").select("petal_width_cm").run()
    assert at.text_input(key="train_name").value == "iris petal_width_cm model"
    at.button_group(key="train_problem").set_value("forecast").run()
    assert str(at.text_input(key="train_name").value).endswith(" forecast")
    at.button_group(key="train_problem").set_value("auto").run()
    at.text_input(key="train_name").input("my flowers").run()
    at.selectbox(key="train_target").select("species").run()
    assert at.text_input(key="train_name").value == "my flowers"


def test_a_name_taken_by_another_predictor_is_refused_on_the_page(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, iris: str
) -> None:
    _train(engine, admin, iris, explain=False)  # "flowers": a classifier of species
    at = app(actor=admin, page="train.py")
    at.selectbox(key="train_dataset").select(iris).run()
    at.selectbox(key="train_target").select("petal_width_cm").run()
    at.text_input(key="train_name").input("flowers").run()
    assert "The name 'flowers' is taken by a classification of 'species'" in _texts(at)
    assert at.button(key="train_submit").disabled


def test_a_monthly_series_trained_as_regression_suggests_forecast(
    app: Callable[..., AppTest], engine: Engine, admin: Actor
) -> None:
    engine.datasets.load_samples(admin)
    at = app(actor=admin, page="train.py")
    air = next(d.id for d in engine.datasets.list(admin) if d.name == "air_passengers")
    at.selectbox(key="train_dataset").select(air).run()
    hint = "This looks like a time series (a date column 'month' and a numeric target): to predict future values"
    assert hint in _texts(at)


def model_holdout_rows(engine: Engine, admin: Actor) -> int:
    [model] = engine.models.list(admin)
    return model.details.holdout_rows


def test_train_page_sends_domain_algorithm_and_categories_and_the_models_page_filters_and_edits(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, iris: str
) -> None:
    at = app(actor=admin, page="train.py")
    at.selectbox(key="train_dataset").select(iris).run()
    at.text_input(key="train_domain").input("Botany")
    at.selectbox(key="train_algorithm").select("linear")
    at.multiselect(key="train_categories").select("petal_width_cm")
    at.number_input(key="train_budget").set_value(2)
    at.checkbox(key="train_explain").uncheck().run()
    assert "linear only" in " ".join(m.value for m in at.markdown)
    at.button(key="train_submit").click().run()
    assert not at.exception
    [model] = engine.models.list(admin)
    assert (model.domain, model.details.algorithm) == ("Botany", "linear")
    assert model.schema is not None and model.schema.feature("petal_width_cm").kind == "categorical"
    request = TrainRequest(dataset_id=iris, name="other", target="species", time_budget_s=1, explain=False)
    engine.training.submit(admin, replace(request, algorithm="linear"))

    at = app(actor=admin, page="models.py")
    assert at.selectbox(key="models_domain").options == ["(every domain)", "Botany"]
    assert len(next(d.value for d in at.dataframe if "predictor" in d.value.columns)) == 2
    at.selectbox(key="models_domain").select("Botany").run()
    table = next(d.value for d in at.dataframe if "predictor" in d.value.columns)
    assert table["predictor"].tolist() == [model.name] and table["domain"].tolist() == ["Botany"]
    _open_tab(at, "Schema, files & delete")
    at.text_input(key=f"models_edit_name_{model.id}").input("flowers")
    at.text_area(key=f"models_edit_description_{model.id}").input("petal width read as categories")
    at.button(key="FormSubmitter:models_details_form-Save").click().run()
    assert not at.exception
    edited = engine.models.get(admin, model.id)
    assert (edited.name, edited.domain, edited.description) == ("flowers", "Botany", "petal width read as categories")
    assert "Domain: Botany · petal width read as categories" in _texts(at)
