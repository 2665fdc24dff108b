"""DataML Studio engine. Pages, tests, benchmarks and scripts all go through ``Engine``.

    from core import Engine, ColumnSpec
    eng = Engine.open(home=None, database_url=None, runner="process")   # DATAML_* fill the gaps
    admin = eng.users.bootstrap_admin(username=..., password=..., email=...)  # only when no user exists
    actor = eng.users.authenticate(username, password)                       # Actor or PermissionDenied

Services (each method takes the acting ``Actor`` first and checks permission and tenant):

- ``eng.users``: needs_bootstrap, bootstrap_admin, authenticate, actor_for, change_password,
  list, create, set_role, set_active, reset_password, roles, create_role, delete_role
- ``eng.tenants``: list, create (platform administrators)
- ``eng.jobs``: get, list, cancel, wait, selftest; other services submit jobs through ``submit``
- ``eng.audit``: list, frame
- ``eng.files``: add, list, get, download, head, delete (files are addressed by id only)
- ``eng.health``: status (versions, database, file store)

Additions to DESIGN.md §3: ``eng.users.needs_bootstrap()``, ``eng.jobs.selftest()``, ``eng.health``.
Job task functions receive ``(ctx, params)`` where ``ctx.engine``, ``ctx.job`` and ``ctx.actor`` are set.
"""

from core.engine import Engine
from core.entities import Actor, ColumnSpec, FileInfo, Job, Role, Tenant, User
from core.errors import Conflict, CoreError, InvalidInput, JobFailed, NotFound, PermissionDenied, Problem

__all__ = [
    "Actor",
    "ColumnSpec",
    "Conflict",
    "CoreError",
    "Engine",
    "FileInfo",
    "InvalidInput",
    "Job",
    "JobFailed",
    "NotFound",
    "PermissionDenied",
    "Problem",
    "Role",
    "Tenant",
    "User",
]
