"""Audit log of sign-ins and changes in this tenant, with a CSV download."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import streamlit as st

from ui.auth import current_actor
from ui.downloads import download_csv
from ui.engine import get_engine
from ui.errors import guard

engine, actor = get_engine(), current_actor()
st.title("Audit log")
left, right = st.columns(2)
since = left.date_input("Since", value=datetime.utcnow().date() - timedelta(days=30), key="audit_since")
action = right.text_input("Action (exact, optional)", key="audit_action", placeholder="login.failed")
security = actor.is_platform_admin and st.toggle(
    "Platform security log (failed sign-ins of unknown names, which belong to no tenant)", key="audit_security"
)
with guard():
    frame = engine.audit.frame(
        actor, security=security, since=datetime.combine(since, time.min), action=action.strip() or None
    )
    st.write(f"{len(frame)} events")
    st.dataframe(frame, hide_index=True, key="audit_table", placeholder="")
    download_csv(frame, "audit-log.csv", key="audit_csv")
