"""DataML Studio: page config, login gate, navigation by role. Pages live in ``pages/``."""

from __future__ import annotations

import streamlit as st

from ui.auth import login_gate, sign_out
from ui.engine import get_engine
from ui.navigation import visible_pages

st.set_page_config(page_title="DataML Studio", page_icon=":material/insights:", layout="wide")

engine = get_engine()
actor = login_gate(engine)
if actor is None:
    st.stop()

with st.sidebar:
    st.markdown(f"**{actor.display_name}** · {actor.role}  \n{actor.tenant_name}")
    st.button("Sign out", key="sign_out", on_click=sign_out, icon=":material/logout:")

st.navigation(visible_pages(actor)).run()
