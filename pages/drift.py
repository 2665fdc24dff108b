"""Drift: a deployment's recent inputs (or an uploaded file) against the model's reference, per column (statistic,
threshold, drifted or not, reference and current distributions overlaid), and the checks over time."""

from __future__ import annotations

import streamlit as st

from core import DriftCheck
from ui.auth import current_actor
from ui.downloads import download_csv
from ui.engine import get_engine
from ui.errors import guard
from ui.jobs import job_panel
from ui.registry_views import drift_over_time, drift_table, overlay_figure

engine, actor = get_engine(), current_actor()
st.title("Drift")
st.caption(
    "Small samples are judged by tests (KS, chi-squared at p < 0.05), large ones by distances (Wasserstein, "
    "Jensen–Shannon ≥ 0.1): at 100,000 rows a p-value flags shifts nobody should act on."
)


def run_form(deployment_id: str | None, model_id: str) -> None:
    if not actor.can("inference:run"):
        return
    with st.form("drift_run", clear_on_submit=True):
        upload = st.file_uploader(
            "Compare a file (CSV, Excel, Parquet); empty: the deployment's recent inputs", key="drift_file"
        )
        if st.form_submit_button("Run a drift check", type="primary", icon=":material/compare_arrows:"):
            st.session_state.pop("drift_job", None)  # a refused file shows its own message, not the last check's
            with guard():
                job = engine.drift.check(
                    actor,
                    deployment_id=deployment_id,  # a file checked for a deployment is listed with its checks
                    model_id=None if deployment_id else model_id,
                    filename=upload.name if upload else None,
                    data=upload.getvalue() if upload else None,
                )
                st.session_state["drift_job"] = job.id
    if st.session_state.get("drift_job"):
        job_panel(engine, actor, st.session_state["drift_job"], key="drift_job_panel")


def check_view(check: DriftCheck) -> None:
    verdict = "the data drifted" if check.drifted else "the data as a whole did not drift"
    share = check.rule.get("share")
    st.markdown(
        f"**{check.model_label}** · {check.current_rows:,} current rows ({check.source}) vs {check.reference_rows:,} "
        f"({check.reference}) · **{verdict}**: {check.drifted_share:.0%} of columns drifted"
        + (f", the data counts as drifted from {share:.0%}" if share is not None else "")
    )
    if check.drifted_columns:
        st.error(f"Drifted: {', '.join(check.drifted_columns)}", icon=":material/warning:")
    st.dataframe(drift_table(check), hide_index=True, key="drift_columns")
    download_csv(check.frame(), f"drift-{check.model_label}-{check.created_at:%Y%m%d-%H%M%S}.csv", key="drift_csv")
    shown = [c for c in check.columns if c.get("histogram")]
    if shown:
        names = [str(c["column"]) for c in shown]
        default = names.index(check.drifted_columns[0]) if check.drifted_columns else 0
        column = st.selectbox("Column", names, index=default, key="drift_column")
        histogram = next(c["histogram"] for c in shown if c["column"] == column)
        st.plotly_chart(overlay_figure(histogram, column), key="drift_overlay")


with guard():
    models = [m for m in engine.registry.list(actor, limit=1000) if m.reference]
    deployments = engine.deployments.list(actor, limit=1000) if actor.can("deployments:read") else []
    if not models:
        st.info("No model has a reference yet: train one, or upload a registered model's training data.")
        st.stop()
    targets = {f"deployment:{d.id}": f"{d.name or d.id[:8]} · {d.model_name} (deployment)" for d in deployments}
    targets |= {f"model:{m.id}": f"{m.name} (model)" for m in models}
    chosen = st.selectbox("Watch", list(targets), format_func=targets.__getitem__, key="drift_target")
    kind, _, target_id = chosen.partition(":")
    deployment = next((d for d in deployments if d.id == target_id), None)
    model_id = deployment.model_id if deployment else target_id
    run_form(deployment.id if deployment else None, model_id)
    checks = engine.drift.checks(
        actor, model_id=None if deployment else model_id, deployment_id=deployment.id if deployment else None
    )
    if not checks:
        st.info("No drift check yet.")
        st.stop()
    st.plotly_chart(drift_over_time(checks), key="drift_time")
    labels = {
        c.id: f"{c.created_at:%Y-%m-%d %H:%M:%S} · {c.source} · {len(c.drifted_columns)} column(s) drifted"
        for c in checks
    }
    check_id = st.selectbox("Check", list(labels), format_func=labels.__getitem__, key="drift_check")
    check_view(next(c for c in checks if c.id == check_id))
