"""Named permissions and the built-in roles made of them."""

from __future__ import annotations

from collections.abc import Collection

from core.errors import InvalidInput, Problem

PERMISSIONS: dict[str, str] = {
    "templates:read": "See templates",
    "templates:write": "Create, edit and delete templates",
    "datasets:read": "See datasets, previews and statistics",
    "datasets:write": "Upload and delete datasets",
    "files:read": "See and download files",
    "files:write": "Add and delete files",
    "models:read": "See models and their summaries",
    "models:train": "Train and delete models",
    "models:download": "Download model files",
    "models:register": "Register models, edit their metadata, versions and aliases",
    "deployments:read": "See deployments, their operations and drift checks",
    "deployments:manage": "Create, start, stop and delete deployments and record their operations",
    "inference:run": "Run predictions and forecasts",
    "predictions:read": "See the predictions log",
    "attribution:read": "See samples and attribution results",
    "attribution:submit": "Submit and revoke samples",
    "attribution:library": "Manage the reference library",
    "problems:manage": "Create problems and read their hidden test data",
    "problems:work": "Take and finish problems' learning and prediction tasks (compute workers)",
    "jobs:read": "See the tenant's jobs",
    "jobs:cancel": "Cancel anyone's jobs in the tenant",
    "users:manage": "Create users, assign roles, reset passwords",
    "audit:read": "Read the audit log",
}

_READ = [p for p in PERMISSIONS if p.endswith(":read")]
BUILTIN_ROLES: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "analyst": frozenset(
        [
            *_READ,
            "templates:write",
            "datasets:write",
            "files:write",
            "models:train",
            "models:download",
            "models:register",
            "deployments:manage",
            "inference:run",
            "attribution:submit",
            "attribution:library",
        ]
    ).difference({"audit:read"}),
    "viewer": frozenset(_READ).difference({"audit:read"}),
    "worker": frozenset(["problems:work"]),  # a compute worker's token: the worker routes and nothing else
}

PLATFORM_PERMISSION = "tenants:manage"  # held only by platform administrators, never by a role

# What a refusal names: every permission a service may require, including the platform one no role grants.
LABELS: dict[str, str] = {**PERMISSIONS, PLATFORM_PERMISSION: "Create and list tenants (platform administrators only)"}


def check_permission_names(names: list[str], custom: Collection[str] = ()) -> frozenset[str]:
    """The names as a set, refusing any that is neither built in nor one of the tenant's ``custom`` names."""
    unknown = [n for n in names if n not in PERMISSIONS and n not in custom]
    if unknown:
        raise InvalidInput("Unknown permission names.", [Problem("unknown permission", field=n) for n in unknown])
    if not names:
        raise InvalidInput("A role needs at least one permission.", [Problem("empty", field="permissions")])
    return frozenset(names)
