"""AppTest helpers: each test runs the real app against its own workspace."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import Actor

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app(home: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """Make an AppTest of app.py, optionally signed in as ``actor`` and opened on ``page``."""
    monkeypatch.setenv("DATAML_JOB_RUNNER", "inline")
    st.cache_resource.clear()  # the engine is cached per process; each test has its own workspace

    def make(actor: Actor | None = None, page: str | None = None) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        if actor is not None:
            at.session_state["actor"] = actor
        at.run()
        if page is not None:
            at.switch_page(f"pages/{page}")
            at.run()
        assert not at.exception, at.exception
        return at

    return make
