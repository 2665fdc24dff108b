"""One ``Engine`` per server process, shared by all sessions."""

from __future__ import annotations

import streamlit as st

from core import Engine


@st.cache_resource(show_spinner=False)
def get_engine() -> Engine:
    return Engine.open()
