"""Errors reach the user as one clear sentence plus details, never as a traceback."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from core import CoreError, InvalidInput

log = logging.getLogger("dataml.ui")
_MARKDOWN = re.compile(r"([\\`*_\[\]<>$~|])")  # what formats inline; "." or "#" only does at a line start


def plain(text: str) -> str:
    """``text`` shown as typed where Streamlit renders Markdown: a quoted ``__import__`` was shown as a bold
    "import", and ``$`` starts LaTeX."""
    return _MARKDOWN.sub(r"\\\1", text)


def show_error(exc: BaseException) -> None:
    if isinstance(exc, CoreError):
        st.error(plain(exc.message), icon=":material/error:")
        problems = exc.problems if isinstance(exc, InvalidInput) else []
        if problems or exc.details:
            with st.expander("Details"):
                if problems:
                    st.dataframe(
                        pd.DataFrame([p.__dict__ for p in problems]).dropna(axis=1, how="all"),
                        hide_index=True,
                        placeholder="",
                    )
                if exc.details:
                    st.code(exc.details, language=None)
        return
    log.exception("unexpected error in a page", exc_info=exc)
    st.error("Something went wrong on our side; the details were logged.", icon=":material/error:")
    with st.expander("Details"):
        st.code(f"{type(exc).__name__}: {exc}", language=None)


@contextmanager
def guard() -> Iterator[None]:
    """Show any error raised inside the block instead of a traceback (reruns pass through)."""
    try:
        yield
    except Exception as exc:
        show_error(exc)
