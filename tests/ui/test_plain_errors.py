"""Error messages quote what the user typed; Streamlit renders them as Markdown, so they are escaped first."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as hs

from ui.errors import plain


@given(hs.text())
def test_every_formatting_character_is_escaped_and_nothing_else_changes(text: str) -> None:
    shown = plain(text)
    assert re.sub(r"\\(.)", r"\1", shown, flags=re.DOTALL) == text
    assert not re.search(r"(?<!\\)(?:\\\\)*[`*_\[\]<>$~|]", shown.replace("\\\\", ""))


def test_a_quoted_python_expression_keeps_its_underscores() -> None:
    assert plain("in \"__import__('os')\"") == "in \"\\_\\_import\\_\\_('os')\""
