"""Problems (issue 19): learning tasks in rank order, scores that recompute from stored predictions, the
``model_start`` rule, new data making new tasks, the champion alias and prediction tasks, and hidden test data."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sklearn.metrics import accuracy_score

from core import Actor, Conflict, Engine, InvalidInput, PermissionDenied
from core.entities.problems import LearningProblem
from tests.conftest import make_user
from tests.core.problem_support import World, build, iris_problem


def _problem(engine: Engine, admin: Actor, world: World, compute: str = "internal") -> LearningProblem:
    return iris_problem(engine, admin, world, f"Iris {compute}", compute=compute)


def test_two_algorithms_on_three_mini_batches_learn_in_rank_order_and_crown_the_best(
    engine: Engine, admin: Actor, analyst: Actor
) -> None:
    world = build(engine, admin, analyst)
    problem = _problem(engine, admin, world)
    assert engine.problems.add_data(analyst, [world.train], [problem.id])[1] == 0  # no algorithm yet
    _, made = engine.problems.add_algo(analyst, problem.id, "logistic", algorithm="linear", settings={"C": 0.05})
    assert made == 3
    engine.problems.add_algo(analyst, problem.id, "forest", algorithm="random_forest", settings={"n_estimators": 20})

    tasks = engine.problems.learnuplets(analyst, {"problem": problem.id})
    assert len(tasks) == 6
    for algo in engine.problems.algos(analyst, {"problem": problem.id}):
        mine = [t for t in tasks if t.algo_id == algo.id]
        assert [t.rank for t in mine] == [0, 1, 2]
        assert [(t.batch.start, t.batch.stop) for t in mine] == [(0, 40), (40, 80), (80, 120)]
        assert all(t.status == "done" and t.worker and t.job_id for t in mine), [t.error for t in mine]
        for position, task in enumerate(mine):  # the start is the best earlier rank (strictly better only)
            best = None
            for earlier in mine[:position]:
                if best is None or earlier.perf > best.perf:  # type: ignore[operator]
                    best = earlier
            assert task.start_task_id == (best.id if best else None)
            assert task.model_start == (best.model_end if best else None)
            assert task.train_data == (*(best.train_data if best else ()), task.batch)
            assert len(task.train_perf) == len(task.train_data) and len(task.test_perf) == 1

    # scores recompute from the stored predictions and the test data's own target
    test = engine.datasets.frame(admin, world.test)
    for task in tasks:
        stored = engine.problems.test_predictions(admin, task.id)
        assert list(stored["row"]) == list(range(1, 31))
        assert accuracy_score(test["species"], stored["y_pred"]) == pytest.approx(task.perf)

    board = engine.problems.leaderboard(analyst, problem.id)
    best_task = max(tasks, key=lambda t: (t.perf, -tasks.index(t)))
    assert board.entries[0].best_perf == best_task.perf
    assert [len(e.history) for e in board.entries] == [3, 3]
    registered = engine.registry.list(admin, name=problem.name)[0]
    (champion,) = [v for v in engine.registry.versions(admin, registered.id) if "champion" in v.aliases]
    assert champion.id == board.champion_model_id
    assert engine.problems.learnuplet(analyst, board.champion_task_id or "").perf == max(t.perf for t in tasks)  # type: ignore[type-var]
    assert engine.registry.alias_history(admin, registered.id, "champion")  # every move kept

    # more data: one more mini-batch, so one more task per algorithm, starting from its best
    data, made = engine.problems.add_data(analyst, [world.extra], [problem.id])
    assert made == 2 and [d.id for d in data] == [world.extra]
    assert engine.problems.add_data(analyst, [world.extra], [problem.id])[1] == 0  # attached already
    added = [t for t in engine.problems.learnuplets(analyst, {"problem": problem.id}) if t.rank == 3]
    assert len(added) == 2 and all(t.status == "done" and t.batch.dataset_id == world.extra for t in added)

    # a prediction task uses the best model of the moment
    board = engine.problems.leaderboard(analyst, problem.id)
    (pred,) = engine.problems.predict(analyst, problem.id, [world.extra])
    pred = engine.problems.preduplet(analyst, pred.id)
    assert pred.model_id == board.champion_model_id and pred.status == "done" and pred.prediction_file
    result = engine.inference.batch_result(analyst, pred.job_id or "")
    assert len(result) == 40 and "prediction" in result


def test_a_worse_rank_does_not_replace_the_best_start_and_outside_workers_finish_tasks(
    engine: Engine, admin: Actor, analyst: Actor
) -> None:
    world = build(engine, admin, analyst)
    problem = _problem(engine, admin, world, compute="external")
    worker = make_user(engine, admin, "compute", "worker")
    engine.problems.add_data(analyst, [world.train], [problem.id])
    algo, _ = engine.problems.add_algo(analyst, problem.id, "outside", algorithm="linear")
    for perf in (0.8, 0.5, 0.9):
        (task,) = engine.problems.learnuplets(worker, {"algo": algo.id, "status": "todo"})
        engine.problems.claim(worker, "learnuplet", task.id, "worker-1")
        with pytest.raises(Conflict):
            engine.problems.claim(worker, "learnuplet", task.id, "worker-2")  # one worker per task
        with pytest.raises(InvalidInput):
            engine.problems.learn_done(worker, task.id, "done", perf=float("nan"), test_perf=[0.1])
        engine.problems.learn_done(
            worker, task.id, "done", perf=perf, train_perf=[perf] * len(task.train_data), test_perf=[perf]
        )
    first, worse, third = engine.problems.learnuplets(analyst, {"algo": algo.id})
    assert worse.start_task_id == first.id and third.start_task_id == first.id  # 0.5 did not replace 0.8
    assert third.train_data == (first.batch, third.batch) and third.worker == "worker-1"
    board = engine.problems.leaderboard(analyst, problem.id)
    assert board.entries[0].best_perf == 0.9 and board.champion_model_id is None  # scores only, no model here
    with pytest.raises(Conflict):
        engine.problems.learn_done(worker, first.id, "failed")  # finished already
    with pytest.raises(PermissionDenied):
        engine.problems.claim(analyst, "learnuplet", first.id, "me")
    with pytest.raises(PermissionDenied):
        engine.datasets.list(worker)


def test_test_rows_are_refused_to_a_submitter_on_every_read_path(engine: Engine, admin: Actor, analyst: Actor) -> None:
    world = build(engine, admin, analyst)
    problem = _problem(engine, admin, world)
    engine.problems.add_data(analyst, [world.train], [problem.id])
    engine.problems.add_algo(analyst, problem.id, "logistic", algorithm="linear")
    model_id = engine.problems.leaderboard(analyst, problem.id).champion_model_id or ""
    manager_batch = engine.inference.predict_batch(admin, model_id, dataset_id=world.test)
    task = engine.problems.learnuplets(analyst, {"problem": problem.id})[0]
    stored = engine.problems.test_predictions(admin, task.id)
    assert len(stored) == 30
    file_id = engine.datasets.get(admin, world.test).file_id
    reads: list[Callable[[Actor], object]] = [
        lambda a: engine.datasets.preview(a, world.test),
        lambda a: engine.datasets.frame(a, world.test),
        lambda a: engine.datasets.csv(a, world.test),
        lambda a: engine.datasets.statistics(a, world.test),
        lambda a: engine.datasets.stored_statistics(a, world.test),
        lambda a: engine.datasets.histogram(a, world.test, "sepal_length"),
        lambda a: engine.datasets.value_counts(a, world.test, "species"),
        lambda a: engine.datasets.correlation(a, world.test),
        lambda a: engine.datasets.report_csv(a, world.test),
        lambda a: engine.dataset_files.list(a, world.test),
        lambda a: engine.files.download(a, file_id),
        lambda a: engine.files.preview(a, file_id),
        lambda a: engine.files.head(a, file_id),
        lambda a: engine.inference.predict_batch(a, model_id, dataset_id=world.test),
        lambda a: engine.inference.batch_result(a, manager_batch.id),
        lambda a: engine.problems.test_predictions(a, task.id),
        lambda a: engine.recipes.preview(a, world.test, {"steps": []}),
        lambda a: engine.recipes.suggest(a, world.test),
    ]
    silver = next(t for t in engine.datalake.of_dataset(admin, world.test) if t.schema == "silver").table
    reads += [
        lambda a: engine.datalake.preview(a, "silver", silver),
        lambda a: engine.datalake.numeric_stats(a, "silver", silver, "sepal_length"),
        lambda a: engine.datalake.distinct_count(a, "silver", silver, "species"),
        lambda a: engine.datalake.query(a, "SELECT * FROM silver." + silver),  # noqa: S608 - a name the lake made
    ]
    for read in reads:
        read(admin)  # the manager reads them
        with pytest.raises(PermissionDenied):
            read(analyst)
    assert engine.datasets.get(analyst, world.test).validation.problems == ()  # described, never quoted
    assert engine.datalake.tables(admin, "gold") == []  # the manager's batch over test rows stays out of the lake
    with pytest.raises(Conflict):  # test data trains nothing
        engine.problems.add_data(admin, [world.test], [problem.id])
    with pytest.raises(Conflict):  # a problem's data keeps its rows
        engine.dataset_files.add(admin, world.train, files=[("more.csv", b"x\n1\n")])
    with pytest.raises(Conflict):
        engine.datasets.delete(admin, world.test)


def test_bad_problems_and_algorithms_are_refused_in_words(engine: Engine, admin: Actor, analyst: Actor) -> None:
    world = build(engine, admin, analyst)
    good = {
        "name": "P",
        "template_id": world.template,
        "target": "species",
        "problem_type": "classification",
        "metric": "accuracy",
        "size_train_dataset": 40,
    }
    for bad in ({"metric": "rmse"}, {"problem_type": "forecast"}, {"size_train_dataset": 0}, {"compute": "cloud"}):
        with pytest.raises(InvalidInput):
            engine.problems.create(admin, **{**good, **bad})  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        engine.problems.create(admin, **{**good, "target": "colour"})  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        engine.problems.create(analyst, **good)  # type: ignore[arg-type]
    problem = engine.problems.create(admin, **good)  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        engine.problems.create(admin, **{**good, "name": "p"})  # type: ignore[arg-type]
    for kind, algorithm, settings in (
        ("family", "linear", {"C": -1}),
        ("family", "linear", {"no_such": 1}),
        ("family", None, {}),
        ("family", "xgboost", {}),
        ("auto", None, {"time_budget_s": 0}),
        ("sometimes", "linear", {}),
    ):
        with pytest.raises(InvalidInput):
            engine.problems.add_algo(analyst, problem.id, "a", kind=kind, algorithm=algorithm, settings=settings)
    engine.problems.add_algo(analyst, problem.id, "a", algorithm="linear")
    with pytest.raises(Conflict):
        engine.problems.add_algo(analyst, problem.id, "A", algorithm="linear")
    with pytest.raises(Conflict):  # nothing trained yet
        engine.problems.predict(analyst, problem.id, [world.extra])
    assert engine.problems.data(analyst) == []


def test_a_long_chain_of_ranks_runs_without_nesting_jobs(engine: Engine, admin: Actor, analyst: Actor) -> None:
    """Inline (and inside a worker process) each rank's job starts the next: 40 ranks must not deepen the stack,
    and a failing rank (a one-class mini-batch) lets the next one start."""
    import sys

    from core import ColumnSpec

    template = engine.templates.create(admin, "xy", [ColumnSpec("x", "integer"), ColumnSpec("y", "string")])
    rows = "x,y\n" + "".join(f"{n % 5},{'ab'[n % 2] if n >= 10 else 'a'}\n" for n in range(410))
    test = engine.datasets.upload(admin, name="t", filename="t.csv", data=rows.encode(), template_id=template.id)
    train = engine.datasets.upload(analyst, name="d", filename="d.csv", data=rows.encode(), template_id=template.id)
    problem = engine.problems.create(
        admin,
        name="Chain",
        template_id=template.id,
        target="y",
        problem_type="classification",
        metric="accuracy",
        size_train_dataset=10,
        test_dataset=[test.id],
    )
    engine.problems.add_data(analyst, [train.id], [problem.id])
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(400)  # a nested chain of 41 jobs needs far more
    try:
        engine.problems.add_algo(analyst, problem.id, "lin", algorithm="linear")
    finally:
        sys.setrecursionlimit(limit)
    tasks = engine.problems.learnuplets(analyst, {"problem": problem.id})
    assert len(tasks) == 41 and tasks[0].status == "failed" and "single class" in tasks[0].error
    assert all(t.status == "done" for t in tasks[1:])
    assert tasks[1].start_task_id is None and tasks[2].start_task_id == tasks[1].id


def test_a_task_whose_job_was_interrupted_fails_and_its_next_rank_starts(
    engine: Engine, admin: Actor, analyst: Actor
) -> None:
    from core.storage.orm import LearnupletRow

    world = build(engine, admin, analyst)
    problem = _problem(engine, admin, world, compute="external")
    engine.problems.add_data(analyst, [world.train], [problem.id])
    algo, _ = engine.problems.add_algo(analyst, problem.id, "lin", algorithm="linear")
    (task,) = engine.problems.learnuplets(admin, {"algo": algo.id, "status": "todo"})
    job = engine.jobs.selftest(admin, steps=1)  # stands for the task's job, whose process stopped
    with engine.db.session() as session:
        row = session.get(LearnupletRow, task.id)
        assert row is not None
        row.status, row.job_id = "pending", job.id
    assert engine.problems._recover([job.id]) == 1
    first, second, _ = engine.problems.learnuplets(admin, {"algo": algo.id})
    assert first.status == "failed" and "interrupted" in first.error and second.status == "todo"


def test_training_data_waits_for_the_test_data_that_scores_it(engine: Engine, admin: Actor, analyst: Actor) -> None:
    """A problem may be created before its test data, but its tasks would train and then fail scoring on nothing
    (pandas' "No objects to concatenate" reached the Tasks tab): attaching training data is refused until then."""
    world = build(engine, admin, analyst)
    problem = iris_problem(engine, admin, world, "Iris untested", tested=False)
    engine.problems.add_algo(analyst, problem.id, "logistic", algorithm="linear", settings={"C": 0.05})
    with pytest.raises(InvalidInput, match="has no test data yet"):
        engine.problems.add_data(analyst, [world.train], [problem.id])
    assert engine.problems.data(analyst) == [] and engine.problems.learnuplets(analyst, {}) == []
    engine.problems.add_test_data(admin, problem.id, world.test)
    _, made = engine.problems.add_data(analyst, [world.train], [problem.id])
    assert made == 3 and all(t.status == "done" for t in engine.problems.learnuplets(analyst, {}))
