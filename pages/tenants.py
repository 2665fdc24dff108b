"""Platform administration: tenants and their first administrators."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import PASSWORD_RULE
from ui.auth import current_actor
from ui.downloads import download_csv
from ui.engine import get_engine
from ui.errors import guard

engine, actor = get_engine(), current_actor()
st.title("Tenants")
st.caption("Each tenant sees only its own templates, datasets, models, jobs and samples.")
NEW_TENANT_KEYS = ("tenant_name", "tenant_admin", "tenant_email", "tenant_password")
if message := st.session_state.pop("tenants_outcome", None):
    st.success(message, icon=":material/check_circle:")
with guard():
    tenants = engine.tenants.list(actor)
    listing = pd.DataFrame([{"tenant": t.name, "created (UTC)": t.created_at} for t in tenants])
    st.dataframe(listing, hide_index=True, key="tenants_table", placeholder="")
    download_csv(listing, "tenants.csv", key="tenants_csv")
with st.form("add_tenant"):
    st.subheader("New tenant")
    name = st.text_input("Tenant name", key="tenant_name")
    admin = st.text_input("Administrator username", key="tenant_admin")
    email = st.text_input("Administrator e-mail", key="tenant_email")
    password = st.text_input("Administrator password", type="password", key="tenant_password", help=PASSWORD_RULE)
    if st.form_submit_button("Create tenant", type="primary"):
        with guard():
            tenant, user = engine.tenants.create(
                actor, name=name, admin_username=admin, admin_password=password, admin_email=email.strip()
            )
            st.session_state["tenants_outcome"] = (
                f"Tenant {tenant.name} created; {user.username} can now sign in and add users."
            )
            for key in NEW_TENANT_KEYS:  # an empty form (no password left behind) and a fresh table
                st.session_state.pop(key, None)
            st.rerun()
