"""Shared fixtures: every test gets its own DATAML_HOME with a real database and file store.

The database is SQLite in DATAML_HOME, unless DATAML_DATABASE_URL names a Postgres server when pytest starts:
then each test (or module-scoped world) gets a database of its own on it, copied from a template migrated once.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import create_engine, make_url, text

os.environ.setdefault("DATAML_BCRYPT_ROUNDS", "4")  # bcrypt's real cost makes user-heavy tests slow

from core import Actor, Engine
from core.storage.db import Database

SERVER_URL = os.environ.get("DATAML_DATABASE_URL")
# One template per pytest-xdist worker: each drops and re-creates its own when it starts.
TEMPLATE = f"dataml_test_template_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def _url(database: str) -> str:
    assert SERVER_URL is not None
    return make_url(SERVER_URL).set(database=database).render_as_string(hide_password=False)


@cache
def _server() -> SqlEngine:
    """The server's maintenance database, outside transactions (CREATE / DROP DATABASE need that)."""
    return create_engine(_url("postgres"), isolation_level="AUTOCOMMIT", poolclass=None)


@cache
def _template() -> str:
    """A database at the current schema revision, migrated once per run; tests get copies of it."""
    with _server().connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{TEMPLATE}"'))
    database = Database(_url(TEMPLATE))
    database.migrate()
    database.dispose()
    return TEMPLATE


@contextmanager
def isolated_database(env: pytest.MonkeyPatch, migrated: bool = True) -> Iterator[str | None]:
    """Point DATAML_DATABASE_URL at a database of the caller's alone (None: SQLite in DATAML_HOME).

    On Postgres the copy is migrated already, or empty (``migrated=False``), and is dropped afterwards.
    """
    if SERVER_URL is None:
        env.delenv("DATAML_DATABASE_URL", raising=False)
        yield None
        return
    name = f"test_{uuid.uuid4().hex}"
    with _server().connect() as connection:
        template = _template() if migrated else "template0"
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    env.setenv("DATAML_DATABASE_URL", _url(name))
    try:
        yield _url(name)
    finally:
        with _server().connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


ADMIN_PASSWORD = "admin-pass-123"
USER_PASSWORD = "user-pass-1234"


@pytest.fixture(scope="module", autouse=True)
def module_database() -> Iterator[str | None]:
    """A database per test module, for the module-scoped workspaces some modules share between tests."""
    with pytest.MonkeyPatch.context() as env, isolated_database(env) as url:
        yield url


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    workspace = tmp_path / "workspace"
    monkeypatch.setenv("DATAML_HOME", str(workspace))
    monkeypatch.delenv("DATAML_COOKIE_KEY", raising=False)
    with isolated_database(monkeypatch):
        yield workspace


@pytest.fixture
def engine(home: Path) -> Iterator[Engine]:
    """An engine that runs jobs inline, so tests are deterministic."""
    eng = Engine.open(home=home, runner="inline")
    yield eng
    eng.close()


# The engines that run jobs out of process: child processes, or Ray tasks on a local Ray instance when the run
# sets DATAML_JOB_RUNNER=ray (.ci/run's Ray pass repeats the job tests so).
OUT_OF_PROCESS = "ray" if os.environ.get("DATAML_JOB_RUNNER") == "ray" else "process"


@pytest.fixture
def process_engine(home: Path) -> Iterator[Engine]:
    eng = Engine.open(home=home, runner=OUT_OF_PROCESS)
    yield eng
    eng.close()


@pytest.fixture(scope="session", autouse=True)
def ray_instance() -> Iterator[None]:
    """Stop the local Ray instance a test started (with every worker) when the run ends."""
    yield
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        ray.shutdown()


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
