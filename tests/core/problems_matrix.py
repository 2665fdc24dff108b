"""The problems' lines of the permission matrix (``test_permission_matrix``): what a viewer gets, and (for lines
outside ``PROBLEMS_TENANT_FREE``) NotFound for another tenant's administrator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core import ColumnSpec, Engine, PermissionDenied

ALLOWED = None


def _csv(rows: range) -> bytes:
    return ("x,y\n" + "".join(f"{n % 7},{'ab'[n % 2]}\n" for n in rows)).encode()


def _problem(e: Engine, i: dict[str, Any], key: str = "problem") -> str:
    """A problem of the first tenant (x → y, 20 test rows, 40 training rows in two mini-batches, one linear
    algorithm: two tasks that train in a moment) and a prediction task with its best model."""
    if "problem" not in i:
        admin = e.users.actor_for(i["admin"])
        template = e.templates.create(admin, "xy", [ColumnSpec("x", "integer"), ColumnSpec("y", "string")])
        test = e.datasets.upload(admin, name="xy-test", filename="t.csv", data=_csv(range(20)), template_id=template.id)
        train = e.datasets.upload(admin, name="xy", filename="x.csv", data=_csv(range(40)), template_id=template.id)
        problem = e.problems.create(
            admin,
            name="XY",
            template_id=template.id,
            target="y",
            problem_type="classification",
            metric="accuracy",
            size_train_dataset=20,
            test_dataset=[test.id],
        )
        e.problems.add_data(admin, [train.id], [problem.id])
        algo, _ = e.problems.add_algo(admin, problem.id, "linear", algorithm="linear")
        i.update(problem=problem.id, algo=algo.id, problem_data=train.id, problem_test=test.id)
        i["learnuplet"] = e.problems.learnuplets(admin, {"problem": problem.id})[0].id
        i["preduplet"] = e.problems.predict(admin, problem.id, [train.id])[0].id
    return str(i[key])


Call = Callable[[Engine, Any, dict[str, Any]], object]
PROBLEMS_MATRIX: list[tuple[str, Call, type[Exception] | None]] = [
    (
        "problems.create",
        lambda e, a, i: e.problems.create(
            a,
            name="P",
            template_id=i["template"],
            target="b",
            problem_type="classification",
            metric="f1",
            size_train_dataset=10,
        ),
        PermissionDenied,
    ),
    (
        "problems.add_test_data",
        lambda e, a, i: e.problems.add_test_data(a, _problem(e, i), i["dataset"]),
        PermissionDenied,
    ),
    ("problems.list", lambda e, a, i: e.problems.list(a), ALLOWED),
    ("problems.get", lambda e, a, i: e.problems.get(a, _problem(e, i)), ALLOWED),
    (
        "problems.add_algo",
        lambda e, a, i: e.problems.add_algo(a, _problem(e, i), "z", algorithm="linear"),
        PermissionDenied,
    ),
    ("problems.algos", lambda e, a, i: e.problems.algos(a), ALLOWED),
    ("problems.algo", lambda e, a, i: e.problems.algo(a, _problem(e, i, "algo")), ALLOWED),
    ("problems.add_data", lambda e, a, i: e.problems.add_data(a, [i["dataset"]], [_problem(e, i)]), PermissionDenied),
    ("problems.data", lambda e, a, i: e.problems.data(a), ALLOWED),
    ("problems.data_item", lambda e, a, i: e.problems.data_item(a, _problem(e, i, "problem_data")), ALLOWED),
    ("problems.learnuplets", lambda e, a, i: e.problems.learnuplets(a), ALLOWED),
    ("problems.learnuplet", lambda e, a, i: e.problems.learnuplet(a, _problem(e, i, "learnuplet")), ALLOWED),
    ("problems.predict", lambda e, a, i: e.problems.predict(a, _problem(e, i), [i["dataset"]]), PermissionDenied),
    ("problems.preduplets", lambda e, a, i: e.problems.preduplets(a), ALLOWED),
    ("problems.preduplet", lambda e, a, i: e.problems.preduplet(a, _problem(e, i, "preduplet")), ALLOWED),
    ("problems.leaderboard", lambda e, a, i: e.problems.leaderboard(a, _problem(e, i)), ALLOWED),
    (
        "problems.test_predictions",
        lambda e, a, i: e.problems.test_predictions(a, _problem(e, i, "learnuplet")),
        PermissionDenied,
    ),
    (
        "problems.claim",
        lambda e, a, i: e.problems.claim(a, "learnuplet", _problem(e, i, "learnuplet"), "w"),
        PermissionDenied,
    ),
    (
        "problems.learn_done",
        lambda e, a, i: e.problems.learn_done(a, _problem(e, i, "learnuplet"), "failed"),
        PermissionDenied,
    ),
    (
        "problems.pred_done",
        lambda e, a, i: e.problems.pred_done(a, _problem(e, i, "preduplet"), "failed"),
        PermissionDenied,
    ),
]
PROBLEMS_TENANT_FREE = {
    "problems.create",
    "problems.list",
    "problems.algos",
    "problems.data",
    "problems.learnuplets",
    "problems.preduplets",
}
