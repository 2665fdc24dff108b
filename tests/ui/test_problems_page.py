"""The Problems page in AppTest: create a problem, add an algorithm and data, read the leaderboard and predict
with the best model."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from core import Actor, Engine
from tests.core.problem_support import build, iris_problem


def test_problems_page_creates_a_problem_trains_algorithms_and_predicts(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, analyst: Actor
) -> None:
    world = build(engine, admin, analyst)
    at = app(actor=admin, page="problems.py")
    at.text_input(key="problem_name").input("Iris species")
    at.selectbox(key="problem_target").select("species")
    at.number_input(key="problem_size").set_value(40)
    at.multiselect(key="problem_tests").select(world.test)
    at.button(key="FormSubmitter:problem_create-Create the problem").click().run()
    assert not at.exception, at.exception
    [problem] = engine.problems.list(admin)
    assert problem.test_dataset == (world.test,) and problem.size_train_dataset == 40

    at.multiselect(key="problem_attach_data").select(world.train)
    at.button(key="FormSubmitter:problem_attach-Attach").click().run()
    at.text_input(key="problem_algo_name").input("forest")
    at.selectbox(key="problem_algo_family").select("random_forest")
    at.text_input(key="problem_algo_settings").input('{"n_estimators": 10}')
    at.button(key="FormSubmitter:problem_algo-Add the algorithm").click().run()
    assert not at.exception, at.exception
    tasks = engine.problems.learnuplets(admin, {"problem": problem.id})
    assert [t.status for t in tasks] == ["done"] * 3
    assert len(at.get("plotly_chart")) == 1  # scores over ranks
    assert any("Best model" in s.value for s in at.success)

    at.selectbox(key="problem_predict_data").select(world.extra)
    at.button(key="problem_predict").click().run()
    assert not at.exception, at.exception
    [pred] = engine.problems.preduplets(admin, {"problem": problem.id})
    assert pred.status == "done"
    assert "Download the latest result (iris-more)" in [b.proto.label for b in at.get("download_button")]


def test_a_submitter_sees_no_create_form_and_no_test_data_tab(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, analyst: Actor
) -> None:
    world = build(engine, admin, analyst)
    iris_problem(engine, admin, world, "P", metric="f1")
    at = app(actor=analyst, page="problems.py")
    assert not at.exception, at.exception
    assert [t.label for t in at.tabs] == ["Leaderboard", "Tasks", "Algorithms", "Data", "Predict"]
    assert not [e for e in at.expander if e.label == "Create a problem"]


def test_a_problem_without_test_data_says_so_and_bad_settings_are_refused_in_words(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, analyst: Actor
) -> None:
    world = build(engine, admin, analyst)
    iris_problem(engine, admin, world, "No tests", metric="f1", tested=False)
    at = app(actor=admin, page="problems.py")
    assert any("no test data yet" in w.value and "Test data" in w.value for w in at.warning)
    assert not at.get("plotly_chart")  # no empty chart
    at.multiselect(key="problem_attach_data").select(world.train)
    at.button(key="FormSubmitter:problem_attach-Attach").click().run()
    assert any("has no test data yet" in e.value for e in at.error)
    assert engine.problems.data(admin) == []  # nothing attached
    for typed in ("{C: 0.5}", "C=0.5", "[1, 2]"):
        at.text_input(key="problem_algo_name").input("logistic")
        at.text_input(key="problem_algo_settings").input(typed)
        at.button(key="FormSubmitter:problem_algo-Add the algorithm").click().run()
        assert not at.exception, at.exception
        assert any("Settings must be a JSON object" in e.value for e in at.error), typed
        assert at.text_input(key="problem_algo_settings").value == typed  # what was typed is kept to fix
    assert engine.problems.algos(admin) == []
