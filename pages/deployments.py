"""Deployments: a registry version (or whatever an alias points at) served here; status, stop and start, a
"try it" form with the SHAP explanation, and the operations log with its latency."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core import Deployment
from ui.auth import current_actor
from ui.downloads import download_csv
from ui.engine import get_engine
from ui.errors import guard
from ui.inference_charts import contribution_bars
from ui.registry_views import deployments_frame, latency_figure, operations_frame

engine, actor = get_engine(), current_actor()
can_manage = actor.can("deployments:manage")
st.title("Deployments")
st.caption("Deployments are served by this server; placement is kept as a note for where they should run.")


def create_form() -> None:
    models = [
        m for m in engine.registry.list(actor, limit=1000) if m.versions and m.kind in ("classification", "regression")
    ]
    if not models:
        st.info("No registered classification or regression model has a version yet.")
        return
    by_id = {m.id: m for m in models}
    with st.expander("Deploy a model", icon=":material/rocket_launch:"), st.form("deploy_form"):
        model_id = st.selectbox("Model", list(by_id), format_func=lambda i: by_id[i].name, key="deploy_model")
        follow = st.text_input(
            "Follow an alias (champion, latest, …); empty: pin the newest version", key="deploy_alias"
        )
        left, middle, right = st.columns(3)
        owner = left.text_input("Owner", value=actor.username, key="deploy_owner")
        cluster = middle.text_input("Cluster", value="*", key="deploy_cluster")
        node = right.text_input("Node", value="*", key="deploy_node")
        name = st.text_input("Name", key="deploy_name")
        keep = st.checkbox("Keep the inputs of each call (drift needs them)", value=True, key="deploy_keep")
        if st.form_submit_button("Deploy", type="primary"):
            with guard():
                deployment = engine.deployments.create(
                    actor,
                    model_id,
                    alias=follow.strip() or None,
                    owner=owner,
                    name=name,
                    placement={"clusterID": cluster, "node": node},
                    inference_data=keep,
                )
                st.query_params["deployment"] = deployment.id
                for key in ("deploy_alias", "deploy_name"):  # a second click would deploy the same model twice
                    del st.session_state[key]
                st.toast(f"Deployed {deployment.name or deployment.id[:8]}.")
                st.rerun()


def controls(deployment: Deployment) -> None:
    colour = {"running": "green", "stopped": "gray", "failed": "red"}.get(deployment.status, "orange")
    serving = f"v{deployment.version}" if deployment.version else "nothing"
    st.markdown(
        f"**{deployment.name or deployment.id}** · :{colour}[{deployment.status}] · serves {deployment.model_name} "
        f"{serving}" + (f" (follows **{deployment.alias}**)" if deployment.alias else " (pinned)")
    )
    if deployment.reason:
        st.caption(deployment.reason)
    if not can_manage:
        return
    stop, start, delete = st.columns(3)
    if deployment.status == "running" and stop.button("Stop", key="deploy_stop", icon=":material/stop:"):
        engine.deployments.stop(actor, deployment.id)
        st.rerun()
    if deployment.status != "running" and start.button("Start", key="deploy_start", icon=":material/play_arrow:"):
        engine.deployments.start(actor, deployment.id)
        st.rerun()
    if delete.button("Delete", key="deploy_delete", icon=":material/delete:"):
        engine.deployments.delete(actor, deployment.id)
        st.query_params.pop("deployment", None)
        st.rerun()


def starting_row(deployment: Deployment) -> dict[str, Any]:
    """The form's first row: training medians and modes of a model trained here, else zeros."""
    if deployment.version_id is None:
        return {}
    version = engine.registry.version(actor, deployment.version_id)
    if version.origin == "trained":
        return {f.name: f.default for f in engine.inference.form_fields(actor, version.id)}
    return dict.fromkeys(version.features, 0.0)


def try_it(deployment: Deployment) -> None:
    st.subheader("Try it")
    if not actor.can("inference:run"):
        st.info("Your role cannot run predictions; an analyst or an administrator can try this deployment.")
        return
    if deployment.status != "running":
        st.info("Start the deployment to try it.")
        return
    rows = st.data_editor(pd.DataFrame([starting_row(deployment)]), num_rows="dynamic", key="deploy_rows")
    explain = st.checkbox("Explain (SHAP)", value=True, key="deploy_explain")
    if st.button("Predict", type="primary", key="deploy_predict", icon=":material/online_prediction:"):
        with guard():
            records = rows.to_dict("records")
            st.session_state["deploy_served"] = engine.deployments.predict(actor, deployment.id, records, explain)
            st.rerun()  # the table above and the log below count this call
    served = st.session_state.get("deploy_served")
    if served is None or served.deployment_id != deployment.id:
        return
    answer = ", ".join(str(p) for p in served.prediction)  # one value per row, not a Python list
    st.write(f"**Prediction** ({served.model_label}, {served.latency_ms:.0f} ms): {answer}")
    for warning in served.warnings:
        st.warning(warning, icon=":material/warning:")
    if served.explanation:
        values = served.explanation["feature_importance"]
        first = values if not values or not isinstance(values[0], list) else values[0]
        contributions = dict(zip(served.explanation["features"], first, strict=True))
        st.plotly_chart(
            contribution_bars(contributions, title="Why (first row)", x_title="SHAP value"), key="deploy_shap"
        )


def operations_view(deployment: Deployment) -> None:
    st.subheader("Operations")
    frame = operations_frame(engine.deployments.operations(actor, deployment.id, limit=1000))
    if frame.empty:
        st.info("No calls yet.")
        return
    st.plotly_chart(latency_figure(frame), key="deploy_latency")
    st.dataframe(frame, hide_index=True, key="deploy_operations", placeholder="")
    download_csv(frame, f"operations-{deployment.name or deployment.id}.csv", key="deploy_operations_csv")


with guard():
    if can_manage:
        create_form()
    deployments = engine.deployments.list(actor, limit=1000)
    if not deployments:
        st.info("No deployment yet.")
        st.stop()
    table = deployments_frame(deployments)
    st.dataframe(table, hide_index=True, key="deploy_table", placeholder="")
    download_csv(table, "deployments.csv", key="deploy_table_csv")
    by_id = {d.id: d for d in deployments}
    wanted = st.query_params.get("deployment")
    chosen = st.selectbox(
        "Deployment",
        list(by_id),
        index=list(by_id).index(wanted) if wanted in by_id else 0,
        format_func=lambda i: f"{by_id[i].name or i[:8]} · {by_id[i].model_name}",
        key="deploy_choice",
    )
    deployment = engine.deployments.get(actor, chosen)
    controls(deployment)
    try_it(deployment)
    operations_view(deployment)
