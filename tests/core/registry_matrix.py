"""The registry's, deployments' and drift's lines of the permission matrix (``test_permission_matrix``): what a
viewer gets, and (for lines outside ``TENANT_FREE``) NotFound for another tenant's administrator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core import Engine, PermissionDenied
from tests.core.registry_support import diabetes_csv, ridge_skops

ALLOWED = None
ROW = [0.03, 0.05, 0.06, 0.02, -0.04, -0.03, -0.04, 0.0, 0.02, -0.02]  # a diabetes row, in feature order


def _registered(e: Engine, i: dict[str, Any]) -> str:
    """A model registered from outside by the first tenant's admin, with one skops version and an alias."""
    if "registered" not in i:
        admin = e.users.actor_for(i["admin"])
        model = e.registry.register(admin, "Ridge", "regression")
        e.registry.upload(admin, model.id, "model", "ridge.skops", ridge_skops())
        e.registry.upload(admin, model.id, "data", "train.csv", diabetes_csv(100))
        i["registered"], i["version"] = model.id, e.registry.versions(admin, model.id)[0].id
        e.registry.set_alias(admin, model.id, "champion", 1)
    return str(i["registered"])


def _version(e: Engine, i: dict[str, Any]) -> str:
    _registered(e, i)
    return str(i["version"])


def _deployment(e: Engine, i: dict[str, Any]) -> str:
    """A running deployment of that model, with one operation of two rows."""
    if "deployment" not in i:
        admin = e.users.actor_for(i["admin"])
        i["deployment"] = e.deployments.create(admin, _registered(e, i), owner="agent-1").id
        e.deployments.predict(admin, i["deployment"], [ROW, ROW])
    return str(i["deployment"])


def _drift_check(e: Engine, i: dict[str, Any]) -> str:
    if "drift_check" not in i:
        job = e.drift.check(e.users.actor_for(i["admin"]), deployment_id=_deployment(e, i))
        assert job.result is not None, job.error
        i["drift_check"] = job.result["drift_check_id"]
    return str(i["drift_check"])


Call = Callable[[Engine, Any, dict[str, Any]], object]
REGISTRY_MATRIX: list[tuple[str, Call, type[Exception] | None]] = [
    ("registry.register", lambda e, a, i: e.registry.register(a, "Other", "regression"), PermissionDenied),
    ("registry.list", lambda e, a, i: e.registry.list(a), ALLOWED),
    ("registry.get", lambda e, a, i: e.registry.get(a, _registered(e, i)), ALLOWED),
    ("registry.update", lambda e, a, i: e.registry.update(a, _registered(e, i), {"tags": ["x"]}), PermissionDenied),
    ("registry.delete", lambda e, a, i: e.registry.delete(a, _registered(e, i)), PermissionDenied),
    (
        "registry.upload",
        lambda e, a, i: e.registry.upload(a, _registered(e, i), "data", "d.csv", diabetes_csv(20)),
        PermissionDenied,
    ),
    ("registry.artifacts", lambda e, a, i: e.registry.artifacts(a, _registered(e, i)), ALLOWED),
    ("registry.versions", lambda e, a, i: e.registry.versions(a, _registered(e, i)), ALLOWED),
    ("registry.version", lambda e, a, i: e.registry.version(a, _version(e, i)), ALLOWED),
    (
        "registry.describe_version",
        lambda e, a, i: e.registry.describe_version(a, _version(e, i), description="x"),
        PermissionDenied,
    ),
    (
        "registry.set_alias",
        lambda e, a, i: e.registry.set_alias(a, _registered(e, i), "challenger", 1),
        PermissionDenied,
    ),
    (
        "registry.remove_alias",
        lambda e, a, i: e.registry.remove_alias(a, _registered(e, i), "champion"),
        PermissionDenied,
    ),
    ("registry.alias_history", lambda e, a, i: e.registry.alias_history(a, _registered(e, i)), ALLOWED),
    ("registry.card", lambda e, a, i: e.registry.card(a, _version(e, i)), ALLOWED),
    ("registry.train", lambda e, a, i: e.registry.train(a, _registered(e, i)), PermissionDenied),
    ("deployments.create", lambda e, a, i: e.deployments.create(a, _registered(e, i)), PermissionDenied),
    ("deployments.list", lambda e, a, i: e.deployments.list(a), ALLOWED),
    ("deployments.get", lambda e, a, i: e.deployments.get(a, _deployment(e, i)), ALLOWED),
    ("deployments.stop", lambda e, a, i: e.deployments.stop(a, _deployment(e, i)), PermissionDenied),
    ("deployments.start", lambda e, a, i: e.deployments.start(a, _deployment(e, i)), PermissionDenied),
    ("deployments.delete", lambda e, a, i: e.deployments.delete(a, _deployment(e, i)), PermissionDenied),
    ("deployments.predict", lambda e, a, i: e.deployments.predict(a, _deployment(e, i), ROW), PermissionDenied),
    (
        "deployments.add_operation",
        lambda e, a, i: e.deployments.add_operation(a, _deployment(e, i), data=ROW),
        PermissionDenied,
    ),
    ("deployments.operations", lambda e, a, i: e.deployments.operations(a, _deployment(e, i)), ALLOWED),
    ("drift.check", lambda e, a, i: e.drift.check(a, deployment_id=_deployment(e, i)), PermissionDenied),
    ("drift.checks", lambda e, a, i: e.drift.checks(a, deployment_id=_deployment(e, i)), ALLOWED),
    ("drift.get", lambda e, a, i: e.drift.get(a, _drift_check(e, i)), ALLOWED),
]
REGISTRY_TENANT_FREE = {"registry.register", "registry.list", "deployments.list"}
