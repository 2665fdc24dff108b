"""Score a whole dataset or file with a model: a job with progress and cancel, then a preview, a summary and
the CSV (input columns + prediction + probability per class), kept as a file of the tenant."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import MAX_REASONS, JobStatus
from ui import inference_charts as charts
from ui.auth import current_actor
from ui.downloads import download, download_csv
from ui.engine import get_engine
from ui.errors import guard
from ui.jobs import job_panel
from ui.model_views import choose_tabular_model
from ui.numbers import byte_size

PREVIEW_ROWS = 200
SOURCES = ["A dataset", "A file"]

engine, actor = get_engine(), current_actor()
st.title("Batch predictions")
st.caption(
    "Score every row of a validated dataset or of a CSV, Excel or Parquet file. The file is checked "
    "against the model's columns first; results are kept in Files."
)


def show_result(job_id: str, result: dict, target: str) -> None:
    for warning in result.get("warnings", []):
        st.warning(warning, icon=":material/warning:")
    if problems := result.get("problems"):
        st.warning(
            f"{len(problems):,} value(s) had the wrong type or were not finite numbers; they were scored as missing.",
            icon=":material/warning:",
        )
        with st.expander("Values scored as missing"):
            frame = pd.DataFrame(problems).dropna(axis=1, how="all")
            st.dataframe(frame, hide_index=True, key="batch_problems", placeholder="")
            download_csv(frame, "wrong-types.csv", key="batch_problems_csv")
    summary = result.get("summary", {})
    chart, numbers = st.columns([3, 1])
    numbers.metric("Rows scored", f"{result['rows']:,}")
    if summary.get("kind") == "classes":
        chart.plotly_chart(charts.class_counts(summary["counts"], title=f"Predicted {target}"), key="batch_summary")
    elif summary.get("bins"):
        numbers.metric("Mean prediction", f"{summary['mean']:,.4g}")
        chart.plotly_chart(
            charts.value_histogram(summary["bins"], title=f"Predicted {target}", x_title=target), key="batch_summary"
        )
    info = engine.files.get(actor, result["file_id"])
    size = byte_size(info.size)
    download(
        f"Download {info.name} ({size})",
        lambda: engine.files.download(actor, info.id),
        info.name,
        key="batch_download",
        mime="text/csv",
        type="primary",
    )
    st.subheader("Preview")
    preview = engine.inference.batch_result(actor, job_id, limit=PREVIEW_ROWS)
    preview.index = pd.RangeIndex(1, len(preview) + 1, name="row")
    st.dataframe(preview, key="batch_preview", placeholder="")
    st.caption(f"The first {min(PREVIEW_ROWS, result['rows']):,} of {result['rows']:,} rows.")


with guard():
    model = choose_tabular_model(engine, actor, key="batch_model")
    source = st.segmented_control("Rows to score", SOURCES, default=SOURCES[0], key="batch_source")
    dataset_id, upload = None, None
    if source == "A file":
        upload = st.file_uploader(
            "File to score", type=["csv", "tsv", "txt", "xlsx", "xlsm", "parquet", "pq"], key="batch_upload"
        )
    else:
        datasets = {d.id: d for d in engine.datasets.list(actor, status="validated")}
        dataset_id = st.selectbox(
            "Dataset",
            list(datasets),
            key="batch_dataset",
            index=None,
            placeholder="Choose a validated dataset",
            format_func=lambda i: f"{datasets[i].name} ({datasets[i].rows:,} rows)",
        )
    limit = engine.settings.explain_max_rows
    reasons = st.checkbox(
        f"Add the top {MAX_REASONS} reasons per row (files up to {limit:,} rows)",
        key="batch_reasons",
        help="The columns that pushed each row's prediction most (SHAP).",
    )
    if st.button(
        "Score",
        type="primary",
        key="batch_submit",
        icon=":material/play_arrow:",
        disabled=dataset_id is None and upload is None,
    ):
        with st.spinner("Checking the input…"):
            submitted = engine.inference.predict_batch(
                actor,
                model.id,
                dataset_id=dataset_id,
                data=upload.getvalue() if upload else None,
                filename=upload.name if upload else None,
                explain_top=MAX_REASONS if reasons else 0,
            )
        st.session_state["batch_submitted"] = (submitted.id, model.target)

    if "batch_submitted" in st.session_state:
        job_id, target = st.session_state["batch_submitted"]
        finished = job_panel(engine, actor, job_id, key="batch")
        if finished is not None and finished.status == JobStatus.SUCCEEDED and finished.result:
            show_result(job_id, finished.result, target)
