"""Rules of DESIGN.md that code review alone would miss."""

from __future__ import annotations

import ast
from pathlib import Path

from importlinter.cli import lint_imports

import core

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_import_contracts_hold() -> None:
    """The layers of DESIGN.md §1, declared as import-linter contracts in pyproject.toml."""
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True) == 0


def test_app_uses_only_the_public_api() -> None:
    """app.py is a script, not a package, so the contracts cannot name it."""
    modules = _imports(ROOT / "app.py")
    assert {m for m in modules if m.split(".")[0] not in {"__future__", "streamlit", "ui"} and m != "core"} == set()


def test_nothing_unpickles() -> None:
    offenders = []
    for folder in ("core", "ui", "pages", "api"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            if "pickle.load" in text or "joblib.load" in text or "allow_pickle=True" in text:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_public_api_lists_only_what_it_exports() -> None:
    """``core.__all__`` is what pages may import: sorted, every name exists, the types users need are there."""
    assert sorted(core.__all__, key=lambda n: (not n.isupper(), n)) == core.__all__
    assert [name for name in core.__all__ if not hasattr(core, name)] == []
    needed = {"Engine", "TrainRequest", "Dataset", "Model", "ModelSummary", "ForecastSummary", "ValidationReport"}
    assert needed | {"JobStatus", "Job", "Actor", "CoreError"} <= set(core.__all__)
