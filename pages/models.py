"""Trained models: versions per predictor; the summary of one version (metrics, plots, leaderboard, facts,
lineage), its feature importance, continuing it with new data, downloads and delete."""

from __future__ import annotations

import streamlit as st

from core import JobStatus, Model, TrainRequest
from ui.auth import current_actor
from ui.downloads import download, download_csv
from ui.engine import get_engine
from ui.errors import guard
from ui.jobs import job_panel
from ui.model_views import (
    facts_and_lineage,
    importance_view,
    inputs_table,
    metrics_row,
    overview,
    summary_view,
)

engine, actor = get_engine(), current_actor()
st.title("Models")
ALL = "(every domain)"


def open_latest(models: list[Model]) -> None:
    """A predictor chosen in the box opens its newest version (the list is newest first)."""
    st.query_params["model"] = next(m.id for m in models if m.name == st.session_state["models_name"])


def open_version() -> None:
    st.query_params["model"] = st.session_state["models_version"]


def continue_view(model: Model) -> None:
    """A new version trained on this version's data plus a new dataset with the same columns."""
    needed = {*model.feature_names, model.target}
    usable = [d for d in engine.datasets.list(actor, status="validated") if needed <= set(d.column_types)]
    if not usable:
        st.info(f"No validated dataset has all the columns of {model.label} ({', '.join(sorted(needed))}).")
        return
    by_id = {d.id: d for d in usable}
    train, held_out = model.details.train_rows, model.details.holdout_rows
    st.caption(
        f"The new version learns from the {train + held_out:,} rows of {model.label}'s data ({train:,} it trained on "
        f"and {held_out:,} it was tested on) plus the rows of the dataset you choose, with the same target and "
        "feature columns."
    )
    with st.form("models_continue_form"):
        dataset_id = st.selectbox(
            "New data",
            list(by_id),
            key="models_continue_dataset",
            format_func=lambda i: f"{by_id[i].name} · {by_id[i].rows:,} rows",
        )
        budget = st.number_input(
            "Time budget (seconds)", min_value=2, max_value=3600, value=60, step=5, key="models_continue_budget"
        )
        submitted = st.form_submit_button("Train a new version", type="primary", icon=":material/add:")
    if submitted:
        request = TrainRequest(
            dataset_id=dataset_id,
            name=model.name,
            target=model.target,
            problem_type=model.problem_type,
            features=tuple(model.feature_names),
            id_column=model.schema.id_column if model.schema else None,
            time_budget_s=float(budget),
            explain=model.details.importance is not None,
            parent_model_id=model.id,
        )
        st.session_state["models_continue_job"] = engine.training.submit(actor, request).id
    job_id = st.session_state.get("models_continue_job")
    job = job_panel(engine, actor, job_id, key=f"continue_{job_id[:8]}") if job_id else None
    if (
        job
        and job.status == JobStatus.SUCCEEDED
        and job.result
        and st.button("Open the new version", key="models_open_new")
    ):
        st.query_params["model"] = job.result["model_id"]
        st.rerun()


def forecast_summary_view(model: Model) -> None:
    """Cross-validation errors and facts; the leaderboard, per-series choices and plots are one click away."""
    summary = engine.models.summary(actor, model.id)
    metrics_row(summary)
    st.caption(
        f"Mean over the {model.details.series} series of the chosen models' cross-validation "
        "errors. To retrain on newer data, train a new version on the Train page with the same name."
    )
    if st.button(
        "Open its leaderboard, per-series choices and forecasts", key="models_open_forecast", icon=":material/timeline:"
    ):
        st.switch_page("pages/forecast.py", query_params={"model": model.id})
    facts_and_lineage(summary)


def files_view(model: Model) -> None:
    inputs = inputs_table(model)
    if not inputs.empty:
        st.subheader("Model inputs")
        st.caption(f"What {model.label} expects to predict {model.target}; the schema JSON holds the same.")
        st.dataframe(inputs, hide_index=True, key="models_inputs", placeholder="")
        download_csv(inputs, f"{model.name}-v{model.version}-inputs.csv", key="models_inputs_csv")
    download(
        "Download the model schema (JSON)",
        engine.models.schema_json(actor, model.id),
        f"{model.name}-v{model.version}-schema.json",
        key="models_schema_json",
        mime="application/json",
        icon=":material/data_object:",
        help="Features with types and allowed categories, target and classes.",
    )
    if actor.can("models:download") and model.file_id:
        # A callable: the file is read (and its download audited) only when the button is clicked, not per render;
        # no rerun after the click, which would replace the deferred file and fail a second click (ui/downloads).
        download(
            "Download the model file (skops)",
            lambda: engine.models.download(actor, model.id),
            f"{model.name}-v{model.version}.skops",
            key="models_download",
            help=(
                "A scikit-learn pipeline that needs scikit-learn, skops and pandas (plus lightgbm / xgboost-cpu "
                "when the leaderboard's chosen model has LightGBM / XGBoost members): load it with "
                "skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path)) after checking the list. "
                "It expects the model inputs with numbers as numbers, booleans as 0/1 and each date column as "
                "<name>__year, __month, __day, __dayofweek and __hour."
            ),
        )
    if actor.can("models:train"):
        st.divider()
        details_form(model)
        sure = st.checkbox(f"Yes, delete {model.label} and its files", key="models_delete_sure")
        if st.button("Delete this version", key="models_delete", disabled=not sure, icon=":material/delete:"):
            engine.models.delete(actor, model.id)
            st.rerun()


def details_form(model: Model) -> None:
    """Rename the predictor (every version) and label this version."""
    with st.form("models_details_form"):
        name = st.text_input("Predictor name (every version)", model.name, key=f"models_edit_name_{model.id}")
        domain = st.text_input(
            "Domain", model.domain, key=f"models_edit_domain_{model.id}", placeholder="Churn, Fraud …"
        )
        description = st.text_area("Description", model.description, key=f"models_edit_description_{model.id}")
        saved = st.form_submit_button("Save", icon=":material/save:")
    if saved:
        with guard():
            engine.models.update(actor, model.id, name=name, domain=domain, description=description)
            st.rerun()


with guard():
    every = engine.models.list(actor)
    if not every:
        st.info("No model yet." + (" Train one on the Train page." if actor.can("models:train") else ""))
        st.stop()
    domains = sorted({m.domain for m in every if m.domain}, key=str.casefold)
    chosen = st.selectbox("Domain", [ALL, *domains], key="models_domain") if domains else ALL
    models = every if chosen == ALL else engine.models.list(actor, domain=chosen)
    table = overview(models)
    st.dataframe(table, hide_index=True, key="models_table", placeholder="")
    download_csv(table, "models.csv", key="models_csv")

    by_id = {m.id: m for m in models}
    if st.query_params.get("model") not in by_id:  # no model in the URL, or it was deleted: the first one
        st.query_params["model"] = models[0].id
    shown = by_id[st.query_params["model"]]  # the URL says which model: links, reloads and bookmarks open it
    names = list(dict.fromkeys(m.name for m in models))
    st.session_state.update(models_name=shown.name, models_version=shown.id)
    pick, version, refresh = st.columns([3, 3, 1], vertical_alignment="bottom")
    name = pick.selectbox("Predictor", names, key="models_name", on_change=open_latest, args=(models,))
    versions = {m.id: m for m in models if m.name == name}
    model_id = version.selectbox(
        "Version",
        list(versions),
        key="models_version",
        on_change=open_version,
        format_func=lambda i: (
            f"v{versions[i].version} · {versions[i].created_at:%Y-%m-%d %H:%M} · {versions[i].status}"
        ),
    )
    if refresh.button("Refresh", key="models_refresh", icon=":material/refresh:"):
        st.rerun()
    model = versions[model_id]
    st.subheader(f"{model.label} — {model.problem_type} of {model.target}")
    if model.domain or model.description:
        st.caption(" · ".join(filter(None, [model.domain and f"Domain: {model.domain}", model.description])))
    # Only the open tab runs (switching tabs reruns the page): drawing every tab's charts and tables on each visit
    # made this the slowest page.
    if model.problem_type == "forecast":  # its leaderboard and plots live on the Forecast page
        summary_tab, files_tab = st.tabs(["Summary", "Schema, files & delete"], key="models_fc_tab", on_change="rerun")
        if summary_tab.open:
            with summary_tab, guard():
                forecast_summary_view(model)
        if files_tab.open:
            with files_tab, guard():
                files_view(model)
        st.stop()
    tabs = ["Summary", "Feature importance", "Continue with new data", "Schema, files & delete"]
    summary_tab, importance_tab, continue_tab, files_tab = st.tabs(tabs, key="models_tab", on_change="rerun")
    if summary_tab.open or importance_tab.open:
        summary = engine.models.summary(actor, model.id)
        if summary_tab.open:
            with summary_tab, guard():
                summary_view(engine, actor, summary)
        if importance_tab.open:
            with importance_tab, guard():
                importance_view(engine, actor, model, summary.importance)
    if continue_tab.open:
        with continue_tab, guard():
            if actor.can("models:train"):
                continue_view(model)
            else:
                st.info("Your role cannot train models.")
    if files_tab.open:
        with files_tab, guard():
            files_view(model)
