"""Job progress widgets shared by pages that start jobs (progress bar, cancel, outcome)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from core import Actor, Engine, Job, JobStatus
from ui.errors import guard

STATUS_ICONS = {
    JobStatus.QUEUED: "○",
    JobStatus.RUNNING: "▶",
    JobStatus.SUCCEEDED: "✓",
    JobStatus.FAILED: "✗",
    JobStatus.CANCELED: "■",
    JobStatus.INTERRUPTED: "!",
}


def jobs_frame(jobs: list[Job]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "job": j.title or j.kind,
                "status": f"{STATUS_ICONS.get(j.status, '')} {j.status}",
                "progress": j.progress,
                "message": j.error if j.error else j.message,
                "owner": j.owner,
                "created (UTC)": j.created_at,
                "duration": _duration(j),
                "id": j.id,
            }
            for j in jobs
        ],
        columns=["job", "status", "progress", "message", "owner", "created (UTC)", "duration", "id"],
    )


def _duration(job: Job) -> str:
    if job.started_at is None:
        return ""
    end = job.finished_at or pd.Timestamp.utcnow().tz_localize(None).to_pydatetime()
    return str(timedelta(seconds=round((end - job.started_at).total_seconds())))


def job_panel(engine: Engine, actor: Actor, job_id: str, key: str) -> Job | None:
    """Progress bar + cancel for one job; refreshes itself every second while the job runs, and stops once the
    full rerun after its end has happened: a finished panel kept rerunning every second, and after a switch to
    another page its timer still fired for a fragment that no longer existed."""

    done = f"{key}_done"  # the id of the job whose end was rendered: a new job in the same panel refreshes again

    @st.fragment(run_every=None if st.session_state.get(done) == job_id else 1.0)
    def _panel() -> None:
        with guard():
            job = engine.jobs.get(actor, job_id)
            st.session_state[f"{key}_job"] = job
            label = f"{STATUS_ICONS.get(job.status, '')} {job.title}: {job.message or job.status}"
            if not job.finished:
                st.progress(job.progress, text=label)
                if st.button("Cancel", key=f"{key}_cancel", icon=":material/stop:"):
                    engine.jobs.cancel(actor, job_id)
                    st.rerun(scope="fragment")
                return
            if job.status == JobStatus.SUCCEEDED:
                st.success(f"{job.title}: finished.")
            elif job.status == JobStatus.CANCELED:  # what the user asked for, not an error
                st.info(f"{job.title}: cancelled.", icon=":material/stop_circle:")
            else:
                st.error(f"{job.title}: {job.status}. {job.error or ''}")
                if job.error_details:
                    with st.expander("Details"):
                        st.code(job.error_details, language=None)
            if st.session_state.get(done) != job_id:
                st.session_state[done] = job_id
                st.rerun()  # let the page render the finished result once

    _panel()
    return st.session_state.get(f"{key}_job")
