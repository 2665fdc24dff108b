"""One ``Engine`` per server process, shared by all sessions, and the background import of its model libraries."""

from __future__ import annotations

import threading

import streamlit as st

from core import Engine


@st.cache_resource(show_spinner=False)
def get_engine() -> Engine:
    return Engine.open()


@st.cache_resource(show_spinner=False)
def _preloading() -> threading.Thread:
    """Started by the first run of the server (usually the sign-in form): the imports run while the user types."""
    thread = threading.Thread(target=Engine.preload, name="dataml-preload", daemon=True)
    thread.start()
    return thread


def start_preload() -> None:
    _preloading()


def wait_for_preload() -> None:
    """Let the background import finish before a page runs: a page importing the same libraries at the same time
    could meet it in a circular import (Python's import locks then fail one of them). Its slot is drawn on every
    run, so the spinner moves none of the page's elements."""
    slot, thread = st.empty(), _preloading()
    if thread.is_alive():
        with slot, st.spinner("Loading the model libraries (once after the server starts)…"):
            thread.join()
        slot.empty()
