"""The tenant's datasets: list (by status and use), details with the validation report, paged preview, files and
versions, delete."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import DATASET_USAGES, Dataset
from ui.auth import current_actor
from ui.downloads import download, download_csv
from ui.engine import get_engine
from ui.errors import guard
from ui.validation import show_report

PAGE_SIZES = (25, 50, 100, 500)

engine, actor = get_engine(), current_actor()
st.title("Datasets")
if message := st.session_state.pop("datasets_outcome", None):
    st.success(message, icon=":material/check_circle:")

dataset: Dataset | None = None
with guard():
    show, use = st.columns(2)
    only_validated = (
        show.segmented_control("Show", ["All", "Validated only"], default="All", key="datasets_filter")
        == "Validated only"
    )
    usage = use.segmented_control(
        "Used for",
        DATASET_USAGES,
        format_func=str.capitalize,
        key="datasets_usage",
        help="Training or prediction data.",
    )
    datasets = engine.datasets.list(actor, status="validated" if only_validated else None, usage=usage)
    if not datasets:
        st.info("No datasets yet." + (" Add one on the Upload data page." if actor.can("datasets:write") else ""))
        st.stop()
    listing = pd.DataFrame(
        [
            {
                "name": d.name,
                "status": d.status,
                "used for": d.usage,
                "version": d.version,
                "rows": d.rows,
                "columns": len(d.column_types),
                "size (MB)": round(d.size_bytes / 1e6, 3),
                "template": d.template_name or "",
                "owner": d.owner,
                "created (UTC)": d.created_at,
                "source files": d.source_name,
            }
            for d in datasets
        ]
    )
    st.dataframe(listing, hide_index=True, key="datasets_table", placeholder="")
    download_csv(listing, "datasets.csv", key="datasets_csv")

    by_id = {d.id: d for d in datasets}
    if st.session_state.get("dataset_choice") not in by_id:
        st.session_state["dataset_choice"] = datasets[0].id
    chosen = st.selectbox("Dataset", list(by_id), format_func=lambda i: by_id[i].name, key="dataset_choice")
    dataset = by_id[chosen]
if dataset is None:
    st.stop()
st.caption(
    f"**{dataset.name}** · {dataset.status} · from '{dataset.source_name}' · template "
    f"{dataset.template_name or 'none'} · owner {dataset.owner} · {dataset.created_at:%Y-%m-%d %H:%M} UTC"
)
with guard():
    lineage = engine.recipes.lineage(actor, dataset.id)
    if lineage:
        st.caption(f"Made from {lineage.source_name} v{lineage.source_version} by the recipe '{lineage.recipe_name}'.")
if st.button(
    "Fix and prepare",
    key="open_prepare",
    icon=":material/auto_fix_high:",
    help=(
        "Open the Prepare page with the steps this dataset's report and text columns suggest: types, missing "
        "values, bad rows"
    ),
):
    st.switch_page("pages/prepare.py", query_params={"dataset": dataset.id, "fix": "1"})
preview_tab, details_tab, report_tab, files_tab = st.tabs(["Preview", "Columns", "Validation report", "Files"])

with preview_tab, guard():  # a dataset whose file cannot be read can still be deleted below
    if st.session_state.get("preview_for") != dataset.id:  # another dataset: start at its first page
        st.session_state.update(preview_for=dataset.id, preview_columns=dataset.columns, preview_page=1)
    columns = st.multiselect("Columns", dataset.columns, key="preview_columns")
    size_col, page_col = st.columns(2)
    size = size_col.selectbox("Rows per page", PAGE_SIZES, key="preview_size")
    pages = max(1, -(-dataset.rows // size))
    st.session_state["preview_page"] = min(st.session_state.get("preview_page", 1), pages)
    page = page_col.number_input(f"Page (of {pages:,})", 1, pages, key="preview_page")
    frame = engine.datasets.preview(actor, dataset.id, limit=size, offset=(page - 1) * size, columns=columns or None)
    st.dataframe(frame, key="preview_table", placeholder="")
    st.caption(f"Rows {frame.index.min():,}–{frame.index.max():,} of {dataset.rows:,}.")
    this_page, whole = st.columns(2)
    with this_page:
        download_csv(
            frame.reset_index(), f"{dataset.name}-page-{page}.csv", key="preview_csv", label="Download this page (CSV)"
        )
    with whole:
        dataset_id = dataset.id
        download(
            f"Download the whole dataset (CSV, {dataset.rows:,} rows)",
            lambda: engine.datasets.csv(actor, dataset_id),
            f"{dataset.name}.csv",
            "dataset_csv",
            "text/csv",
        )
    if st.button("Statistics of this dataset", key="open_statistics", icon=":material/query_stats:"):
        st.session_state["stats_dataset"] = dataset.id
        st.switch_page("pages/dataset_stats.py")

with details_tab, guard():
    types = pd.DataFrame({"column": list(dataset.column_types), "type": list(dataset.column_types.values())})
    st.dataframe(types, hide_index=True, key="columns_table", placeholder="")
    download_csv(types, f"{dataset.name}-columns.csv", key="columns_csv")

with report_tab, guard():
    show_report(dataset.validation, key="stored_report", filename=f"{dataset.name}-report.csv")

with files_tab, guard():
    parts = engine.dataset_files.list(actor, dataset.id)
    files_listing = pd.DataFrame(
        [
            {
                "file": p.name,
                "rows in the dataset": p.rows,
                "records": p.report.rows,
                "status": p.status,
                "problems": p.report.total_problems,
                "added in version": p.version,
                "added (UTC)": p.created_at,
                "file id": p.file_id,
            }
            for p in parts
        ]
    )
    st.dataframe(files_listing, hide_index=True, key="dataset_files_table", placeholder="")
    download_csv(files_listing, f"{dataset.name}-files.csv", key="dataset_files_csv")
    st.caption("Each file is on the Files page by its id; deleting it there makes a version without its rows.")
    versions = engine.dataset_files.versions(actor, dataset.id)
    st.markdown("**Versions of the dataset**")
    versions_listing = pd.DataFrame(
        [
            {"version": v.version, "rows": v.rows, "change": v.change, "by": v.owner, "at (UTC)": v.created_at}
            for v in versions
        ]
    )
    st.dataframe(versions_listing, hide_index=True, key="dataset_versions_table", placeholder="")
    download_csv(versions_listing, f"{dataset.name}-versions.csv", key="dataset_versions_csv")

if actor.can("datasets:write"):
    with guard(), st.expander("Delete this dataset", icon=":material/delete:"):
        cascade = st.checkbox("Also delete the models trained on it", key="delete_cascade")
        confirm = st.checkbox(f"Yes, delete '{dataset.name}' for good", key="delete_confirm")
        if st.button("Delete dataset", key="delete_dataset", disabled=not confirm, type="primary"):
            engine.datasets.delete(actor, dataset.id, cascade=cascade)
            st.session_state.pop("dataset_choice", None)
            st.session_state["datasets_outcome"] = f"Dataset '{dataset.name}' deleted."
            st.rerun()
