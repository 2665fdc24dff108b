"""Versions of the app and its libraries; database, file store and job-runner health."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.auth import current_actor
from ui.engine import get_engine
from ui.errors import guard
from ui.jobs import job_panel

engine, actor = get_engine(), current_actor()
st.title("About & health")
with guard():
    status = engine.health.status(actor)
    db, store, jobs = status["database"], status["file_store"], status["jobs"]
    a, b, c = st.columns(3)
    a.metric("Database", "OK" if db["ok"] else "failing", help=db.get("url"))
    usage = f"{store['files']} files, {store['bytes'] / 1e6:.1f} MB" if "files" in store else None
    b.metric("File store", "OK" if store["ok"] else "failing", usage)
    c.metric("Job runner", jobs["runner"], f"{jobs['max_parallel']} job(s) at once", delta_color="off")
    if not db["ok"]:
        st.error(f"Database error: {db.get('error')}")
    st.subheader("Versions")
    versions = pd.DataFrame(sorted(status["versions"].items()), columns=["component", "version"])
    st.dataframe(versions, hide_index=True, key="versions_table", placeholder="")
    st.caption(f"Uploads are limited to {status['limits']['max_upload_mb']} MB.")

    if actor.can("attribution:read"):
        st.subheader("Sample attribution")
        attribution = engine.attribution.versions(actor)
        st.dataframe(
            pd.DataFrame(sorted(attribution["models"].items()), columns=["model", "version"]),
            hide_index=True,
            key="attribution_versions_table",
            placeholder="",
        )
        revision = attribution["library_revision"]
        st.caption(
            f"Reference library revision: {revision}."
            if revision
            else "The reference library has no index yet (Reference library page)."
        )

    st.subheader("Job runner self-test")
    if st.button("Run a self-test job", key="selftest"):
        st.session_state["selftest_job"] = engine.jobs.selftest(actor, steps=5).id
    if st.session_state.get("selftest_job"):
        job_panel(engine, actor, st.session_state["selftest_job"], key="selftest_panel")
