"""``eng.training.submit`` refuses exactly what ``eng.training.check`` refuses, for every problem type: the same
error, sentence and problem rows, and nothing is queued (issue 12). One line per refusal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest

from core import ColumnSpec, Conflict, CoreError, Engine, InvalidInput, NotFound, TrainRequest
from tests.conftest import ADMIN_PASSWORD

MONTHS = [f"{2018 + m // 12}-{m % 12 + 1:02d}-01" for m in range(36)]


def _csv(header: str, rows: list[str]) -> bytes:
    return (header + "\n" + "\n".join(rows) + "\n").encode()


TABLES = {
    "good": _csv("x,size,colour,y", [f"{i},{i * 1.5},{'rgb'[i % 3]},{'ab'[i % 2]}" for i in range(40)]),
    "flat": _csv("x,y", [f"{i},same" for i in range(40)]),
    "empty target": _csv("x,y", [f"{i}," for i in range(40)]),
    "infinite target": _csv("x,y", [f"{i},{'inf' if i == 3 else i * 2.5}" for i in range(40)]),
    "tiny": _csv("x,y", [f"{i},{'ab'[i % 2]}" for i in range(10)]),
    "one-row class": _csv("x,y", [f"{i},{'c' if i == 0 else 'ab'[i % 2]}" for i in range(40)]),
    "no size": _csv("x,colour,y", [f"{i},{'rgb'[i % 3]},{'ab'[i % 2]}" for i in range(40)]),
    "months": _csv("month,sales", [f"{m},{100 + i}" for i, m in enumerate(MONTHS)]),
    "duplicate months": _csv("month,sales", [f"{m},{100 + i}" for i, m in enumerate([*MONTHS[:-1], MONTHS[5]])]),
    "bad dates": _csv("month,sales", [f"{'the 31st of Nowember' if i == 4 else m},{i}" for i, m in enumerate(MONTHS)]),
    "irregular": _csv("month,sales", [f"{m},{i}" for i, m in enumerate([*MONTHS[:10], *MONTHS[11:]])]),
    "two points": _csv("month,sales", [f"{m},{i}" for i, m in enumerate(MONTHS[:2])]),
    "text sales": _csv("month,sales", [f"{m},{'lots' if i == 2 else i}" for i, m in enumerate(MONTHS)]),
}


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    home = tmp_path_factory.mktemp("submit-checks") / "workspace"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATAML_HOME", str(home))
        eng = Engine.open(home=home, runner="inline")
        admin = eng.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
        ids = {
            name: eng.datasets.upload(admin, name=name, filename="t.csv", data=data).id for name, data in TABLES.items()
        }
        template = eng.templates.create(admin, "ints", [ColumnSpec("x", "integer"), ColumnSpec("y", "integer")])
        ids["with problems"] = eng.datasets.upload(
            admin, name="with problems", filename="p.csv", data=b"x,y\n1,2\nthree,4\n", template_id=template.id
        ).id
        parent = eng.training.submit(
            admin, TrainRequest(dataset_id=ids["good"], name="flowers", target="y", time_budget_s=1, explain=False)
        )
        assert parent.result, parent.error
        yield SimpleNamespace(eng=eng, admin=admin, ids=ids, parent=str(parent.result["model_id"]))
        eng.close()


def tabular(w: SimpleNamespace, table: str = "good", **fields: Any) -> TrainRequest:
    return replace(TrainRequest(dataset_id=w.ids[table], name="m", target="y", time_budget_s=1), **fields)


def forecast(w: SimpleNamespace, table: str = "months", **fields: Any) -> TrainRequest:
    request = TrainRequest(dataset_id=w.ids[table], name="f", target="sales", problem_type="forecast")
    return replace(request, **{"time_column": "month", **fields})


def again(w: SimpleNamespace, table: str = "good", **fields: Any) -> TrainRequest:
    """A new version of ``flowers``."""
    return tabular(w, table, name="flowers", parent_model_id=w.parent, **fields)


# (refusal, request, error, what the sentence says)
REFUSALS: list[tuple[str, Callable[[SimpleNamespace], TrainRequest], type[CoreError], str]] = [
    ("bad name", lambda w: tabular(w, name="no/slashes"), InvalidInput, "not valid"),
    ("unknown problem type", lambda w: tabular(w, problem_type="clustering"), InvalidInput, "not valid"),
    ("budget out of range", lambda w: tabular(w, time_budget_s=0), InvalidInput, "not valid"),
    ("missing dataset", lambda w: replace(tabular(w), dataset_id="no-such-id"), NotFound, "does not exist"),
    ("dataset with problems", lambda w: tabular(w, "with problems"), InvalidInput, "unresolved problems"),
    ("unknown target", lambda w: tabular(w, target="nope"), InvalidInput, "Unknown column"),
    ("unknown feature", lambda w: tabular(w, features=("x", "nope")), InvalidInput, "Unknown column"),
    ("no feature", lambda w: tabular(w, features=()), InvalidInput, "feature"),
    ("feature is the target", lambda w: tabular(w, features=("x", "y")), InvalidInput, ""),
    ("id column is the target", lambda w: tabular(w, id_column="y"), InvalidInput, ""),
    ("one class", lambda w: tabular(w, "flat"), InvalidInput, "cannot be used"),
    ("no target value", lambda w: tabular(w, "empty target"), InvalidInput, ""),
    ("infinite target", lambda w: tabular(w, "infinite target", problem_type="regression"), InvalidInput, ""),
    ("too few rows", lambda w: tabular(w, "tiny"), InvalidInput, "cannot be used"),
    ("class of one row", lambda w: tabular(w, "one-row class"), InvalidInput, "cannot be used"),
    ("text target as regression", lambda w: tabular(w, problem_type="regression"), InvalidInput, ""),
    ("name of another predictor", lambda w: tabular(w, name="flowers", target="x"), Conflict, "is taken by"),
    ("new version of another target", lambda w: again(w, target="x"), InvalidInput, "predict the same thing"),
    ("new version lacking a column", lambda w: again(w, "no size"), InvalidInput, "lacks columns"),
    ("new version with other features", lambda w: again(w, features=("x",)), InvalidInput, "same feature columns"),
    ("new version as regression", lambda w: again(w, problem_type="regression"), InvalidInput, ""),
    ("new version of a forecast", lambda w: again(w, problem_type="forecast"), InvalidInput, "classification"),
    ("forecast without a time column", lambda w: forecast(w, time_column=None), InvalidInput, "time column"),
    ("forecast of an unknown column", lambda w: forecast(w, target="nope"), InvalidInput, "Unknown column"),
    ("duplicate timestamps", lambda w: forecast(w, "duplicate months"), InvalidInput, "more than once"),
    ("unparseable dates", lambda w: forecast(w, "bad dates"), InvalidInput, "unparseable date"),
    ("irregular timestamps", lambda w: forecast(w, "irregular"), InvalidInput, "irregular timestamps"),
    ("non-numeric values", lambda w: forecast(w, "text sales"), InvalidInput, "not a number"),
    ("every series too short", lambda w: forecast(w, "two points"), InvalidInput, ""),
    ("horizon out of range", lambda w: forecast(w, horizon=20_000), InvalidInput, "horizon"),
    ("season length out of range", lambda w: forecast(w, season_length=0), InvalidInput, "season"),
    ("unknown frequency", lambda w: forecast(w, frequency="fortnightly-ish"), InvalidInput, ""),
    ("forecast under a classifier's name", lambda w: forecast(w, name="flowers"), Conflict, "is taken by"),
]


@pytest.mark.parametrize(("refusal", "request_of", "error", "says"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_submit_refuses_exactly_what_check_refuses(
    w: SimpleNamespace,
    refusal: str,
    request_of: Callable[[SimpleNamespace], TrainRequest],
    error: type[CoreError],
    says: str,
) -> None:
    request = request_of(w)
    with pytest.raises(CoreError) as checked:
        w.eng.training.check(w.admin, request)
    assert type(checked.value) is error and says in checked.value.message, checked.value.message
    jobs = len(w.eng.jobs.list(w.admin))
    with pytest.raises(error) as submitted:
        w.eng.training.submit(w.admin, request)
    assert (submitted.value.message, submitted.value.details) == (checked.value.message, checked.value.details)
    assert getattr(submitted.value, "problems", None) == getattr(checked.value, "problems", None)
    assert len(w.eng.jobs.list(w.admin)) == jobs  # nothing queued


def test_what_check_accepts_submit_trains(w: SimpleNamespace) -> None:
    for request in (tabular(w, name="accepted"), forecast(w, name="accepted forecast")):
        w.eng.training.check(w.admin, request)
        job = w.eng.training.submit(w.admin, request)
        assert job.status == "succeeded", job.error
