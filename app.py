"""DataML Studio: page config, login gate, navigation by role. Pages live in ``pages/``."""

from __future__ import annotations

import streamlit as st

from ui.auth import resolve_actor, sign_in_page, sign_out, write_pending_cookie
from ui.engine import get_engine, start_preload, wait_for_preload
from ui.navigation import sign_in_pages, visible_pages

st.set_page_config(page_title="DataML Studio", page_icon=":material/insights:", layout="wide")

write_pending_cookie()
start_preload()
actor = resolve_actor(get_engine())
if actor is None:
    st.navigation(sign_in_pages(sign_in_page), position="hidden").run()
else:
    wait_for_preload()
    with st.sidebar:
        st.markdown(f"**{actor.display_name}** · {actor.role}  \n{actor.tenant_name}")
        if st.button("Sign out", key="sign_out", icon=":material/logout:"):
            sign_out(get_engine())
            st.switch_page("pages/home.py")
    st.navigation(visible_pages(actor), expanded=True).run()
