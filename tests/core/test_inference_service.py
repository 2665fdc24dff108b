"""Inference through the engine with real trained models: form predictions equal the saved pipeline's own,
explanations add up, batch files are checked, scored in order, neutralized and logged."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from core import ColumnSpec, Conflict, Engine, InvalidInput, JobStatus, NotFound, PermissionDenied
from core.entities import TrainRequest
from core.errors import QUOTED, quote
from core.services import inference_tasks
from core.services.scoring import LOGGED_NOTE_CHARS, logged_notes
from core.storage.repositories import jobs as job_repo
from core.storage.repositories import models as model_repo
from tests.conftest import ADMIN_PASSWORD, make_user

MIXED_TEMPLATE = [
    ColumnSpec("size", "float", default=42.0, required=False),
    ColumnSpec("color", "category", default="blue", required=False),
    ColumnSpec("member", "boolean"),
    ColumnSpec("joined", "date"),
    ColumnSpec("label", "category"),
]
MIXED_ROW = {"size": 61.0, "color": "green", "member": True, "joined": date(2021, 3, 1)}
IRIS_ROW = {"sepal_length_cm": 6.1, "sepal_width_cm": 2.8, "petal_length_cm": 4.7, "petal_width_cm": 1.2}
DIABETES_ROW = {
    "age": 0.02,
    "sex": -0.04,
    "bmi": 0.06,
    "bp": 0.02,
    "s1": -0.04,
    "s2": -0.03,
    "s3": -0.04,
    "s4": 0.0,
    "s5": 0.02,
    "s6": -0.02,
}


def mixed_frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Numbers, categories, booleans and dates; ``label`` depends on all but the date."""
    rng = np.random.default_rng(seed)
    size = rng.normal(50, 15, n).round(1)
    color = rng.choice(["red", "green", "blue"], n, p=[0.5, 0.3, 0.2])
    member = rng.random(n) < 0.4
    joined = (pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), unit="D")).date
    score = (size - 50) / 15 + (color == "red") + 0.8 * member + rng.normal(0, 0.5, n)
    return pd.DataFrame(
        {"size": size, "color": color, "member": member, "joined": joined, "label": np.where(score > 0.5, "yes", "no")}
    )


def csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def train(eng: Engine, actor: Any, dataset_id: str, name: str, target: str) -> str:
    job = eng.training.submit(
        actor, TrainRequest(dataset_id=dataset_id, name=name, target=target, time_budget_s=1, explain=False)
    )
    assert job.status == "succeeded" and job.result is not None, job.error
    return str(job.result["model_id"])


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """One workspace for the module: training is the slow part, so each model is trained once."""
    eng = Engine.open(home=tmp_path_factory.mktemp("inference") / "workspace", runner="inline")
    admin = eng.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
    analyst, viewer = make_user(eng, admin, "ana", "analyst"), make_user(eng, admin, "vic", "viewer")
    eng.tenants.create(
        admin, name="Other Org", admin_username="otto", admin_password=ADMIN_PASSWORD, admin_email="otto@example.com"
    )
    samples = {d.name: d for d in eng.datasets.load_samples(analyst)}
    template = eng.templates.create(analyst, "customers", MIXED_TEMPLATE)
    mixed = eng.datasets.upload(
        analyst, name="customers", filename="customers.csv", data=csv(mixed_frame()), template_id=template.id
    )
    models = {
        "iris": train(eng, analyst, samples["iris"].id, "iris-species", "species"),
        "diabetes": train(eng, analyst, samples["diabetes"].id, "progression", "progression"),
        "mixed": train(eng, analyst, mixed.id, "customers-label", "label"),
    }
    yield SimpleNamespace(
        eng=eng,
        analyst=analyst,
        viewer=viewer,
        outsider=eng.users.authenticate("otto", ADMIN_PASSWORD),
        models=models,
        samples=samples,
        mixed=mixed,
    )
    eng.close()


def model_output(pipeline: Any, row: pd.DataFrame, space: str, explained: Any) -> float:
    """What the explanation explains, computed from the pipeline itself."""
    if space == "value":
        return float(pipeline.predict(row)[0])
    k = list(pipeline.classes_).index(explained)
    if space == "probability":
        return float(pipeline.predict_proba(row)[0, k])
    score = pipeline.decision_function(row)
    return float(score[0, k] if score.ndim == 2 else (score[0] if k == 1 else -score[0]))


@pytest.mark.parametrize(("name", "values"), [("iris", IRIS_ROW), ("diabetes", DIABETES_ROW), ("mixed", MIXED_ROW)])
def test_form_prediction_equals_the_saved_pipeline_and_its_explanation_adds_up(w, name: str, values: dict) -> None:
    model_id = w.models[name]
    result = w.eng.inference.predict_one(w.analyst, model_id, values)
    pipeline = w.eng.models.pipeline(w.analyst, model_id)
    row = pd.DataFrame([values])
    # Equal up to rounding: the engine averages an ensemble's members with normalised weights (each shared prep
    # applied once), VotingRegressor with its raw weights; a full run saw them differ in the 17th digit.
    expected_prediction = pipeline.predict(row)[0]
    if result.problem_type == "classification":
        assert result.prediction == expected_prediction
    else:
        assert result.prediction == pytest.approx(expected_prediction, rel=1e-12)
    if result.problem_type == "classification":
        expected = dict(zip(map(str, pipeline.classes_), pipeline.predict_proba(row)[0], strict=True))
        assert result.probabilities == pytest.approx(expected)
        assert result.explained_class == result.prediction
    assert set(result.contributions) == set(values)
    assert result.base_value + sum(result.contributions.values()) == pytest.approx(result.model_output, abs=1e-6)
    assert result.model_output == pytest.approx(
        model_output(pipeline, row, str(result.output_space), result.explained_class), abs=1e-6
    )


def test_form_starts_at_training_medians_and_modes_unless_the_template_sets_a_default(w) -> None:
    fields = {f.name: f for f in w.eng.inference.form_fields(w.analyst, w.models["mixed"])}
    frame = mixed_frame()
    assert (fields["size"].default, fields["size"].source) == (42.0, "template default")
    assert (fields["color"].default, fields["color"].source) == ("blue", "template default")
    assert set(fields["color"].options) == {"red", "green", "blue"}
    assert fields["member"].kind == "boolean" and fields["member"].default is False
    assert fields["joined"].default == pd.Timestamp(pd.to_datetime(frame["joined"]).median()).date()
    petal = next(f for f in w.eng.inference.form_fields(w.analyst, w.models["iris"]) if f.name == "petal_length_cm")
    assert petal.source == "training median" and (petal.minimum, petal.maximum) == (1.0, 6.9)
    assert petal.minimum < petal.default < petal.maximum


def test_form_prediction_is_logged_with_inputs_outputs_and_duration(w) -> None:
    result = w.eng.inference.predict_one(w.analyst, w.models["iris"], IRIS_ROW, explain=False)
    assert result.contributions == {} and result.base_value is None
    log = w.eng.inference.log(w.analyst, model_id=w.models["iris"], user="ana")
    entry = log[log["id"] == result.log_id].iloc[0]
    assert entry["kind"] == "form" and entry["model"] == "iris-species v1" and entry["version"] == 1
    assert '"petal_length_cm": 4.7' in entry["inputs"] and str(result.prediction) in entry["outputs"]
    assert 0 < entry["duration_s"] < 10 and entry["rows"] == 1
    assert w.eng.inference.log(w.analyst, until=date.today() - timedelta(days=2)).empty


def test_form_refuses_wrong_types_and_missing_inputs_naming_them(w) -> None:
    with pytest.raises(InvalidInput) as refused:
        w.eng.inference.predict_one(w.analyst, w.models["mixed"], {"size": "tall", "color": "red", "member": True})
    problems = {(p.problem, p.field) for p in refused.value.problems}
    assert problems == {("wrong type", "size"), ("missing column", "joined")}


def test_unseen_category_is_predicted_with_a_warning(w) -> None:
    result = w.eng.inference.predict_one(w.analyst, w.models["mixed"], {**MIXED_ROW, "color": "purple"})
    assert result.prediction in ("yes", "no")
    assert any("purple" in note for note in result.warnings)


def test_form_prediction_flags_values_outside_the_training_range_and_says_what_the_base_value_is(w) -> None:
    model = w.eng.models.get(w.analyst, w.models["mixed"])
    assert model.schema is not None
    result = w.eng.inference.predict_one(w.analyst, model.id, {**MIXED_ROW, "size": 500.0, "color": "purple"})
    flags = {f.field: f for f in result.input_warnings}
    assert flags["size"].problem == "above range" and flags["size"].value == "500"
    assert f"{model.schema.features[0].max:g}" in flags["size"].message
    assert flags["color"].problem == "unseen category"
    assert {f.message for f in result.input_warnings} <= set(result.warnings)
    rows = model.details.train_rows
    assert result.baseline in (
        "the average model output over 100 training rows kept with the model",
        f"the average model output over the {rows:,} training rows",
    )
    background = w.eng.models.background(w.analyst, model.id)
    assert background is not None and len(background) == 100
    assert list(background.columns) == model.feature_names
    logged = w.eng.inference.log(w.analyst, model_id=model.id).iloc[0]
    assert '"input_warnings"' in logged["outputs"] and '"baseline"' in logged["outputs"]


@pytest.mark.parametrize("name", ["iris", "diabetes", "mixed"])
def test_a_model_trained_before_backgrounds_were_kept_still_explains_and_says_so(w, name: str) -> None:
    from core.ml.explain import _TREES
    from core.services import models as model_service

    model_id = w.models[name]
    with w.eng.db.session() as session:  # as such a model is stored: no background file linked
        kept = model_repo.set_file(session, w.analyst.tenant_id, model_id, role="background", file_id=None)
    model_service._load_pipeline.cache_clear()  # a fresh pipeline object: no explainer cached for it yet
    try:
        tree = isinstance(w.eng.models.pipeline(w.analyst, model_id)[-1], _TREES)
        values = {"iris": IRIS_ROW, "diabetes": DIABETES_ROW, "mixed": MIXED_ROW}[name]
        result = w.eng.inference.predict_one(w.analyst, model_id, values)
    finally:
        model_service._load_pipeline.cache_clear()
        with w.eng.db.session() as session:
            model_repo.set_file(session, w.analyst.tenant_id, model_id, role="background", file_id=kept)
    assert result.baseline is not None
    if tree:  # TreeSHAP never needed a background
        assert result.baseline.startswith("the average model output over the ")
    else:
        assert result.baseline.startswith("the model output for the typical row") and "retrain" in result.baseline
    assert result.base_value + sum(result.contributions.values()) == pytest.approx(result.model_output, abs=1e-6)


def test_batch_marks_unusual_rows_in_an_input_warnings_column(w) -> None:
    frame = mixed_frame(20, seed=5).drop(columns="label")
    frame.loc[3, "size"] = 900.0
    job = w.eng.inference.predict_batch(w.analyst, w.models["mixed"], data=csv(frame), filename="odd.csv")
    assert job.status == "succeeded", job.error
    scored = w.eng.inference.batch_result(w.analyst, job.id)
    assert scored.loc[3, "input_warnings"].startswith("size = 900 is above the training range")
    assert scored["input_warnings"].drop(index=3).fillna("").eq("").all()
    assert any(note.startswith("the file: Column 'size': 1 rows have values above") for note in job.result["warnings"])


def test_batch_scores_every_row_in_order_with_probabilities(w) -> None:
    frame = mixed_frame(120, seed=7).drop(columns="label").sample(frac=1.0, random_state=1)
    frame.insert(0, "customer", [f"c{i:03d}" for i in range(len(frame))])
    job = w.eng.inference.predict_batch(w.analyst, w.models["mixed"], data=csv(frame), filename="new.csv")
    assert job.status == "succeeded", job.error
    assert job.params["model_id"] == w.models["mixed"] and job.result["rows"] == 120
    scored = w.eng.inference.batch_result(w.analyst, job.id)
    assert list(scored.columns) == [*frame.columns, "prediction", "probability_no", "probability_yes", "input_warnings"]
    assert list(scored["customer"]) == list(frame["customer"])
    pipeline = w.eng.models.pipeline(w.analyst, w.models["mixed"])
    assert list(scored["prediction"]) == list(pipeline.predict(frame))
    np.testing.assert_allclose(scored[["probability_no", "probability_yes"]], pipeline.predict_proba(frame))
    assert job.result["warnings"][0] == "Ignored columns not used by the model: customer."
    assert sum(job.result["summary"]["counts"].values()) == 120
    assert w.eng.files.get(w.analyst, job.result["file_id"]).kind == "result"
    entry = w.eng.inference.log(w.analyst).query("kind == 'batch'").iloc[0]
    assert entry["rows"] == 120 and entry["output_file_id"] == job.result["file_id"] and entry["input_file_id"]


def test_a_batch_log_entry_keeps_the_texts_of_its_warnings_cut_short(w) -> None:
    frame = mixed_frame(6, seed=4).drop(columns="label")
    frame.insert(0, "customer", [f"c{i}" for i in range(len(frame))])
    frame.loc[2, "color"] = "violet" * 2_000  # an unseen category of 12,000 characters, which its warning quotes
    job = w.eng.inference.predict_batch(w.analyst, w.models["mixed"], data=csv(frame), filename="long.csv")
    assert job.status == "succeeded" and job.result is not None, job.error
    warnings = job.result["warnings"]
    quoted = quote("violet" * 2_000)
    assert len(quoted) == QUOTED + 2 and quoted.endswith("…'")  # the warning quotes the value cut short
    assert any(quoted in n for n in warnings) and max(len(n) for n in warnings) < LOGGED_NOTE_CHARS
    entry = w.eng.predictions.result(w.analyst, job.result["log_id"]).record
    assert entry is not None and entry.outputs is not None and entry.outputs["warnings"] == len(warnings)
    assert entry.warnings == tuple(logged_notes(warnings))
    assert entry.warnings[0] == "Ignored columns not used by the model: customer."
    assert any("violet" in n for n in entry.warnings) and all(len(n) <= LOGGED_NOTE_CHARS for n in entry.warnings)
    shown = w.eng.inference.log(w.analyst).set_index("id").loc[entry.id, "warnings"]
    assert shown == " ".join(entry.warnings)


def test_batch_refuses_missing_columns_before_anything_is_stored(w) -> None:
    jobs, files = len(w.eng.jobs.list(w.analyst)), len(w.eng.files.list(w.analyst))
    data = csv(mixed_frame(10).drop(columns=["color", "joined"]))
    with pytest.raises(InvalidInput) as refused:
        w.eng.inference.predict_batch(w.analyst, w.models["mixed"], data=data, filename="partial.csv")
    assert "lacks 2 column(s)" in refused.value.message and "color, joined" in refused.value.message
    assert {(p.problem, p.field) for p in refused.value.problems} == {
        ("missing column", "color"),
        ("missing column", "joined"),
    }
    assert (len(w.eng.jobs.list(w.analyst)), len(w.eng.files.list(w.analyst))) == (jobs, files)


@pytest.mark.parametrize(("data", "sentence"), [(b"", "is empty"), (b"size,color,member,joined\n", "no data rows")])
def test_batch_refuses_an_empty_file(w, data: bytes, sentence: str) -> None:
    with pytest.raises(InvalidInput, match=sentence):
        w.eng.inference.predict_batch(w.analyst, w.models["mixed"], data=data, filename="empty.csv")


def test_batch_reports_wrong_types_row_by_row_across_chunks_and_still_scores(w, monkeypatch) -> None:
    monkeypatch.setattr(inference_tasks, "CHUNK_ROWS", 4)
    frame = mixed_frame(10, seed=3).drop(columns="label").astype({"size": object, "joined": object})
    frame.loc[2, "size"], frame.loc[6, "joined"], frame.loc[8, "color"] = "tall", "someday", "purple"
    job = w.eng.inference.predict_batch(w.analyst, w.models["mixed"], data=csv(frame), filename="typos.csv")
    assert job.status == "succeeded", job.error
    problems = [(p["row"], p["field"], p["value"]) for p in job.result["problems"]]
    assert problems == [(3, "size", "tall"), (7, "joined", "someday")]  # 1 = first row under the header
    assert any(n.startswith("rows 9–10: ") and "purple" in n for n in job.result["warnings"])
    scored = w.eng.inference.batch_result(w.analyst, job.id)
    assert len(scored) == 10 and scored["prediction"].isin(["yes", "no"]).all()
    # each row scored with a value it could not read says so beside its prediction, and the log keeps it
    said = scored["input_warnings"].fillna("")
    assert said[2] == "size = 'tall' could not be read as a number; it was scored as missing."
    assert said[6].startswith("joined = 'someday' could not be read as a date; it was scored as missing.")
    assert not said.drop(index=[2, 6, 8]).str.contains("could not be read").any()
    entry = w.eng.predictions.result(w.analyst, job.result["log_id"]).record
    assert entry is not None and any("could not be read, scored as missing ('tall')" in n for n in entry.warnings)


def test_batch_neutralizes_formula_cells_in_the_csv(w) -> None:
    frame = mixed_frame(3).drop(columns="label")
    frame["note"] = ['=HYPERLINK("http://x")', "+1+2", "plain"]
    job = w.eng.inference.predict_batch(w.analyst, w.models["mixed"], data=csv(frame), filename="notes.csv")
    text = w.eng.files.download(w.analyst, job.result["file_id"]).decode()
    assert "'=HYPERLINK" in text and "'+1+2" in text and ",=HYPERLINK" not in text


def test_batch_of_a_dataset_adds_the_top_reasons_per_row(w, monkeypatch) -> None:
    job = w.eng.inference.predict_batch(w.analyst, w.models["iris"], dataset_id=w.samples["iris"].id, explain_top=3)
    scored = w.eng.inference.batch_result(w.analyst, job.id)
    assert len(scored) == 150 and list(scored.columns[-4:-1]) == ["reason_1", "reason_2", "reason_3"]
    assert scored["reason_1"].str.contains("_cm (", regex=False).all()
    monkeypatch.setenv("DATAML_EXPLAIN_MAX_ROWS", "100")
    limited = Engine.open(home=w.eng.settings.home, runner="inline")
    with pytest.raises(InvalidInput, match="up to 100 rows"):
        limited.inference.predict_batch(w.analyst, w.models["iris"], dataset_id=w.samples["iris"].id, explain_top=3)
    limited.close()


def test_batch_of_a_parquet_upload_keeps_regression_predictions(w) -> None:
    frame = pd.read_csv(Path(__file__).resolve().parents[2] / "data" / "samples" / "diabetes.csv").head(40)
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    job = w.eng.inference.predict_batch(w.analyst, w.models["diabetes"], data=buffer.getvalue(), filename="d.parquet")
    scored = w.eng.inference.batch_result(w.analyst, job.id)
    expected = w.eng.models.pipeline(w.analyst, w.models["diabetes"]).predict(frame)
    np.testing.assert_allclose(scored["prediction"], expected)
    assert list(scored.columns) == [*frame.columns, "prediction", "input_warnings"]
    assert sum(b["count"] for b in job.result["summary"]["bins"]) == 40


def test_a_batch_naming_a_deleted_model_is_refused_before_it_is_queued(w) -> None:
    doomed = train(w.eng, w.analyst, w.samples["iris"].id, "short-lived", "species")
    done = w.eng.inference.predict_batch(w.analyst, doomed, dataset_id=w.samples["iris"].id)
    w.eng.models.delete(w.analyst, doomed)
    before = len(w.eng.jobs.list(w.analyst))
    with pytest.raises(NotFound, match="The model this job needs does not exist"):
        w.eng.jobs.submit(w.analyst, "batch_predict", "Score iris again", done.params)
    assert len(w.eng.jobs.list(w.analyst)) == before


def test_other_tenants_see_no_model_and_no_result(w) -> None:
    batch = w.eng.inference.predict_batch(w.analyst, w.models["iris"], dataset_id=w.samples["iris"].id)
    for call in (
        lambda a: w.eng.inference.predict_one(a, w.models["iris"], IRIS_ROW),
        lambda a: w.eng.inference.form_fields(a, w.models["iris"]),
        lambda a: w.eng.inference.predict_batch(a, w.models["iris"], data=b"a\n1\n", filename="x.csv"),
        lambda a: w.eng.inference.batch_result(a, batch.id),
    ):
        with pytest.raises(NotFound):
            call(w.outsider)
    assert w.eng.inference.log(w.outsider).empty


def test_viewer_reads_results_and_the_log_but_cannot_predict(w) -> None:
    batch = w.eng.inference.predict_batch(w.analyst, w.models["iris"], dataset_id=w.samples["iris"].id)
    assert len(w.eng.inference.batch_result(w.viewer, batch.id, limit=5)) == 5
    assert not w.eng.inference.log(w.viewer).empty
    with pytest.raises(PermissionDenied):
        w.eng.inference.predict_one(w.viewer, w.models["iris"], IRIS_ROW)
    with pytest.raises(PermissionDenied):
        w.eng.inference.predict_batch(w.viewer, w.models["iris"], dataset_id=w.samples["iris"].id)


@pytest.mark.parametrize("bad", [float("inf"), "-inf", "1e999"])
def test_form_refuses_infinite_numbers_naming_the_field(w, bad: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        w.eng.inference.predict_one(w.analyst, w.models["diabetes"], {**DIABETES_ROW, "bmi": bad})
    assert [(p.problem, p.field) for p in refused.value.problems] == [("not a finite number", "bmi")]
    assert "bmi" in refused.value.message


@pytest.mark.parametrize(("field", "bad"), [("color", {"shade": "red"}), ("size", [1, 2]), ("joined", {"y": 2021})])
def test_form_refuses_lists_and_dicts_naming_the_field(w, field: str, bad: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        w.eng.inference.predict_one(w.analyst, w.models["mixed"], {**MIXED_ROW, field: bad})
    assert [(p.problem, p.field) for p in refused.value.problems] == [("wrong type", field)]
    assert refused.value.message.endswith(f": {field}.")


def test_batch_reports_an_infinite_cell_on_its_row_and_scores_the_rest(w) -> None:
    frame = pd.read_csv(Path(__file__).resolve().parents[2] / "data" / "samples" / "diabetes.csv").head(6)
    frame["bmi"] = frame["bmi"].astype(object)
    frame.loc[3, "bmi"] = "inf"
    job = w.eng.inference.predict_batch(w.analyst, w.models["diabetes"], data=csv(frame), filename="inf.csv")
    assert job.status == "succeeded", job.error
    assert [(p["row"], p["field"], p["problem"]) for p in job.result["problems"]] == [(4, "bmi", "not a finite number")]
    scored = w.eng.inference.batch_result(w.analyst, job.id)
    assert len(scored) == 6 and np.isfinite(scored["prediction"]).all()
    assert scored.loc[3, "input_warnings"].startswith("bmi = 'inf' could not be read as a number (not finite)")


def test_a_queued_batch_keeps_its_input_dataset_from_being_deleted(w) -> None:
    data = csv(pd.read_csv(Path(__file__).resolve().parents[2] / "data" / "samples" / "iris.csv"))
    kept = w.eng.datasets.upload(w.analyst, name="iris to keep", filename="iris.csv", data=data)
    done = w.eng.inference.predict_batch(w.analyst, w.models["iris"], dataset_id=kept.id)
    with w.eng.db.session() as session:  # queued, as a worker waiting for a slot leaves it
        queued = job_repo.create_job(
            session,
            tenant_id=w.analyst.tenant_id,
            owner_id=w.analyst.user_id,
            kind="batch_predict",
            title="Score iris to keep",
            params=done.params,
            datasets=[kept.id],
            files=[kept.file_id],
        )
    with pytest.raises(Conflict, match="Score iris to keep"):
        w.eng.datasets.delete(w.analyst, kept.id)
    with w.eng.db.session() as session:
        job_repo.finish(session, queued.id, JobStatus.CANCELED)
    w.eng.datasets.delete(w.analyst, kept.id)


def test_a_batch_whose_rows_the_datalake_refuses_still_succeeds_and_says_so(w) -> None:
    """The gold table keeps each batch's input columns as sent: text in a column of numbers does not fit the
    table the first batch made. The batch is scored all the same, and its user is told (it was only logged)."""
    frame = mixed_frame(6, seed=5).drop(columns="label")
    first = w.eng.inference.predict_batch(w.analyst, w.models["mixed"], data=csv(frame), filename="first.csv")
    assert first.status == "succeeded" and first.result is not None
    assert not any("datalake" in n for n in first.result["warnings"])
    frame = frame.astype({"size": object})
    frame.loc[1, "size"] = "tall"
    second = w.eng.inference.predict_batch(w.analyst, w.models["mixed"], data=csv(frame), filename="second.csv")
    assert second.status == "succeeded" and second.result is not None and second.result["rows"] == 6
    told = [n for n in second.result["warnings"] if n.startswith("The predictions were not added to the datalake")]
    assert len(told) == 1 and "_predictions" in told[0]
