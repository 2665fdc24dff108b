"""Problems: a fixed scoring procedure on hidden test data; algorithms and data submitted to it are trained
mini-batch by mini-batch as learning tasks; the leaderboard shows every algorithm's scores over ranks, and the best
model (registry alias ``champion``) predicts."""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd
import streamlit as st

from core import ALGORITHMS, PROBLEM_METRICS, LearningProblem, safe_csv
from ui.auth import current_actor
from ui.downloads import download, download_csv
from ui.engine import get_engine
from ui.errors import guard
from ui.problem_views import board_frame, predictions_frame, score_plot, tasks_frame

engine, actor = get_engine(), current_actor()
manager, submitter = actor.can("problems:manage"), actor.can("models:train")
st.title("Problems")
st.caption(
    "A problem fixes what to predict and how it is scored on test data nobody tunes on; every algorithm is trained "
    "on the attached data mini-batch by mini-batch and scored the same way; the best model gets the alias champion."
)


def create_form() -> None:
    templates = engine.templates.list(actor)
    if not templates:
        st.info("Create a template first: a problem's data follows its columns.")
        return
    names = {t.id: t.name for t in templates}
    template_id = st.selectbox("Template", list(names), format_func=names.__getitem__, key="problem_template")
    template = next(t for t in templates if t.id == template_id)
    kind = st.radio("Problem type", list(PROBLEM_METRICS), horizontal=True, key="problem_type")
    datasets = {d.id: d.name for d in engine.datasets.list(actor, status="validated")}
    with st.form("problem_create"):
        name = st.text_input("Name", key="problem_name")
        description = st.text_area("What to predict and why", key="problem_description")
        left, middle, right = st.columns(3)
        target = left.selectbox("Target", [c.name for c in template.columns], key="problem_target")
        metric = middle.selectbox("Metric", list(PROBLEM_METRICS[kind]), key="problem_metric")
        size = right.number_input("Rows per mini-batch", 10, 10_000_000, 100, key="problem_size")
        tests = st.multiselect(
            "Test data (hidden from submitters)", list(datasets), format_func=datasets.__getitem__, key="problem_tests"
        )
        if st.form_submit_button("Create the problem", type="primary"):
            with guard():
                problem = engine.problems.create(
                    actor,
                    name=name,
                    description=description,
                    template_id=template.id,
                    target=str(target),
                    problem_type=str(kind),
                    metric=str(metric),
                    size_train_dataset=int(size),
                    test_dataset=tests,
                )
                st.session_state["problem_chosen"] = problem.id
                st.rerun()


def leaderboard_tab(problem: LearningProblem) -> None:
    board = engine.problems.leaderboard(actor, problem.id)
    if not board.entries:
        st.info("No algorithm yet: add one under Algorithms.")
        return
    frame = board_frame(board)
    st.dataframe(frame, hide_index=True, key="problem_board")
    download_csv(frame, f"{problem.name}-leaderboard.csv", key="problem_board_csv")
    if any(perf is not None for e in board.entries for _, perf in e.history):
        st.plotly_chart(score_plot(board), key="problem_plot")
    elif problem.test_dataset:
        st.info("No scores yet: attach training data under Data, or wait for the first learning tasks.")
    if board.champion_model_id:
        model = engine.models.get(actor, board.champion_model_id)
        st.success(f"Best model: {model.label} (alias champion in the Registry).", icon=":material/star:")


def live(key: str, render: Callable[[], bool]) -> None:
    """Run ``render`` (True while something it shows is unfinished) in a fragment that refreshes every 2 s until
    it is all finished; the page reruns once when that changes, so the leaderboard and downloads follow."""
    flag = f"{key}_running"

    @st.fragment(run_every=2.0 if st.session_state.get(flag, True) else None)
    def _live() -> None:
        with guard():
            running = render()
            if st.session_state.get(flag, True) != running:
                st.session_state[flag] = running
                st.rerun()

    _live()


def tasks_tab(problem: LearningProblem) -> None:
    def render() -> bool:
        tasks = engine.problems.learnuplets(actor, {"problem": problem.id})
        finished = sum(t.finished for t in tasks)
        if tasks:
            st.progress(finished / len(tasks), text=f"{finished} of {len(tasks)} learning tasks finished")
        if not tasks:
            st.info("No learning task yet: each algorithm gets one per mini-batch of the training data.")
            return False
        frame = tasks_frame(tasks, engine.problems.algos(actor, {"problem": problem.id}))
        st.dataframe(frame, hide_index=True, key="problem_tasks")
        download_csv(frame, f"{problem.name}-tasks.csv", key="problem_tasks_csv")
        return finished < len(tasks)

    live("problem_tasks", render)


def algorithms_tab(problem: LearningProblem) -> None:
    algos = engine.problems.algos(actor, {"problem": problem.id})
    rows = [
        {"name": a.name, "kind": a.kind, "family": a.family, "settings": json.dumps(a.settings), "by": a.owner}
        for a in algos
    ]
    st.dataframe(rows, hide_index=True, key="problem_algos")
    if rows:
        download_csv(pd.DataFrame(rows), f"{problem.name}-algorithms.csv", key="problem_algos_csv")
    if not submitter:
        return
    with st.form("problem_algo"):
        left, middle, right = st.columns(3)
        name = left.text_input("Name", key="problem_algo_name")
        kind = middle.selectbox("Kind", ["family", "auto"], key="problem_algo_kind", help="auto: the timed search")
        family = right.selectbox("Algorithm", list(ALGORITHMS), key="problem_algo_family")
        settings = st.text_input(
            'Settings (JSON, e.g. {"C": 0.5}; auto: {"time_budget_s": 10})', value="{}", key="problem_algo_settings"
        )
        if st.form_submit_button("Add the algorithm"):
            parsed = settings_of(settings)
            if parsed is None:
                st.error('Settings must be a JSON object, e.g. {"C": 0.5}, or empty; nothing was added.')
                return
            with guard():
                algo, made = engine.problems.add_algo(
                    actor, problem.id, name, kind=str(kind), algorithm=str(family), settings=parsed
                )
                st.session_state["problem_tasks_running"] = True
                st.toast(f"{algo.name}: {made} learning task(s).")
                st.rerun()


def settings_of(text: str) -> dict | None:
    """The typed settings as a JSON object ({} when blank), or None when they are not one."""
    try:
        parsed = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) else None


def data_tab(problem: LearningProblem) -> None:
    attached = engine.problems.data(actor, {"problems": problem.id})
    st.dataframe([{"dataset": d.name, "rows": d.rows} for d in attached], hide_index=True, key="problem_data")
    if not submitter:
        return
    taken = {d.id for d in attached} | set(problem.test_dataset)
    choices = {d.id: d.name for d in engine.datasets.list(actor, status="validated") if d.id not in taken}
    with st.form("problem_attach", clear_on_submit=True):
        chosen = st.multiselect(
            "Training data", list(choices), format_func=choices.__getitem__, key="problem_attach_data"
        )
        if st.form_submit_button("Attach") and chosen:
            with guard():
                _, made = engine.problems.add_data(actor, chosen, [problem.id])
                st.session_state["problem_tasks_running"] = True
                st.toast(f"{made} new learning task(s).")
                st.rerun()


def predict_tab(problem: LearningProblem) -> None:
    datasets = {
        d.id: d.name for d in engine.datasets.list(actor, status="validated") if d.id not in problem.test_dataset
    }
    if actor.can("inference:run"):
        dataset = st.selectbox(
            "Data to predict", list(datasets), format_func=datasets.__getitem__, key="problem_predict_data"
        )
        if st.button("Predict with the best model", key="problem_predict", type="primary") and dataset:
            with guard():
                engine.problems.predict(actor, problem.id, [dataset])
                st.session_state["problem_preds_running"] = True

    def render() -> bool:
        preds = engine.problems.preduplets(actor, {"problem": problem.id})
        st.dataframe(predictions_frame(preds, datasets), hide_index=True, key="problem_preds")
        return any(p.status not in ("done", "failed") for p in preds)

    live("problem_preds", render)
    done = [p for p in engine.problems.preduplets(actor, {"problem": problem.id}) if p.status == "done" and p.job_id]
    if done:
        latest = done[-1]
        download(
            f"Download the latest result ({datasets.get(latest.dataset_id, 'data')})",
            lambda: safe_csv(engine.inference.batch_result(actor, latest.job_id or "")),
            "problem-prediction.csv",
            key="problem_result",
            mime="text/csv",
        )


def test_tab(problem: LearningProblem) -> None:
    names = {d.id: d.name for d in engine.datasets.list(actor)}
    st.write(", ".join(names.get(d, d) for d in problem.test_dataset) or "No test data yet.")
    choices = {k: v for k, v in names.items() if k not in problem.test_dataset}
    with st.form("problem_test"):
        chosen = st.selectbox("Add test data", list(choices), format_func=choices.__getitem__, key="problem_test_data")
        if st.form_submit_button("Add") and chosen:
            with guard():
                engine.problems.add_test_data(actor, problem.id, chosen)
                st.rerun()


with guard():
    problems = engine.problems.list(actor)
    if manager:
        with st.expander("Create a problem", icon=":material/add:", expanded=not problems):
            create_form()
    if not problems:
        st.info("No problem yet." + ("" if manager else " Someone who manages problems creates them."))
        st.stop()
    labels = {p.id: p.name for p in problems}
    chosen = st.session_state.get("problem_chosen")
    index = list(labels).index(chosen) if chosen in labels else 0
    problem_id = st.selectbox(
        "Problem", list(labels), index=index, format_func=labels.__getitem__, key="problem_select"
    )
    problem = next(p for p in problems if p.id == problem_id)
    better = "higher" if problem.higher_is_better else "lower"
    st.markdown(
        f"**{problem.problem_type}** of `{problem.target}` · scored by **{problem.metric}** ({better} is better) on "
        f"{len(problem.test_dataset)} hidden test dataset(s) · {problem.size_train_dataset:,} rows per mini-batch"
    )
    if problem.description:
        st.caption(problem.description)
    if not problem.test_dataset:
        st.warning(
            "This problem has no test data yet, so nothing can be trained or scored: "
            + ("add a dataset under Test data." if manager else "a problem manager must add test data first."),
            icon=":material/warning:",
        )
    names = ["Leaderboard", "Tasks", "Algorithms", "Data", "Predict"] + (["Test data"] if manager else [])
    tabs = st.tabs(names)
    views = [leaderboard_tab, tasks_tab, algorithms_tab, data_tab, predict_tab, test_tab]
    for tab, view in zip(tabs, views, strict=False):
        with tab, guard():
            view(problem)
