"""The signed-in user's own account: change password."""

from __future__ import annotations

import streamlit as st

from core import PASSWORD_RULE
from ui.auth import current_actor
from ui.engine import get_engine
from ui.errors import guard

engine, actor = get_engine(), current_actor()

st.title("My account")
st.write(f"**{actor.display_name}** (`{actor.username}`) · role **{actor.role}** · tenant **{actor.tenant_name}**")
with st.form("change_password", clear_on_submit=True):
    st.subheader("Change password")
    old = st.text_input("Current password", type="password", key="old_password")
    new = st.text_input("New password", type="password", key="new_password", help=PASSWORD_RULE)
    repeat = st.text_input("Repeat the new password", type="password", key="repeat_password")
    if st.form_submit_button("Change password"):
        if new != repeat:
            st.error("The two new passwords differ.")
        else:
            with guard():
                engine.users.change_password(actor, old, new)
                st.success("Your password was changed.")
