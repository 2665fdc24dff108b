"""Rules of DESIGN.md that code review alone would miss."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_streamlit() -> None:
    offenders = [p for p in (ROOT / "core").rglob("*.py") if {"streamlit", "streamlit_authenticator"} & _imports(p)]
    assert offenders == []


def test_core_never_imports_the_api() -> None:
    offenders = [p for p in (ROOT / "core").rglob("*.py") if {"fastapi", "starlette", "uvicorn", "api"} & _imports(p)]
    assert offenders == []


def test_api_routes_go_through_the_engine() -> None:
    """``api/`` is an adapter like the pages: no storage, no ORM, no Streamlit."""
    offenders = []
    for path in (ROOT / "api").rglob("*.py"):
        text = path.read_text()
        if "core.storage" in text or "sqlalchemy" in text or {"streamlit", "ui"} & _imports(path):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_pages_never_touch_storage_directly() -> None:
    offenders = []
    for path in [ROOT / "app.py", *(ROOT / "pages").glob("*.py")]:
        text = path.read_text()
        if "core.storage" in text or "sqlalchemy" in text:
            offenders.append(path.name)
    assert offenders == []


def test_nothing_unpickles() -> None:
    offenders = []
    for folder in ("core", "ui", "pages", "api"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            if "pickle.load" in text or "joblib.load" in text or "allow_pickle=True" in text:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
