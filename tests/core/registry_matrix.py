"""The registry's, deployments' and drift's lines of the permission matrix (``test_permission_matrix``): what a
viewer gets, and (for lines outside ``TENANT_FREE``) NotFound for another tenant's administrator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core import Engine, PermissionDenied
from tests.core.registry_support import diabetes_csv, ridge_skops

ALLOWED = None


def _registered(e: Engine, i: dict[str, Any]) -> str:
    """A model registered from outside by the first tenant's admin, with one skops version and an alias."""
    if "registered" not in i:
        admin = e.users.actor_for(i["admin"])
        model = e.registry.register(admin, "Ridge", "regression")
        e.registry.upload(admin, model.id, "model", "ridge.skops", ridge_skops())
        i["registered"], i["version"] = model.id, e.registry.versions(admin, model.id)[0].id
        e.registry.set_alias(admin, model.id, "champion", 1)
    return str(i["registered"])


def _version(e: Engine, i: dict[str, Any]) -> str:
    _registered(e, i)
    return str(i["version"])


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
    ("registry.train", lambda e, a, i: e.registry.train(a, _registered(e, i)), PermissionDenied),
]
REGISTRY_TENANT_FREE = {"registry.register", "registry.list"}
