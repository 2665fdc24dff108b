"""The tenant's jobs: progress that refreshes by itself, cancel, error details."""

from __future__ import annotations

import streamlit as st

from ui.auth import current_actor
from ui.downloads import download_csv
from ui.engine import get_engine
from ui.errors import guard
from ui.jobs import jobs_frame

engine, actor = get_engine(), current_actor()
st.title("Jobs")
st.caption("Training, batch predictions, explanations and analyses run here, off the page.")


@st.fragment(run_every=2.0)
def job_table() -> None:
    with guard():
        jobs = engine.jobs.list(actor)
        if not jobs:
            st.info("No jobs yet. Training a model or scoring a file starts one.")
            return
        frame = jobs_frame(jobs)
        st.dataframe(
            frame.drop(columns=["id"]),
            hide_index=True,
            column_config={"progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0)},
            key="jobs_table",
            placeholder="",
        )
        download_csv(frame, "jobs.csv", key="jobs_csv")
        labels = {j.id: f"{j.title} · {j.status} · {j.created_at:%Y-%m-%d %H:%M:%S}" for j in jobs}
        chosen = st.selectbox("Job details", list(labels), format_func=labels.__getitem__, key="job_choice")
        job = next(j for j in jobs if j.id == chosen)
        said = job.message if not job.finished else (job.error or job.message)  # not a cancelled job's last step
        st.write(f"**{job.title}** ({job.kind}) · owner {job.owner} · status **{job.status}** · {said}")
        if job.ray_task_id:
            dashboard = engine.settings.ray_dashboard_url
            link = f" · [Ray dashboard]({dashboard}/#/jobs/{job.ray_job_id})" if dashboard else ""
            st.caption(f"Ray task `{job.ray_task_id}` of Ray job `{job.ray_job_id}`{link}")
        if job.error:
            st.error(job.error)
            if job.error_details:
                with st.expander("Error details"):
                    st.code(job.error_details, language=None)
        if job.result:
            st.json(job.result, expanded=False)
        if not job.finished and st.button("Cancel this job", key="job_cancel", icon=":material/stop:"):
            engine.jobs.cancel(actor, job.id)
            st.toast("Cancelled.")


job_table()
