"""Prepare: fix, transform and combine a dataset with a recipe of steps, seeing the data after each step (on a
sample), then run it on every row as a job into a new dataset. "Fix" starts from what the validation report and
the text columns suggest. Models trained on the result replay the recipe on raw files when they score them."""

from __future__ import annotations

import json

import streamlit as st

from core import RECIPE_STEPS, CoreError, Dataset, JobStatus, RecipeInfo, StepPreview, quote
from ui.auth import current_actor
from ui.downloads import download, download_csv
from ui.engine import get_engine
from ui.errors import guard
from ui.jobs import job_panel
from ui.prep_forms import KIND_LABELS, describe, step_form

engine, actor = get_engine(), current_actor()
st.title("Prepare data")
st.caption(
    "Build a recipe step by step and watch the data change (on the first rows); run it on every row to make a "
    "new dataset. Models trained on it apply the same recipe to raw files when they score them."
)
can_write = actor.can("datasets:write")

with guard():
    datasets = engine.datasets.list(actor)
if not datasets:
    st.info("No dataset yet: upload one first.")
    st.stop()
by_id = {d.id: d for d in datasets}
wanted = st.query_params.get("dataset")
if wanted in by_id and st.session_state.get("prep_url_dataset") != wanted:  # a link (Fix, bookmark) chose it
    st.session_state.update(prep_dataset=wanted, prep_url_dataset=wanted)
if st.session_state.get("prep_dataset") not in by_id:
    st.session_state["prep_dataset"] = datasets[0].id
dataset_id = st.selectbox("Dataset", list(by_id), format_func=lambda i: by_id[i].name, key="prep_dataset")
st.query_params["dataset"] = dataset_id
st.session_state["prep_url_dataset"] = dataset_id  # the page's own link: not a new one to follow on the next run
dataset: Dataset = by_id[dataset_id]

if st.session_state.get("prep_steps_for") != dataset_id:  # another dataset: its own recipe
    st.session_state.update(prep_steps_for=dataset_id, prep_steps=[], prep_loaded=None)


def renumbered() -> None:
    """After steps move, go or arrive: their on/off boxes start again from the steps (a box is keyed by position,
    so it would otherwise keep the state of the step that was there before)."""
    st.session_state["prep_generation"] = st.session_state.get("prep_generation", 0) + 1
    st.rerun()


def propose() -> None:
    with guard():
        proposed = engine.recipes.suggest(actor, dataset_id).to_dict()["steps"]
        st.session_state.update(prep_steps=proposed, prep_loaded=None, prep_shown=len(proposed))
        st.session_state["prep_notice"] = (
            f"Fix proposed {len(proposed)} step(s): review each below before you run the recipe."
            if proposed
            else "Nothing to fix: no problem in the report and no text column of dates or numbers."
        )


if st.query_params.get("fix") == "1":
    st.query_params.pop("fix")
    propose()
steps: list[dict] = st.session_state["prep_steps"]

with guard():
    lineage = engine.recipes.lineage(actor, dataset_id)
    if lineage:
        st.caption(
            f"**{dataset.name}** was made from {lineage.source_name} v{lineage.source_version} by the recipe "
            f"'{lineage.recipe_name}' ({lineage.created_by}, {lineage.created_at:%Y-%m-%d %H:%M} UTC)."
        )
st.caption(
    f"**{dataset.name}** · {dataset.rows:,} rows · {len(dataset.columns)} columns · {dataset.status}"
    + (
        f" · {dataset.validation.total_problems:,} problem(s) in the report"
        if dataset.validation.total_problems
        else ""
    )
)

saved: dict = {}
start, load = st.columns(2)
with start:
    if st.button("Fix: propose steps", key="prep_fix", icon=":material/auto_fix_high:", disabled=not can_write):
        propose()
        renumbered()
with load, guard():
    saved = {r.id: r for r in engine.recipes.list(actor, dataset_id)}
    if saved:
        chosen = st.selectbox(
            "Open a saved recipe",
            [None, *saved],
            key="prep_open",
            format_func=lambda i: "—" if i is None else saved[i].name,
        )
        if chosen and st.session_state.get("prep_loaded") != chosen:
            st.session_state.update(prep_steps=list(saved[chosen].steps["steps"]), prep_loaded=chosen)
            renumbered()
if st.session_state.get("prep_notice"):
    st.info(st.session_state.pop("prep_notice"), icon=":material/lightbulb:")

# --- the steps --------------------------------------------------------------------------------------------
st.subheader("Steps")
if not steps:
    st.caption("No step yet: add one below, or let Fix propose them.")
for index, step in enumerate(steps):
    on, text, up, down, remove = st.columns([0.6, 8, 0.6, 0.6, 0.6], vertical_alignment="center")
    enabled = on.checkbox(
        "on",
        value=step.get("enabled", True),
        key=f"prep_on_{st.session_state.get('prep_generation', 0)}_{index}",
        label_visibility="collapsed",
        help="Untick to skip this step without deleting it",
    )
    if enabled != step.get("enabled", True):
        steps[index] = {**step, "enabled": enabled}
        st.rerun()
    text.markdown(f"**{index + 1}.** {describe(step)}" + ("" if enabled else " *(skipped)*"))
    if up.button("", key=f"prep_up_{index}", icon=":material/arrow_upward:", disabled=index == 0, help="Move up"):
        steps[index - 1], steps[index] = steps[index], steps[index - 1]
        renumbered()
    last = index == len(steps) - 1
    if down.button("", key=f"prep_down_{index}", icon=":material/arrow_downward:", disabled=last, help="Move down"):
        steps[index + 1], steps[index] = steps[index], steps[index + 1]
        renumbered()
    if remove.button("", key=f"prep_remove_{index}", icon=":material/delete:", help="Delete this step"):
        steps.pop(index)
        renumbered()

if can_write:
    with st.expander("Add a step", expanded=not steps):
        kinds: list[str] = list(RECIPE_STEPS)
        kind = st.selectbox("Step", kinds, format_func=lambda k: KIND_LABELS[k], key="prep_kind") or kinds[0]
        try:  # the columns the new step sees: those after the last step
            columns = engine.recipes.preview(actor, dataset_id, {"steps": steps}, sample_rows=10).rows.columns
        except CoreError:
            columns = dataset.columns
        others = [d for d in datasets if d.id != dataset_id]
        new = step_form(kind, [str(c) for c in columns], others, key="prep_new")
        if st.button("Add step", key="prep_add", type="primary", icon=":material/add:", disabled=new is None):
            with guard():
                candidate = [*steps, new]
                engine.recipes.preview(actor, dataset_id, {"steps": candidate}, sample_rows=100)  # names the fault
                st.session_state.update(prep_steps=candidate, prep_shown=len(candidate))
                renumbered()


# --- the data after a step ----------------------------------------------------------------------------------
def show(preview: StepPreview, shown: int) -> None:
    report = preview.reports[shown - 1] if shown else None
    rows, cols, third = st.columns(3)
    rows.metric("Rows", f"{preview.rows_total:,}", delta=(report.rows_out - report.rows_in) if report else None)
    cols.metric("Columns", len(preview.summary))
    if report and report.failed:
        third.metric("Values that did not convert", f"{report.failed:,}", help="They became missing values.")
        if report.first_failed is not None:  # as plain text: a raw value is not Markdown
            third.text(f"first: {quote(report.first_failed)}")
    elif report and report.unmatched_rows:
        third.metric("Rows without a match", f"{report.unmatched_rows:,}")
    if preview.sample_rows < preview.source_rows:
        st.caption(f"On the first {preview.sample_rows:,} of {preview.source_rows:,} rows; the run uses them all.")
    data, summary, removed, changed = st.tabs(
        ["Data", "Columns", f"Removed rows ({preview.removed_count:,})", f"Changed rows ({preview.changed_count:,})"]
    )
    with data:
        st.dataframe(preview.rows, key="prep_rows", placeholder="")
        download_csv(preview.rows, f"{dataset.name}-step-{shown}.csv", key="prep_rows_csv")
    with summary:
        st.dataframe(preview.summary, hide_index=True, key="prep_summary", placeholder="")
        download_csv(preview.summary, f"{dataset.name}-step-{shown}-columns.csv", key="prep_summary_csv")
    with removed:
        st.dataframe(preview.removed, key="prep_removed", placeholder="")
        download_csv(preview.removed, f"{dataset.name}-step-{shown}-removed.csv", key="prep_removed_csv")
    with changed:
        st.dataframe(preview.changed, hide_index=True, key="prep_changed", placeholder="")
        download_csv(preview.changed, f"{dataset.name}-step-{shown}-changed.csv", key="prep_changed_csv")
    if report and report.unmatched:
        st.caption("Keys without a match (first 20):")
        st.dataframe(list(report.unmatched), hide_index=True, key="prep_unmatched")


st.subheader("Data")
labels = {0: "the dataset as it is", **{i + 1: f"step {i + 1}: {describe(s)}" for i, s in enumerate(steps)}}
if st.session_state.get("prep_shown") not in labels:
    st.session_state["prep_shown"] = len(steps)
shown = st.selectbox("Show the data after", list(labels), format_func=labels.__getitem__, key="prep_shown")
sample = st.number_input("Preview on the first … rows", 100, 100_000, 5_000, step=1_000, key="prep_sample")
with guard():
    show(engine.recipes.preview(actor, dataset_id, {"steps": steps}, step=shown, sample_rows=int(sample)), shown)

# --- save, run, export ----------------------------------------------------------------------------------------
if can_write and steps:
    st.subheader("Save and run")
    loaded = saved.get(st.session_state.get("prep_loaded") or "")
    name_col, output_col = st.columns(2)
    name = name_col.text_input("Recipe name", loaded.name if loaded else f"prepare {dataset.name}", key="prep_name")
    in_place = (
        output_col.radio(
            "Make",
            ["a new dataset", f"version {dataset.version + 1} of {dataset.name}"],
            horizontal=True,
            key="prep_make",
        )
        != "a new dataset"
    )
    output = "" if in_place else output_col.text_input("New dataset", f"{dataset.name} prepared", key="prep_output")
    save, run = st.columns(2)

    def save_recipe() -> RecipeInfo:
        body = {"steps": steps}
        saved_now = (
            engine.recipes.update(actor, loaded.id, name=name, steps=body)
            if loaded
            else engine.recipes.create(actor, name, dataset_id, body)
        )
        st.session_state["prep_loaded"] = saved_now.id
        return saved_now

    if save.button("Save recipe", key="prep_save", icon=":material/save:"):
        with guard():
            st.success(f"Recipe '{save_recipe().name}' saved with {len(steps)} step(s).")
    if run.button("Run on all rows", key="prep_run", type="primary", icon=":material/play_arrow:"):
        with guard():
            job = engine.recipes.run(actor, save_recipe().id, output, in_place=in_place)
            st.session_state["prep_job"] = job.id
    if st.session_state.get("prep_job"):
        finished = job_panel(engine, actor, st.session_state["prep_job"], key="prep_job_panel")
        if finished and finished.status == JobStatus.SUCCEEDED and finished.result:
            made = engine.datasets.get(actor, finished.result["dataset_id"])
            st.success(f"Dataset '{made.name}': {made.rows:,} rows, {made.status}.", icon=":material/check_circle:")
            if st.button("Train a model on it", key="prep_train", icon=":material/model_training:"):
                st.session_state["train_dataset"] = made.id
                st.switch_page("pages/train.py")
if steps:
    download(
        "Export the recipe (JSON)",
        json.dumps({"name": st.session_state.get("prep_name", "recipe"), "version": 1, "steps": steps}, indent=2),
        f"recipe-{dataset.name}.json",
        key="prep_export",
        mime="application/json",
    )
if can_write:
    with st.expander("Import a recipe (JSON)"):
        upload = st.file_uploader("Recipe file", type=["json"], key="prep_import_file")
        as_name = st.text_input("Save it as (empty: the name in the file)", key="prep_import_name")
        if upload is not None and st.button("Import", key="prep_import", icon=":material/upload:"):
            with guard():
                info = engine.recipes.import_json(actor, upload.getvalue(), dataset_id, as_name.strip() or None)
                st.session_state.update(prep_steps=list(info.steps["steps"]), prep_loaded=info.id)
                renumbered()
