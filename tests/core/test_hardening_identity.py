"""Names unique ignoring case, the sign-in throttle under parallel guesses, sign-in timing, the security log.

Races are run with threads and with processes (each its own engine on the same workspace). They use the
workspace database: SQLite here, Postgres when ``DATAML_DATABASE_URL`` names one (a fresh database per test)."""

from __future__ import annotations

import multiprocessing
import os
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from core import Actor, ColumnSpec, Conflict, Engine, InvalidInput, PermissionDenied, TrainRequest
from core.services import users as users_module
from core.services.users import WRONG_CREDENTIALS
from core.storage.files import StoredBytes
from core.storage.orm import LoginThrottleRow, utcnow
from core.storage.repositories import files as file_repo
from core.storage.repositories import models as model_repo
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD

POSTGRES_URL = os.environ.get("DATAML_DATABASE_URL", "")  # read before the fixtures clear it
PARALLEL = 8
GUESSES = 80


@pytest.fixture
def database_url() -> Iterator[str | None]:
    """None (the workspace's SQLite file), or a fresh database on the Postgres server of DATAML_DATABASE_URL."""
    if not POSTGRES_URL.startswith("postgresql"):
        yield None
        return
    name = f"dataml_test_{uuid.uuid4().hex[:12]}"
    server = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture
def eng(home: Path, database_url: str | None) -> Iterator[Engine]:
    engine = Engine.open(home=home, database_url=database_url, runner="inline")
    yield engine
    engine.close()


@pytest.fixture
def boss(eng: Engine) -> Actor:
    return eng.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")


def _outcomes(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls at once; each gives its result or the exception it raised."""

    def run(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except Exception as error:  # the test inspects exactly what was raised
            return error

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _exactly_one(outcomes: list[Any]) -> None:
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(outcomes) - len(errors) == 1, errors
    assert all(isinstance(e, Conflict) and "already" in e.message for e in errors), errors


def _spellings(name: str) -> list[str]:
    return [name.upper() if i % 2 else name.lower() if i % 3 else name.title() for i in range(PARALLEL)]


def test_parallel_tenants_differing_in_case_make_one(eng: Engine, boss: Actor) -> None:
    create = eng.tenants.create
    calls: list[Callable[[], Any]] = [
        partial(create, boss, name=n, admin_username=f"boss{i}", admin_password=USER_PASSWORD, admin_email=f"{i}@x.org")
        for i, n in enumerate(_spellings("Acme Corp"))
    ]
    _exactly_one(_outcomes(calls))
    assert [t.name.casefold() for t in eng.tenants.list(boss)].count("acme corp") == 1
    with pytest.raises(Conflict, match="already exists"):
        eng.tenants.create(
            boss, name="ACME CORP", admin_username="late", admin_password=USER_PASSWORD, admin_email="l@example.com"
        )


def test_parallel_templates_datasets_and_roles_differing_in_case_make_one(eng: Engine, boss: Actor) -> None:
    columns = [ColumnSpec("id", "integer")]
    _exactly_one(_outcomes([partial(eng.templates.create, boss, n, columns) for n in _spellings("Orders")]))
    data = b"id\n1\n2\n"
    upload = eng.datasets.upload
    uploads: list[Callable[[], Any]] = [partial(upload, boss, name=n, filename="o.csv", data=data) for n in "qQqQqQqQ"]
    files_before = sum(p.is_file() for p in eng.store.root.rglob("*"))
    _exactly_one(_outcomes(uploads))
    assert len(eng.datasets.list(boss)) == 1
    assert (
        sum(p.is_file() for p in eng.store.root.rglob("*")) == files_before + 2
    )  # the winner's Parquet and original; the losers left nothing
    _exactly_one(_outcomes([partial(eng.users.create_role, boss, n, ["datasets:read"]) for n in _spellings("ops")]))
    users: list[Callable[[], Any]] = [
        partial(eng.users.create, boss, username=n, password=USER_PASSWORD, email=f"u{i}@x.org", role="viewer")
        for i, n in enumerate(_spellings("carol"))
    ]
    outcomes = _outcomes(users)
    assert sum(not isinstance(o, Exception) for o in outcomes) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if isinstance(o, Exception))


def test_a_template_cannot_be_renamed_onto_another_ignoring_case(eng: Engine, boss: Actor) -> None:
    columns = [ColumnSpec("id", "integer")]
    eng.templates.create(boss, "Orders", columns)
    other = eng.templates.create(boss, "Returns", columns)
    with pytest.raises(Conflict, match="already exists"):
        eng.templates.update(boss, other.id, name="oRDERS", columns=columns)


def test_parallel_versions_of_one_predictor_get_distinct_numbers(eng: Engine, boss: Actor) -> None:
    dataset = eng.datasets.upload(boss, name="q", filename="q.csv", data=b"id,y\n1,2\n")

    def add(name: str) -> int:
        with eng.db.session() as session:
            fields = dict(problem_type="regression", dataset_id=dataset.id, target="y", schema={}, metrics={})
            model = model_repo.add_model_version(
                session, tenant_id=boss.tenant_id, owner_id=boss.user_id, name=name, details={}, **fields
            )
            return model.version

    versions = _outcomes([partial(add, n) for n in _spellings("Churn")])
    assert sorted(versions) == list(range(1, PARALLEL + 1))
    assert len({m.name for m in eng.models.list(boss)}) == 1  # every version carries the first one's spelling


def test_a_predictor_name_in_another_case_is_the_same_predictor(eng: Engine, boss: Actor) -> None:
    """Training "CHURN" of another target must not become version 2 of "Churn" (the check compared exact case)."""
    rows = "".join(f"{i},{i % 7},{i % 5}\n" for i in range(60))
    dataset = eng.datasets.upload(boss, name="q", filename="q.csv", data=f"id,y,z\n{rows}".encode())
    with eng.db.session() as session:
        fields = dict(problem_type="regression", dataset_id=dataset.id, target="y", metrics={}, details={})
        schema = {"features": [{"name": "z"}]}
        model_repo.add_model_version(
            session, tenant_id=boss.tenant_id, owner_id=boss.user_id, name="Churn", schema=schema, **fields
        )
    with pytest.raises(Conflict, match="The name 'Churn' is taken by a regression of 'y'"):
        eng.training.check(boss, TrainRequest(dataset_id=dataset.id, name="cHURN", target="z", features=("y",)))


RACERS = 4  # processes (the machine has two cores; more only queue)


def _race(home: str, database_url: str | None, index: int, barrier: Any) -> dict[str, str]:
    """In a process of its own: one create per case-insensitive namespace, each spelled this process's way and
    started at a barrier with the other processes; what each create gave."""
    engine = Engine.open(home=home, database_url=database_url, runner="inline")
    try:
        boss = engine.users.authenticate("admin", ADMIN_PASSWORD)

        def spell(name: str) -> str:
            return _spellings(name)[index]

        calls: dict[str, Callable[[], Any]] = {
            "tenant": partial(
                engine.tenants.create, boss, name=spell("Acme Corp"), admin_username=f"boss{index}",
                admin_password=USER_PASSWORD, admin_email=f"{index}@x.org",
            ),
            "template": partial(engine.templates.create, boss, spell("Orders"), [ColumnSpec("id", "integer")]),
            "dataset": partial(engine.datasets.upload, boss, name=spell("Sales"), filename="s.csv", data=b"id\n1\n"),
            "role": partial(engine.users.create_role, boss, spell("Ops"), ["datasets:read"]),
            "user": partial(
                engine.users.create, boss, username=spell("Carol"), password=USER_PASSWORD,
                email=f"c{index}@x.org", role="viewer",
            ),
            "predictor": partial(_add_version, engine, boss, spell("Churn")),
        }  # fmt: skip
        outcomes = {}
        for namespace, call in calls.items():
            barrier.wait(timeout=60)
            try:
                outcomes[namespace] = f"ok {call()!r:.0}"
            except Exception as error:  # the parent inspects exactly what was raised
                outcomes[namespace] = f"{type(error).__name__}: {getattr(error, 'message', error)}"
        return outcomes
    finally:
        engine.close()


def _add_version(engine: Engine, boss: Actor, name: str) -> int:
    """A new version of predictor ``name`` (what a training job stores when it finishes)."""
    dataset = engine.datasets.list(boss)[0]
    with engine.db.session() as session:
        fields = dict(problem_type="regression", dataset_id=dataset.id, target="y", schema={}, metrics={})
        model = model_repo.add_model_version(
            session, tenant_id=boss.tenant_id, owner_id=boss.user_id, name=name, details={}, **fields
        )
        return model.version


def test_parallel_creates_in_processes_make_one_per_namespace(eng: Engine, boss: Actor) -> None:
    """Each racer is a process with its own engine (as web workers, scripts and the API are): the database's
    case-insensitive keys, not a check in Python, leave exactly one tenant, template, dataset, role and user,
    and one predictor whose versions are numbered 1..n under one spelling."""
    files_before = sum(p.is_file() for p in eng.store.root.rglob("*"))
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(RACERS) as pool:
        barrier = manager.Barrier(RACERS)
        args = [(str(eng.settings.home), eng.settings.database_url, i, barrier) for i in range(RACERS)]
        results = pool.starmap(_race, args)
    for namespace in ("tenant", "template", "dataset", "role", "user"):
        outcomes = [r[namespace] for r in results]
        assert sum(o.startswith("ok") for o in outcomes) == 1, outcomes
        assert all(o.startswith("Conflict: ") for o in outcomes if not o.startswith("ok")), outcomes
    assert [t.name.casefold() for t in eng.tenants.list(boss)].count("acme corp") == 1
    assert [t.name.casefold() for t in eng.templates.list(boss)] == ["orders"]
    assert [d.name.casefold() for d in eng.datasets.list(boss)] == ["sales"]
    files_after = sum(p.is_file() for p in eng.store.root.rglob("*"))
    assert files_after == files_before + 2  # the winner's Parquet and original; losers left none
    assert all(r["predictor"] == "ok " for r in results), results
    models = eng.models.list(boss)
    assert sorted(m.version for m in models) == list(range(1, RACERS + 1)) and len({m.name for m in models}) == 1


def _guess(home: str, database_url: str | None, count: int) -> list[str]:
    """In a process of its own: ``count`` parallel wrong guesses; the class and sentence of each refusal."""
    engine = Engine.open(home=home, database_url=database_url, runner="inline")
    try:
        outcomes = _outcomes([lambda: engine.users.authenticate("admin", "wrong-password-1")] * count)
    finally:
        engine.close()
    return [f"{type(o).__name__}: {getattr(o, 'message', o)}" for o in outcomes]


def _assert_locked_after_the_limit(eng: Engine, refusals: list[str]) -> None:
    assert all(r.startswith("PermissionDenied: ") for r in refusals), set(refusals)
    checked = [r for r in refusals if WRONG_CREDENTIALS in r]
    assert len(checked) == eng.settings.login_max_failures  # only that many guesses got a password check
    with pytest.raises(PermissionDenied, match="Too many failed sign-in attempts"):
        eng.users.authenticate("admin", ADMIN_PASSWORD)


def test_parallel_wrong_guesses_in_threads_lock_the_account_after_the_limit(eng: Engine, boss: Actor) -> None:
    _assert_locked_after_the_limit(eng, _guess(str(eng.settings.home), eng.settings.database_url, GUESSES))


def test_parallel_wrong_guesses_in_processes_lock_the_account_after_the_limit(eng: Engine, boss: Actor) -> None:
    processes = 2
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        args = [(str(eng.settings.home), eng.settings.database_url, GUESSES // processes)] * processes
        refusals = [r for batch in pool.starmap(_guess, args) for r in batch]
    _assert_locked_after_the_limit(eng, refusals)


def test_known_and_unknown_usernames_take_the_same_time(
    home: Path, database_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the real cost factor's order of magnitude (10), a wrong password for an existing user, any password
    for an unknown name and a name no user can have take the same time; the dummy hash used to have cost 4.
    Measured in CPU time of the signing-in thread: the work done, whatever else the shared machine runs (on the
    clock, other processes made medians swing by 30%; quiet runs agree within 8%)."""
    monkeypatch.setenv("DATAML_BCRYPT_ROUNDS", "10")
    eng = Engine.open(home=home, database_url=database_url, runner="inline")
    rounds = 6  # one wrong password per known user, so no lock-out shortens a sign-in
    try:
        admin = eng.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="a@example.com")
        for i in range(rounds):
            eng.users.create(admin, username=f"known{i}", password=USER_PASSWORD, email=f"k{i}@x.org", role="viewer")

        def took(username: str) -> float:
            started = time.thread_time()
            with pytest.raises(PermissionDenied, match="Incorrect"):
                eng.users.authenticate(username, "wrong-password-1")
            return time.thread_time() - started

        took("warm-up")
        names = {"known": "known{}", "unknown": "nobody{}", "impossible": "No Such User {}!"}
        times: dict[str, list[float]] = {kind: [] for kind in names}
        for i in range(rounds):  # interleaved, so a busy moment of the machine hits every kind alike
            for kind, pattern in names.items():
                times[kind].append(took(pattern.format(i)))
    finally:
        eng.close()
    known = statistics.median(times["known"])
    for kind in ("unknown", "impossible"):
        assert 0.8 <= statistics.median(times[kind]) / known <= 1.2, (kind, times)


def test_unknown_names_go_to_the_security_log_and_their_throttle_rows_are_purged(
    eng: Engine, boss: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(PermissionDenied, match="Incorrect"):
        eng.users.authenticate("ghost", "whatever-pass-1")
    with pytest.raises(PermissionDenied, match="Incorrect"):
        eng.users.authenticate("x" * 5000, "whatever-pass-1")  # refused before any fixed-length column
    logged = [e.username for e in eng.audit.security_log(boss, action="login.failed")]
    assert logged == ["x" * 64, "ghost"]
    assert "ghost" not in [e.username for e in eng.audit.list(boss)]
    eng.tenants.create(
        boss, name="Other", admin_username="otto", admin_password=USER_PASSWORD, admin_email="o@example.com"
    )
    otto = eng.users.authenticate("otto", USER_PASSWORD)
    with pytest.raises(PermissionDenied):
        eng.audit.security_log(otto)

    later = utcnow() + timedelta(seconds=eng.settings.login_lockout_s + 1)
    monkeypatch.setattr(users_module, "utcnow", lambda: later)
    with pytest.raises(PermissionDenied, match="Incorrect"):
        eng.users.authenticate("admin", "wrong-password-1")
    with eng.db.session() as session:
        names = set(session.scalars(select(LoginThrottleRow.username)))
        assert names == {"admin"} and session.scalar(select(func.count()).select_from(LoginThrottleRow)) == 1


def test_long_names_are_refused_before_the_database(eng: Engine, boss: Actor) -> None:
    long = "n" * 101
    with pytest.raises(InvalidInput, match="name"):
        eng.users.create(
            boss, username="dave", password=USER_PASSWORD, email="d@example.com", role="viewer", display_name=long
        )
    with pytest.raises(InvalidInput, match="email"):
        eng.users.create(boss, username="dave", password=USER_PASSWORD, email="d@" + "e" * 200 + ".com", role="viewer")
    with pytest.raises(InvalidInput):
        eng.tenants.create(
            boss, name=long, admin_username="erin", admin_password=USER_PASSWORD, admin_email="e@example.com"
        )
    with pytest.raises(InvalidInput):
        eng.templates.create(boss, long, [ColumnSpec("id", "integer")])
    with pytest.raises(InvalidInput):
        eng.datasets.upload(boss, name=long, filename="o.csv", data=b"id\n1\n")
    with pytest.raises(InvalidInput):
        eng.users.create_role(boss, "r" * 65, ["datasets:read"])
    with pytest.raises(InvalidInput, match="column names longer than 255"):  # a column may become a model's target
        eng.datasets.upload(boss, name="wide", filename="w.csv", data=("id," + "c" * 256 + "\n1,2\n").encode())
    with pytest.raises(InvalidInput, match="1 to 100 printable characters"):
        eng.attribution.add_reference(boss, family="f" * 101, filename="x.bin", data=b"\x7fELF")
    with eng.db.session() as session:  # names made from names ('<input>-scored-<model>-v2.csv') are cut, suffix kept
        stored = StoredBytes("k", 1, "0" * 64)
        made = file_repo.add_file(
            session,
            tenant_id=boss.tenant_id,
            owner_id=None,
            kind="result",
            name="s" * 300 + ".csv",
            content_type="text/csv",
            stored=stored,
        )
    assert len(made.name) == 255 and made.name.endswith("s.csv")


def test_workspace_file_counts_and_the_database_address_are_for_platform_administrators_only(
    eng: Engine, boss: Actor
) -> None:
    eng.users.create(boss, username="vic", password=USER_PASSWORD, email="v@example.com", role="admin")
    tenant_admin = eng.users.authenticate("vic", USER_PASSWORD)
    assert "files" not in eng.health.status(tenant_admin)["file_store"]
    assert "url" not in eng.health.status(tenant_admin)["database"]
    assert {"ok", "files", "bytes"} <= set(eng.health.status(boss)["file_store"])
    assert eng.health.status(boss)["database"]["url"].startswith(("sqlite", "postgresql"))
