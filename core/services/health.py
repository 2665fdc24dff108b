"""Versions and health of the workspace, for the About page and monitoring."""

from __future__ import annotations

import platform
from importlib import metadata
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.entities import Actor
from core.services.base import Service
from core.version import APP_VERSION

LIBRARIES = (
    "streamlit",
    "pandas",
    "pyarrow",
    "plotly",
    "sqlalchemy",
    "scikit-learn",
    "shap",
    "statsforecast",
    "skops",
    "duckdb",
    "capstone",
    "pyelftools",
    "datasketch",
    "py-tlsh",
)


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "dataml-studio": APP_VERSION}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


class HealthService(Service):
    def alive(self) -> bool:
        """For unauthenticated probes (the API's health check): whether the database and file store work."""
        return bool(self._database(platform=False)["ok"]) and self._files_ok()

    def status(self, actor: Actor) -> dict[str, Any]:
        """Open to every signed-in user: whether things work, no tenant data. The file store's counts and bytes
        span every tenant, and the database's address and errors describe the server, so only platform
        administrators get them."""
        settings, store, platform = self.settings, self.store, actor.is_platform_admin
        database, files_ok = self._database(platform=platform), self._files_ok()
        file_store: dict[str, Any] = {"ok": files_ok}
        if platform:
            file_store["files"], file_store["bytes"] = store.usage()
        return {
            "versions": library_versions(),
            "database": database,
            "file_store": file_store,
            "jobs": {"runner": settings.job_runner, "max_parallel": settings.max_jobs},
            "limits": {"max_upload_mb": settings.max_upload_mb},
        }

    def _database(self, *, platform: bool) -> dict[str, Any]:
        """Whether the database answers; its address and error text only for ``platform`` administrators."""
        database: dict[str, Any] = {}
        if platform:
            database["url"] = make_url(self.settings.database_url).render_as_string(hide_password=True)
        try:
            with self.db.session() as session:
                session.execute(text("SELECT 1"))
            database["ok"] = True
        except Exception as exc:  # health reporting must not fail itself
            database.update(ok=False, error=str(exc) if platform else "The database does not answer.")
        return database

    def _files_ok(self) -> bool:
        return self.store.writable()
