"""Landing page: what the user can do here, and their recent jobs."""

from __future__ import annotations

import streamlit as st

from ui.auth import current_actor
from ui.engine import get_engine
from ui.errors import guard

engine, actor = get_engine(), current_actor()

st.title("DataML Studio")
st.write(f"Signed in as **{actor.display_name}** ({actor.role}) in **{actor.tenant_name}**.")
st.markdown(
    "- **Templates** describe the columns a dataset must have; **Datasets** checks uploads against them.\n"
    "- **Train** finds the best model for a target column; **Models** explains it.\n"
    "- **Predict** scores one case or a whole file; **Forecast** continues time series.\n"
    "- **Samples** attributes binaries to known families.\n"
    "Use the menu on the left; you see only the pages your role allows."
)
if actor.can("jobs:read"):
    with guard():
        jobs = engine.jobs.list(actor, limit=5)
        if jobs:
            st.subheader("Recent jobs")
            for job in jobs:
                st.write(f"{job.title} — {job.status} ({job.progress:.0%}) · {job.created_at:%Y-%m-%d %H:%M} UTC")
