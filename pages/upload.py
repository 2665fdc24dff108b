"""Upload a CSV, Excel or Parquet file: check it (optionally against a template), read the report, then decide."""

from __future__ import annotations

from pathlib import PurePath

import streamlit as st

from core import DATASET_USAGES
from ui.auth import current_actor
from ui.engine import get_engine
from ui.errors import guard
from ui.validation import show_report

CHOICES = {
    "keep_valid": "Keep valid rows (drop the rows with problems)",
    "keep": "Keep all rows (cells with problems become empty)",
    "reject": "Reject the file (store nothing)",
}
NO_TEMPLATE = ""

engine, actor = get_engine(), current_actor()
st.title("Upload data")
st.caption(
    f"CSV (any delimiter; UTF-8 or Latin-1), Excel .xlsx or Parquet, up to {engine.settings.max_upload_mb} MB. "
    "The file is checked first; nothing is stored until you decide."
)
if not actor.can("datasets:write"):
    st.info("Your role can see datasets but not upload them.")
    st.stop()

generation = st.session_state.setdefault("upload_generation", 0)  # bumped to clear the uploader after storing
if message := st.session_state.pop("upload_outcome", None):
    st.success(message, icon=":material/check_circle:")

with guard():
    templates = {t.id: t.name for t in engine.templates.list(actor)} if actor.can("templates:read") else {}
    uploaded = st.file_uploader(
        "Data file",
        type=["csv", "tsv", "txt", "xlsx", "xlsm", "parquet", "pq"],
        key=f"upload_file_{generation}",
        max_upload_size=engine.settings.max_upload_mb,
    )
    template_id = st.selectbox(
        "Template",
        [NO_TEMPLATE, *templates],
        format_func=lambda t: templates.get(t, "No template (types inferred)"),
        key="upload_template",
        help="Columns, types and defaults the file must follow.",
    )
    if uploaded is None:
        st.stop()
    data = uploaded.getvalue()
    sheets = engine.datasets.sheets(actor, uploaded.name, data)
    sheet = st.selectbox("Sheet", sheets, key="upload_sheet") if len(sheets) > 1 else None
    name = st.text_input("Dataset name", value=PurePath(uploaded.name).stem, max_chars=100, key="upload_name")
    usage = st.radio(
        "Used for",
        DATASET_USAGES,
        format_func=str.capitalize,
        horizontal=True,
        key="upload_usage",
        help="Training data teaches models; prediction data is scored by them. Datasets can be filtered by it.",
    )

    signature = (uploaded.file_id, template_id, sheet)
    if st.session_state.get("upload_checked_for") != signature:
        with st.spinner("Checking the file…"):
            st.session_state["upload_report"] = engine.datasets.check(
                actor, uploaded.name, data, template_id=template_id or None, sheet=sheet
            )
        st.session_state["upload_checked_for"] = signature
    report = st.session_state["upload_report"]

    st.subheader("Validation report")
    show_report(report, key="upload_report", filename=f"{PurePath(uploaded.name).stem}-report.csv")

    choice = "keep"
    if not report.ok:
        choices = list(CHOICES) if report.usable_rows else ["reject", "keep"]  # no valid row to keep
        if st.session_state.get("upload_choice") not in choices:
            st.session_state.pop("upload_choice", None)
        choice = st.radio("What should happen to this file?", choices, format_func=CHOICES.get, key="upload_choice")
    label = "Reject the file" if choice == "reject" else "Store the dataset"
    if st.button(label, type="primary", key="upload_store", icon=":material/save:"):
        if choice == "reject":
            st.session_state["upload_outcome"] = f"'{uploaded.name}' was rejected; nothing was stored."
        else:
            with st.spinner("Storing…"):
                dataset = engine.datasets.upload(
                    actor,
                    name=name,
                    filename=uploaded.name,
                    data=data,
                    template_id=template_id or None,
                    sheet=sheet,
                    on_problems=choice,
                    usage=usage,
                )
            st.session_state["upload_outcome"] = (
                f"Dataset '{dataset.name}' stored: {dataset.rows:,} rows, status {dataset.status}. "
                "Open it on the Datasets page."
            )
            st.session_state["dataset_choice"] = dataset.id
        st.session_state["upload_generation"] = generation + 1
        st.session_state.pop("upload_checked_for", None)
        st.rerun()
