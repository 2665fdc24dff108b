"""Shared fixtures: every test gets its own DATAML_HOME with a real SQLite database and file store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("DATAML_BCRYPT_ROUNDS", "4")  # bcrypt's real cost makes user-heavy tests slow

from core import Actor, Engine

ADMIN_PASSWORD = "admin-pass-123"
USER_PASSWORD = "user-pass-1234"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    workspace = tmp_path / "workspace"
    monkeypatch.setenv("DATAML_HOME", str(workspace))
    monkeypatch.delenv("DATAML_DATABASE_URL", raising=False)
    monkeypatch.delenv("DATAML_COOKIE_KEY", raising=False)
    return workspace


@pytest.fixture
def engine(home: Path) -> Iterator[Engine]:
    """An engine that runs jobs inline, so tests are deterministic."""
    eng = Engine.open(home=home, runner="inline")
    yield eng
    eng.close()


@pytest.fixture
def process_engine(home: Path) -> Iterator[Engine]:
    eng = Engine.open(home=home, runner="process")
    yield eng
    eng.close()


@pytest.fixture
def admin(engine: Engine) -> Actor:
    return engine.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")


def make_user(engine: Engine, admin: Actor, username: str, role: str) -> Actor:
    engine.users.create(admin, username=username, password=USER_PASSWORD, email=f"{username}@example.com", role=role)
    return engine.users.authenticate(username, USER_PASSWORD)


@pytest.fixture
def analyst(engine: Engine, admin: Actor) -> Actor:
    return make_user(engine, admin, "ana", "analyst")


@pytest.fixture
def viewer(engine: Engine, admin: Actor) -> Actor:
    return make_user(engine, admin, "vic", "viewer")


@pytest.fixture
def outsider(engine: Engine, admin: Actor) -> Actor:
    """An administrator of another tenant: must see nothing of the first tenant."""
    engine.tenants.create(
        admin, name="Other Org", admin_username="otto", admin_password=USER_PASSWORD, admin_email="otto@example.com"
    )
    return engine.users.authenticate("otto", USER_PASSWORD)
