"""Statistics of a dataset: the per-column profile, a chart per column, correlations of numeric columns.

Each section has its own guard, so a column whose chart fails does not hide the profile or the correlations."""

from __future__ import annotations

import streamlit as st

from core import Dataset
from ui import charts
from ui.auth import current_actor
from ui.downloads import download_csv
from ui.engine import get_engine
from ui.errors import guard
from ui.jobs import job_panel

HISTOGRAM_TYPES = ("integer", "float", "date", "datetime")
NUMERIC_TYPES = ("integer", "float")

engine, actor = get_engine(), current_actor()
st.title("Statistics")

dataset: Dataset | None = None
with guard():
    datasets = {d.id: d for d in engine.datasets.list(actor)}
    if not datasets:
        st.info("No datasets yet: statistics appear once a dataset is stored.")
        st.stop()
    if st.session_state.get("stats_dataset") not in datasets:
        st.session_state["stats_dataset"] = next(iter(datasets))
    chosen = st.selectbox("Dataset", list(datasets), format_func=lambda i: datasets[i].name, key="stats_dataset")
    dataset = datasets[chosen]
if dataset is None:
    st.stop()
st.caption(f"{dataset.rows:,} rows × {len(dataset.column_types):,} columns · status {dataset.status}")

st.subheader("Profile")
with guard():
    if st.button(
        "Regenerate",
        key="stats_refresh",
        icon=":material/refresh:",
        help="Statistics are computed once and kept; regenerate recomputes them from the data, as a job.",
    ):
        job = engine.datasets.generate_statistics(actor, dataset.id)
        st.session_state.update(stats_regen_id=job.id, stats_regen_for=dataset.id, stats_regen_done=False)
    if st.session_state.get("stats_regen_for") == dataset.id:
        job_panel(engine, actor, st.session_state["stats_regen_id"], key="stats_regen")
    with st.spinner("Computing statistics…"):
        profile = engine.datasets.statistics(actor, dataset.id)
    st.dataframe(
        profile,
        hide_index=True,
        key="stats_profile",
        placeholder="–",
        column_config={
            "column": st.column_config.TextColumn("column", pinned=True),
            **{c: st.column_config.NumberColumn(c, format="%.4g") for c in ("mean", "std", "q25", "q50", "q75")},
        },
    )
    download_csv(profile, f"{dataset.name}-statistics.csv", key="stats_csv")

st.subheader("Distribution of a column")
with guard():
    if st.session_state.get("stats_column") not in dataset.columns:
        st.session_state["stats_column"] = dataset.columns[0]
    column = st.selectbox("Column", dataset.columns, key="stats_column")
    kind = dataset.column_types[column]
    if kind in HISTOGRAM_TYPES:
        bins = st.slider("Bins", 5, 100, 30, key="stats_bins")
        counts = engine.datasets.histogram(actor, dataset.id, column, bins=bins)
        figure = charts.histogram(counts, title=f"Histogram of {column}", x_title=column)
        if infinite := counts.attrs.get("infinite"):
            st.caption(f"{infinite:,} infinite value(s) are left out of the histogram.")
    else:
        counts = engine.datasets.value_counts(actor, dataset.id, column, top=20)
        figure = charts.bar(
            counts,
            x="value",
            y="count",
            title=f"Most frequent values of {column} (top 20)",
            horizontal=True,
            x_title=column,
            y_title="rows",
        )
    st.plotly_chart(figure, key="stats_distribution")

st.subheader("Correlations")
with guard():
    numeric = [c for c, t in dataset.column_types.items() if t in NUMERIC_TYPES]
    if len(numeric) < 2:
        st.info("Correlations need at least two numeric columns.")
    else:
        matrix = engine.datasets.correlation(actor, dataset.id)
        st.plotly_chart(
            charts.heatmap(matrix, title="Pearson correlation of the numeric columns"), key="stats_correlation"
        )
        download_csv(matrix.reset_index(names="column"), f"{dataset.name}-correlation.csv", key="stats_corr_csv")
