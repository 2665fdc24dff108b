"""Every service method, called as a viewer and as another tenant's admin: refused, and nothing leaks.

Each entry: (name, call(engine, actor, ids), what a viewer gets). Add a line when a service gains a
method (a test fails otherwise), or an UNCHECKED entry saying why it needs no permission. ``ids`` holds
resources of the first tenant, made once for the module by the ``shared`` fixture.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from core import Actor, ColumnSpec, Engine, NotFound, PermissionDenied
from core.entities import TrainRequest
from core.jobs.tasks import TASKS
from core.security.permissions import LABELS, PLATFORM_PERMISSION
from core.services.base import Service
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD, make_user
from tests.core.problems_matrix import PROBLEMS_MATRIX, PROBLEMS_TENANT_FREE
from tests.core.registry_matrix import REGISTRY_MATRIX, REGISTRY_TENANT_FREE

Call = Callable[[Engine, Actor, dict[str, Any]], object]
ALLOWED = None  # a viewer may do this (reads)

CSV = b"a,b\n1,x\n2,y\n"
ROOT = Path(__file__).resolve().parents[2]
PERMISSION_NAME = re.compile(r"[a-z]+:[a-z]+")


def _change_and_restore_password(e: Engine, actor: Actor) -> None:
    """The matrix's users are shared by every line: this one leaves the password as it found it."""
    e.users.change_password(actor, USER_PASSWORD, "changed-pass-123")
    e.users.change_password(actor, "changed-pass-123", USER_PASSWORD)


def _scoring_model(e: Engine, i: dict[str, Any]) -> str:
    """A model (features a, b) trained on first use by the tenant's analyst: only inference lines pay for it."""
    if "scoring_model" not in i:
        analyst = e.users.actor_for(i["analyst"])
        rows = "a,b,c\n" + "".join(f"{n},{'xy'[n % 2]},{'pq'[n % 3 == 0]}\n" for n in range(40))
        dataset = e.datasets.upload(analyst, name="scoring", filename="s.csv", data=rows.encode())
        job = e.training.submit(
            analyst, TrainRequest(dataset_id=dataset.id, name="scorer", target="c", time_budget_s=1, explain=False)
        )
        assert job.result is not None, job.error
        i["scoring_model"] = job.result["model_id"]
        i["batch"] = e.inference.predict_batch(analyst, i["scoring_model"], dataset_id=i["dataset"]).id
    return str(i["scoring_model"])


def _forecast_model(e: Engine, i: dict[str, Any]) -> str:
    """A forecaster of one 10-month series (trains in a moment) and a forecast job of it."""
    if "forecast_model" not in i:
        analyst = e.users.actor_for(i["analyst"])
        rows = "month,y\n" + "".join(f"2020-{m:02d}-01,{m * 3 % 7}\n" for m in range(1, 11))
        dataset = e.datasets.upload(analyst, name="months", filename="m.csv", data=rows.encode())
        job = e.training.submit(
            analyst,
            TrainRequest(dataset_id=dataset.id, name="fc", target="y", problem_type="forecast", time_column="month"),
        )
        assert job.result is not None, job.error
        i["forecast_model"] = job.result["model_id"]
        i["forecast_job"] = e.forecasts.submit(analyst, i["forecast_model"], steps=2).id
    return str(i["forecast_model"])


def _forecast_job(e: Engine, i: dict[str, Any]) -> str:
    _forecast_model(e, i)
    return str(i["forecast_job"])


def _forecast_request(i: dict[str, Any]) -> TrainRequest:
    return TrainRequest(dataset_id=i["dataset"], name="f", target="a", problem_type="forecast", time_column="b")


def _train_request(i: dict[str, Any]) -> TrainRequest:
    return TrainRequest(dataset_id=i["dataset"], name="m", target="b", time_budget_s=1)


def _scored_batch(e: Engine, i: dict[str, Any]) -> str:
    _scoring_model(e, i)
    return str(i["batch"])


def _attribution(e: Engine, i: dict[str, Any], key: str) -> str:
    """A reference, an index and a finished sample of the first tenant, made on first use by its admin."""
    if "sample" not in i:
        admin = e.users.actor_for(i["admin"])
        i["reference"] = e.attribution.add_reference(
            admin, family="coreutils", filename="true", data=Path("/usr/bin/true").read_bytes()
        ).id
        e.attribution.rebuild_index(admin)
        i["sample"] = e.attribution.submit(admin, "false", Path("/usr/bin/false").read_bytes()).id
    return str(i[key])


MATRIX: list[tuple[str, Call, type[Exception] | None]] = [
    ("users.list", lambda e, a, i: e.users.list(a), PermissionDenied),
    (
        "users.create",
        lambda e, a, i: e.users.create(a, username="zed", password=USER_PASSWORD, email="z@example.com", role="viewer"),
        PermissionDenied,
    ),
    ("users.set_role", lambda e, a, i: e.users.set_role(a, i["analyst"], "admin"), PermissionDenied),
    ("users.set_active", lambda e, a, i: e.users.set_active(a, i["analyst"], False), PermissionDenied),
    ("users.reset_password", lambda e, a, i: e.users.reset_password(a, i["analyst"], USER_PASSWORD), PermissionDenied),
    ("users.create_role", lambda e, a, i: e.users.create_role(a, "extra", ["models:read"]), PermissionDenied),
    ("users.delete_role", lambda e, a, i: e.users.delete_role(a, i["role"]), PermissionDenied),
    ("users.roles", lambda e, a, i: e.users.roles(a), PermissionDenied),
    ("users.change_password", lambda e, a, i: _change_and_restore_password(e, a), ALLOWED),
    ("users.sign_out", lambda e, a, i: e.users.sign_out(a), ALLOWED),
    ("users.me", lambda e, a, i: e.users.me(a), ALLOWED),
    ("users.get", lambda e, a, i: e.users.get(a, i["analyst"]), PermissionDenied),
    ("users.permissions", lambda e, a, i: e.users.permissions(a), PermissionDenied),
    ("users.create_permission", lambda e, a, i: e.users.create_permission(a, "can_approve"), PermissionDenied),
    (
        "users.reset_password_by_name",
        lambda e, a, i: e.users.reset_password_by_name(a, "ana", USER_PASSWORD),
        PermissionDenied,
    ),
    (
        "tenants.create",
        lambda e, a, i: e.tenants.create(
            a, name="Rogue", admin_username="rogue", admin_password=USER_PASSWORD, admin_email="r@example.com"
        ),
        PermissionDenied,
    ),
    ("tenants.list", lambda e, a, i: e.tenants.list(a), PermissionDenied),
    ("audit.list", lambda e, a, i: e.audit.list(a), PermissionDenied),
    ("audit.frame", lambda e, a, i: e.audit.frame(a), PermissionDenied),
    ("audit.security_log", lambda e, a, i: e.audit.security_log(a), PermissionDenied),
    ("jobs.get", lambda e, a, i: e.jobs.get(a, i["job"]), ALLOWED),
    ("jobs.list", lambda e, a, i: e.jobs.list(a), ALLOWED),
    ("jobs.wait", lambda e, a, i: e.jobs.wait(a, i["job"], timeout=5), ALLOWED),
    ("jobs.selftest", lambda e, a, i: e.jobs.selftest(a, steps=1), ALLOWED),
    (
        "jobs.submit",
        lambda e, a, i: e.jobs.submit(a, "train_tabular", "m", _train_request(i).to_params()),
        PermissionDenied,
    ),
    ("jobs.cancel", lambda e, a, i: e.jobs.cancel(a, i["job"]), PermissionDenied),
    ("jobs.terminate", lambda e, a, i: e.jobs.terminate(a, i["job"], "selftest"), PermissionDenied),
    ("files.get", lambda e, a, i: e.files.get(a, i["file"]), ALLOWED),
    ("files.list", lambda e, a, i: e.files.list(a), ALLOWED),
    ("files.download", lambda e, a, i: e.files.download(a, i["file"]), ALLOWED),
    ("files.add", lambda e, a, i: e.files.add(a, filename="x.txt", data=b"x"), PermissionDenied),
    ("files.delete", lambda e, a, i: e.files.delete(a, i["file"]), PermissionDenied),
    ("templates.get", lambda e, a, i: e.templates.get(a, i["template"]), ALLOWED),
    ("templates.list", lambda e, a, i: e.templates.list(a), ALLOWED),
    ("templates.create", lambda e, a, i: e.templates.create(a, "t2", [ColumnSpec("a", "integer")]), PermissionDenied),
    (
        "templates.update",
        lambda e, a, i: e.templates.update(a, i["template"], name="t", columns=[ColumnSpec("a")]),
        PermissionDenied,
    ),
    ("templates.delete", lambda e, a, i: e.templates.delete(a, i["template"]), PermissionDenied),
    ("templates.export_json", lambda e, a, i: e.templates.export_json(a, i["template"]), ALLOWED),
    ("datasets.get", lambda e, a, i: e.datasets.get(a, i["dataset"]), ALLOWED),
    ("datasets.list", lambda e, a, i: e.datasets.list(a), ALLOWED),
    ("datasets.path", lambda e, a, i: e.datasets.path(a, i["dataset"]), ALLOWED),
    ("datasets.frame", lambda e, a, i: e.datasets.frame(a, i["dataset"]), ALLOWED),
    ("datasets.load_samples", lambda e, a, i: e.datasets.load_samples(a), PermissionDenied),
    ("datasets.preview", lambda e, a, i: e.datasets.preview(a, i["dataset"]), ALLOWED),
    ("datasets.statistics", lambda e, a, i: e.datasets.statistics(a, i["dataset"]), ALLOWED),
    ("datasets.report_csv", lambda e, a, i: e.datasets.report_csv(a, i["dataset"]), ALLOWED),
    ("datasets.csv", lambda e, a, i: e.datasets.csv(a, i["dataset"]), ALLOWED),
    (
        "datasets.upload",
        lambda e, a, i: e.datasets.upload(a, filename="n.csv", data=CSV, template_id=i["template"]),
        PermissionDenied,
    ),
    ("datasets.delete", lambda e, a, i: e.datasets.delete(a, i["dataset"]), PermissionDenied),
    ("files.preview", lambda e, a, i: e.files.preview(a, i["file"]), ALLOWED),
    ("files.head", lambda e, a, i: e.files.head(a, i["file"]), ALLOWED),
    (
        "templates.import_json",
        lambda e, a, i: e.templates.import_json(a, b'{"name": "j", "columns": [{"name": "a"}]}'),
        PermissionDenied,
    ),
    ("templates.infer_from_file", lambda e, a, i: e.templates.infer_from_file(a, "x.csv", CSV), PermissionDenied),
    ("datasets.check", lambda e, a, i: e.datasets.check(a, "n.csv", CSV, template_id=i["template"]), PermissionDenied),
    ("datasets.sheets", lambda e, a, i: e.datasets.sheets(a, "n.csv", CSV), PermissionDenied),
    ("datasets.table", lambda e, a, i: e.datasets.table(a, i["dataset"]), ALLOWED),
    ("datasets.histogram", lambda e, a, i: e.datasets.histogram(a, i["dataset"], "a"), ALLOWED),
    ("datasets.value_counts", lambda e, a, i: e.datasets.value_counts(a, i["dataset"], "b"), ALLOWED),
    ("datasets.correlation", lambda e, a, i: e.datasets.correlation(a, i["dataset"]), ALLOWED),
    ("datasets.stored_statistics", lambda e, a, i: e.datasets.stored_statistics(a, i["dataset"]), ALLOWED),
    ("datasets.generate_statistics", lambda e, a, i: e.datasets.generate_statistics(a, i["dataset"]), ALLOWED),
    (
        "dataset_files.upload",
        lambda e, a, i: e.dataset_files.upload(a, name="n", files=[("n.csv", CSV)]),
        PermissionDenied,
    ),
    (
        "dataset_files.add",
        lambda e, a, i: e.dataset_files.add(a, i["dataset"], files=[("n.csv", CSV)]),
        PermissionDenied,
    ),
    (
        "dataset_files.replace",
        lambda e, a, i: e.dataset_files.replace(a, i["dataset"], files=[("n.csv", CSV)], change="new rows"),
        PermissionDenied,
    ),
    ("dataset_files.remove", lambda e, a, i: e.dataset_files.remove(a, i["dataset_file"]), PermissionDenied),
    ("dataset_files.delete_file", lambda e, a, i: e.dataset_files.delete_file(a, i["dataset_file"]), PermissionDenied),
    ("dataset_files.list", lambda e, a, i: e.dataset_files.list(a, i["dataset"]), ALLOWED),
    ("dataset_files.of_file", lambda e, a, i: e.dataset_files.of_file(a, i["dataset_file"]), ALLOWED),
    ("dataset_files.versions", lambda e, a, i: e.dataset_files.versions(a, i["dataset"]), ALLOWED),
    ("dataset_files.facts", lambda e, a, i: e.dataset_files.facts(a), ALLOWED),
    ("inference.form_fields", lambda e, a, i: e.inference.form_fields(a, _scoring_model(e, i)), ALLOWED),
    (
        "inference.predict_one",
        lambda e, a, i: e.inference.predict_one(a, _scoring_model(e, i), {"a": 1, "b": "x"}),
        PermissionDenied,
    ),
    (
        "inference.predict_batch",
        lambda e, a, i: e.inference.predict_batch(a, _scoring_model(e, i), dataset_id=i["dataset"]),
        PermissionDenied,
    ),
    ("inference.batch_result", lambda e, a, i: e.inference.batch_result(a, _scored_batch(e, i)), ALLOWED),
    ("inference.log", lambda e, a, i: e.inference.log(a), ALLOWED),
    ("predictions.list", lambda e, a, i: e.predictions.list(a), ALLOWED),
    ("predictions.count", lambda e, a, i: e.predictions.count(a), ALLOWED),
    ("predictions.frame", lambda e, a, i: e.predictions.frame(a), ALLOWED),
    ("predictions.result", lambda e, a, i: e.predictions.result(a, _scored_batch(e, i)), ALLOWED),
    (
        "predictions.evaluate",
        lambda e, a, i: e.predictions.evaluate(a, _scoring_model(e, i), i["dataset"]),
        PermissionDenied,
    ),
    ("models.list", lambda e, a, i: e.models.list(a), ALLOWED),
    ("models.get", lambda e, a, i: e.models.get(a, _scoring_model(e, i)), ALLOWED),
    ("models.of_training", lambda e, a, i: e.models.of_training(a, _scoring_model(e, i)), ALLOWED),
    ("models.latest", lambda e, a, i: _scoring_model(e, i) and e.models.latest(a, "scorer"), ALLOWED),
    ("models.update", lambda e, a, i: e.models.update(a, _scoring_model(e, i), domain="x"), PermissionDenied),
    ("training.list", lambda e, a, i: e.training.list(a), ALLOWED),
    ("training.get", lambda e, a, i: e.training.get(a, _scoring_model(e, i)), ALLOWED),
    ("models.pipeline", lambda e, a, i: e.models.pipeline(a, _scoring_model(e, i)), ALLOWED),
    ("models.holdout", lambda e, a, i: e.models.holdout(a, _scoring_model(e, i)), ALLOWED),
    ("models.background", lambda e, a, i: e.models.background(a, _scoring_model(e, i)), ALLOWED),
    ("models.summary", lambda e, a, i: e.models.summary(a, _scoring_model(e, i)), ALLOWED),
    ("models.schema_json", lambda e, a, i: e.models.schema_json(a, _scoring_model(e, i)), ALLOWED),
    ("models.importance", lambda e, a, i: e.models.importance(a, _scoring_model(e, i)), ALLOWED),
    ("models.feature_importance", lambda e, a, i: e.models.feature_importance(a, _scoring_model(e, i)), ALLOWED),
    ("models.download", lambda e, a, i: e.models.download(a, _scoring_model(e, i)), PermissionDenied),
    ("models.explain", lambda e, a, i: e.models.explain(a, _scoring_model(e, i)), PermissionDenied),
    ("models.delete_importance", lambda e, a, i: e.models.delete_importance(a, _scoring_model(e, i)), PermissionDenied),
    ("models.delete", lambda e, a, i: e.models.delete(a, _scoring_model(e, i)), PermissionDenied),
    ("training.check", lambda e, a, i: e.training.check(a, _train_request(i)), PermissionDenied),
    ("training.submit", lambda e, a, i: e.training.submit(a, _train_request(i)), PermissionDenied),
    ("forecasts.check", lambda e, a, i: e.forecasts.check(a, _forecast_request(i)), PermissionDenied),
    ("forecasts.series", lambda e, a, i: e.forecasts.series(a, _forecast_model(e, i)), ALLOWED),
    ("forecasts.history", lambda e, a, i: e.forecasts.history(a, _forecast_model(e, i)), ALLOWED),
    ("forecasts.summary", lambda e, a, i: e.forecasts.summary(a, _forecast_model(e, i)), ALLOWED),
    ("forecasts.forecast", lambda e, a, i: e.forecasts.forecast(a, _forecast_model(e, i), steps=2), PermissionDenied),
    ("forecasts.submit", lambda e, a, i: e.forecasts.submit(a, _forecast_model(e, i), steps=2), PermissionDenied),
    ("forecasts.result", lambda e, a, i: e.forecasts.result(a, _forecast_job(e, i)), ALLOWED),
    ("inference.forecast", lambda e, a, i: e.inference.forecast(a, _forecast_model(e, i), steps=2), PermissionDenied),
    (
        "attribution.add_reference",
        lambda e, a, i: e.attribution.add_reference(a, family="f", filename="x", data=b"x" * 64),
        PermissionDenied,
    ),
    (
        "attribution.add_references",
        lambda e, a, i: e.attribution.add_references(a, family="f", files=[("x", b"x")]),
        PermissionDenied,
    ),
    ("attribution.list_references", lambda e, a, i: e.attribution.list_references(a), ALLOWED),
    ("attribution.families", lambda e, a, i: e.attribution.families(a), ALLOWED),
    ("attribution.library", lambda e, a, i: e.attribution.library(a), ALLOWED),
    ("attribution.versions", lambda e, a, i: e.attribution.versions(a), ALLOWED),
    (
        "attribution.remove_reference",
        lambda e, a, i: e.attribution.remove_reference(a, _attribution(e, i, "reference")),
        PermissionDenied,
    ),
    ("attribution.rebuild_index", lambda e, a, i: e.attribution.rebuild_index(a), PermissionDenied),
    ("attribution.submit", lambda e, a, i: e.attribution.submit(a, "x", b"x" * 64), PermissionDenied),
    ("attribution.list_samples", lambda e, a, i: e.attribution.list_samples(a), ALLOWED),
    ("attribution.get_sample", lambda e, a, i: e.attribution.get_sample(a, _attribution(e, i, "sample")), ALLOWED),
    ("attribution.status", lambda e, a, i: e.attribution.status(a, _attribution(e, i, "sample")), ALLOWED),
    ("attribution.results", lambda e, a, i: e.attribution.results(a, _attribution(e, i, "sample")), ALLOWED),
    ("attribution.results_csv", lambda e, a, i: e.attribution.results_csv(a, _attribution(e, i, "sample")), ALLOWED),
    ("attribution.results_json", lambda e, a, i: e.attribution.results_json(a, _attribution(e, i, "sample")), ALLOWED),
    ("attribution.revoke", lambda e, a, i: e.attribution.revoke(a, _attribution(e, i, "sample")), PermissionDenied),
    ("attribution.delete", lambda e, a, i: e.attribution.delete(a, _attribution(e, i, "sample")), PermissionDenied),
    (
        "attribution.result",
        lambda e, a, i: e.attribution.result(a, _attribution(e, i, "sample"), "tlsh_similarity"),
        ALLOWED,
    ),
    (
        "attribution.delete_prediction",
        lambda e, a, i: e.attribution.delete_prediction(a, _attribution(e, i, "sample"), "tlsh_similarity"),
        PermissionDenied,
    ),
    ("attribution.rerun", lambda e, a, i: e.attribution.rerun(a, _attribution(e, i, "sample")), PermissionDenied),
]

MATRIX += REGISTRY_MATRIX + PROBLEMS_MATRIX

DROP_B = {"steps": [{"kind": "drop", "columns": ["b"]}]}


def _recipe(e: Engine, i: dict[str, Any]) -> str:
    """A recipe of the first tenant's dataset, saved on first use by its admin."""
    if "recipe" not in i:
        i["recipe"] = e.recipes.create(e.users.actor_for(i["admin"]), "drop b", i["dataset"], DROP_B).id
    return str(i["recipe"])


MATRIX += [
    ("recipes.preview", lambda e, a, i: e.recipes.preview(a, i["dataset"], DROP_B), ALLOWED),
    ("recipes.create", lambda e, a, i: e.recipes.create(a, "r", i["dataset"], DROP_B), PermissionDenied),
    ("recipes.update", lambda e, a, i: e.recipes.update(a, _recipe(e, i), name="r2"), PermissionDenied),
    ("recipes.get", lambda e, a, i: e.recipes.get(a, _recipe(e, i)), ALLOWED),
    ("recipes.list", lambda e, a, i: e.recipes.list(a, i["dataset"]), ALLOWED),
    ("recipes.delete", lambda e, a, i: e.recipes.delete(a, _recipe(e, i)), PermissionDenied),
    ("recipes.export_json", lambda e, a, i: e.recipes.export_json(a, _recipe(e, i)), ALLOWED),
    (
        "recipes.import_json",
        lambda e, a, i: e.recipes.import_json(a, json.dumps(DROP_B).encode(), i["dataset"], "i"),
        PermissionDenied,
    ),
    ("recipes.suggest", lambda e, a, i: e.recipes.suggest(a, i["dataset"]), ALLOWED),
    ("recipes.run", lambda e, a, i: e.recipes.run(a, _recipe(e, i), "out"), PermissionDenied),
    ("recipes.lineage", lambda e, a, i: e.recipes.lineage(a, i["dataset"]), ALLOWED),
]

# the world's dataset "d.csv" lands as bronze.d and silver.d (columns a integer, b string)
MATRIX += [
    ("datalake.schemas", lambda e, a, i: e.datalake.schemas(a), ALLOWED),
    ("datalake.tables", lambda e, a, i: e.datalake.tables(a, "silver"), ALLOWED),
    ("datalake.table", lambda e, a, i: e.datalake.table(a, "silver", "d"), ALLOWED),
    ("datalake.of_dataset", lambda e, a, i: e.datalake.of_dataset(a, i["dataset"]), ALLOWED),
    ("datalake.columns", lambda e, a, i: e.datalake.columns(a, "bronze", "d"), ALLOWED),
    ("datalake.snapshots", lambda e, a, i: e.datalake.snapshots(a, "silver", "d"), ALLOWED),
    ("datalake.preview", lambda e, a, i: e.datalake.preview(a, "silver", "d"), ALLOWED),
    ("datalake.numeric_stats", lambda e, a, i: e.datalake.numeric_stats(a, "silver", "d", "a"), ALLOWED),
    ("datalake.distinct_count", lambda e, a, i: e.datalake.distinct_count(a, "silver", "d", "b"), ALLOWED),
    ("datalake.histogram", lambda e, a, i: e.datalake.histogram(a, "silver", "d", "a"), ALLOWED),
    ("datalake.query", lambda e, a, i: e.datalake.query(a, "SELECT * FROM silver.d"), ALLOWED),
    ("datalake.retry", lambda e, a, i: e.datalake.retry(a), PermissionDenied),
]

# Methods that take no resource id cannot leak a resource: another tenant just sees its own (empty) world.
TENANT_FREE = {
    "users.list",
    "users.create",
    "users.create_role",
    "users.roles",
    "users.change_password",
    "users.sign_out",
    "users.me",
    "users.permissions",
    "users.create_permission",
    "tenants.list",
    "tenants.create",
    "audit.list",
    "audit.frame",
    "audit.security_log",
    "jobs.list",
    "jobs.selftest",
    "jobs.submit",
    "files.add",
    "files.list",
    "templates.list",
    "templates.create",
    "templates.import_json",
    "templates.infer_from_file",
    "datasets.list",
    "datasets.load_samples",
    "datasets.sheets",
    "dataset_files.upload",
    "dataset_files.facts",
    "inference.log",
    "predictions.list",
    "predictions.count",
    "training.list",
    "predictions.frame",
    "models.list",
    "attribution.add_reference",
    "attribution.add_references",
    "attribution.list_references",
    "attribution.families",
    "attribution.library",
    "attribution.versions",
    "attribution.rebuild_index",
    "attribution.submit",
    "attribution.list_samples",
    *REGISTRY_TENANT_FREE,
    "datalake.schemas",
    "datalake.tables",
    "datalake.retry",
    # names tables in SQL: another tenant's table is refused as InvalidInput (tests/core/test_datalake_query.py)
    "datalake.query",
    *PROBLEMS_TENANT_FREE,
}


class Shared(NamedTuple):
    engine: Engine
    world: dict[str, Any]
    viewer: Actor
    outsider: Actor


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    """One workspace for the whole matrix: every line either reads or is refused, so none changes what the next
    one sees, and the models, forecasts and attribution runs some lines need are made once (on first use)."""
    engine = Engine.open(home=tmp_path_factory.mktemp("matrix") / "workspace", runner="inline")
    admin = engine.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
    analyst, viewer = make_user(engine, admin, "ana", "analyst"), make_user(engine, admin, "vic", "viewer")
    engine.tenants.create(
        admin, name="Other Org", admin_username="otto", admin_password=USER_PASSWORD, admin_email="otto@example.com"
    )
    template = engine.templates.create(admin, "t", [ColumnSpec("a", "integer"), ColumnSpec("b", "string")])
    dataset = engine.datasets.upload(admin, filename="d.csv", data=CSV, template_id=template.id)
    world = {
        "admin": admin.user_id,
        "role": engine.users.create_role(admin, "scorer", ["inference:run", "models:read"]).name,
        "analyst": analyst.user_id,
        "job": engine.jobs.selftest(admin, steps=1).id,
        "file": engine.files.add(admin, filename="notes.txt", data=b"hello").id,
        "template": template.id,
        "dataset": dataset.id,
        "dataset_file": engine.dataset_files.list(admin, dataset.id)[0].file_id,
    }
    yield Shared(engine, world, viewer, engine.users.authenticate("otto", USER_PASSWORD))
    engine.close()


@pytest.mark.parametrize(("name", "call", "viewer_gets"), MATRIX, ids=[m[0] for m in MATRIX])
def test_viewer_is_refused_writes(shared: Shared, name: str, call: Call, viewer_gets: type[Exception] | None) -> None:
    if viewer_gets is None:
        call(shared.engine, shared.viewer, shared.world)
    else:
        with pytest.raises(viewer_gets):
            call(shared.engine, shared.viewer, shared.world)


@pytest.mark.parametrize(
    ("name", "call"),
    [(m[0], m[1]) for m in MATRIX if m[0] not in TENANT_FREE],
    ids=[m[0] for m in MATRIX if m[0] not in TENANT_FREE],
)
def test_other_tenant_gets_not_found(shared: Shared, name: str, call: Call) -> None:
    with pytest.raises(NotFound):
        call(shared.engine, shared.outsider, shared.world)


# Public service methods outside MATRIX, and why they check no role.
UNCHECKED = {
    "users.needs_bootstrap": "before sign-in; tells only whether any user exists",
    "users.bootstrap_admin": "before sign-in; refused once any user exists",
    "users.authenticate": "is the sign-in itself",
    "users.actor_for": "server side; rebuilds the actor of a live session or a job's owner, takes no actor",
    "users.actor_for_remembered": "server side; the actor of a verified sign-in cookie, takes no actor",
    "users.actor_since": "server side; the actor of a verified cookie or API token, takes no actor",
    "tokens.sign_in": "is the sign-in itself (through users.authenticate)",
    "tokens.actor_for_access": "takes no actor; verifies a signed API token, then as users.actor_since",
    "tokens.refresh": "takes no actor; verifies a signed refresh token, then as users.actor_since",
    "tokens.revoke": "takes no actor; revokes the chain of a signed refresh token, which only narrows access",
    "datalake.close": "takes no actor; closes the lake catalog's database connections (Engine.close)",
    "health.alive": "takes no actor; a yes or no for unauthenticated probes, no details",
    "health.status": "any signed-in actor; versions and whether things work; workspace file counts, the database "
    "address and its errors only for platform administrators (test_hardening_identity)",
}


def _public_methods(engine: Engine) -> set[str]:
    return {
        f"{attribute}.{method}"
        for attribute, service in vars(engine).items()
        if isinstance(service, Service)
        for method, _ in inspect.getmembers(type(service), inspect.isfunction)
        if not method.startswith("_")
    }


def test_every_public_service_method_is_in_the_matrix_or_explained(engine: Engine) -> None:
    public, covered = _public_methods(engine), {m[0] for m in MATRIX}
    assert public - covered - UNCHECKED.keys() == set(), "add these to MATRIX, or to UNCHECKED with a reason"
    assert (covered | UNCHECKED.keys()) - public == set(), "these entries name methods that no longer exist"
    assert covered.isdisjoint(UNCHECKED)


def _permission_literals() -> set[str]:
    """Every "area:action" string constant in the app's code: permissions required, checked or shown in navigation."""
    sources = [ROOT / "app.py", *(p for folder in ("core", "ui", "pages") for p in (ROOT / folder).rglob("*.py"))]
    return {
        node.value
        for path in sources
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and PERMISSION_NAME.fullmatch(node.value)
    }


def test_every_permission_in_use_has_a_readable_label() -> None:
    literals = _permission_literals()
    assert "users:manage" in literals  # the scan finds them
    in_use = literals | {task.permission for task in TASKS.values()} | {PLATFORM_PERMISSION}
    assert {p for p in in_use if not LABELS.get(p, "").strip()} == set()


def test_tenant_admin_creating_a_tenant_is_refused_in_words(engine: Engine, outsider: Actor) -> None:
    with pytest.raises(PermissionDenied) as refused:
        engine.tenants.create(
            outsider, name="Third", admin_username="third", admin_password=USER_PASSWORD, admin_email="t@example.com"
        )
    assert refused.value.message == (
        "Your role (admin) does not allow you to create and list tenants (platform administrators only)."
    )
