"""Typed settings read from ``DATAML_*`` environment variables, with safe defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from core.errors import InvalidInput, Problem

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOME = REPO_ROOT / "data" / "workspace"
RUNNERS = ("process", "inline", "ray")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def _int_env(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, not {raw!r}.") from None
    if not minimum <= value <= maximum:
        raise InvalidInput(f"{name} must be between {minimum} and {maximum}, not {value}.")
    return value


def _switch_env(name: str, default: bool) -> bool:
    raw = (os.environ.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw not in ("on", "off"):
        raise InvalidInput(f"{name} must be on or off, not {raw!r}.")
    return raw == "on"


@dataclass(frozen=True)
class Settings:
    """Everything configurable about a workspace. Build with ``Settings.from_env``."""

    home: Path
    database_url: str
    cookie_key: str | None
    max_upload_mb: int
    job_runner: str
    max_jobs: int
    bcrypt_rounds: int
    explain_max_rows: int = 20_000  # batch files larger than this are scored without reasons per row
    login_max_failures: int = 5
    login_lockout_s: int = 300
    max_jobs_per_tenant: int = 0  # 0: half of max_jobs, rounded up (one tenant never holds every slot if > 1)
    lake_writes: bool = True  # DATAML_LAKE=off: uploads and batch predictions skip the datalake (read-only lake)
    ray_address: str | None = None  # DATAML_RAY_ADDRESS: ``auto``, ``host:port`` or ``ray://...``; None: local
    ray_dashboard_url: str | None = None  # DATAML_RAY_DASHBOARD_URL: shown beside each Ray job on the Jobs page
    files_root: Path | None = None  # DATAML_FILES_DIR: the file store, e.g. a directory every Ray node mounts
    files_url: str | None = None  # DATAML_FILES_URL: the file store on an object store (files_dir: its local cache)

    @classmethod
    def from_env(
        cls, home: str | Path | None = None, database_url: str | None = None, runner: str | None = None
    ) -> Settings:
        """Explicit arguments win over ``DATAML_*`` variables, which win over defaults."""
        home_path = Path(home or os.environ.get("DATAML_HOME") or DEFAULT_HOME).expanduser().resolve()
        url = database_url or os.environ.get("DATAML_DATABASE_URL") or f"sqlite:///{home_path / 'dataml.db'}"
        settings = cls(
            home=home_path,
            database_url=url,
            cookie_key=os.environ.get("DATAML_COOKIE_KEY") or None,
            max_upload_mb=_int_env("DATAML_MAX_UPLOAD_MB", 200, 1, 10_000),
            job_runner=runner or os.environ.get("DATAML_JOB_RUNNER") or "process",
            max_jobs=_int_env("DATAML_MAX_JOBS", max(1, (os.cpu_count() or 2) // 2), 1, 64),
            max_jobs_per_tenant=_int_env("DATAML_MAX_JOBS_PER_TENANT", 0, 0, 64),
            bcrypt_rounds=_int_env("DATAML_BCRYPT_ROUNDS", 12, 4, 16),
            explain_max_rows=_int_env("DATAML_EXPLAIN_MAX_ROWS", 20_000, 0, 10_000_000),
            lake_writes=_switch_env("DATAML_LAKE", default=True),
            ray_address=os.environ.get("DATAML_RAY_ADDRESS") or None,
            files_root=Path(os.environ["DATAML_FILES_DIR"]).expanduser().resolve()
            if os.environ.get("DATAML_FILES_DIR")
            else None,
            files_url=os.environ.get("DATAML_FILES_URL") or None,
            ray_dashboard_url=(os.environ.get("DATAML_RAY_DASHBOARD_URL") or "").rstrip("/") or None,
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse values that would be unsafe or cannot work."""
        problems: list[Problem] = []
        if self.job_runner not in RUNNERS:
            problems.append(Problem(f"must be one of {', '.join(RUNNERS)}", field="DATAML_JOB_RUNNER"))
        if self.cookie_key is not None and len(self.cookie_key) < 32:
            problems.append(Problem("must be at least 32 characters long", field="DATAML_COOKIE_KEY"))
        if not self.database_url.startswith(("sqlite:///", "postgresql")):
            problems.append(Problem("must be a sqlite:/// or postgresql URL", field="DATAML_DATABASE_URL"))
        if self.files_url is not None and not self.files_url.startswith(("s3://", "file:///")):
            problems.append(Problem("must be an s3:// or file:/// URL", field="DATAML_FILES_URL"))
        if self.remote_workers and self.database_url.startswith("sqlite"):
            problems.append(
                Problem(
                    "must be a postgresql URL when jobs run on a Ray cluster (DATAML_RAY_ADDRESS): workers on other "
                    "machines cannot share a SQLite file",
                    field="DATAML_DATABASE_URL",
                )
            )
        if problems:
            raise InvalidInput("The DataML Studio settings are not valid.", problems)

    @property
    def remote_workers(self) -> bool:
        """Jobs may run on other machines: the Ray runner with a cluster address other than this machine's
        (``auto`` finds a cluster started with ``ray start``, which may have other nodes)."""
        if self.job_runner != "ray" or self.ray_address is None:
            return False
        host = self.ray_address.removeprefix("ray://").rsplit(":", 1)[0].strip("[]")
        return host not in LOCAL_HOSTS

    @property
    def tenant_job_share(self) -> int:
        """Jobs one tenant may run at once: ``DATAML_MAX_JOBS_PER_TENANT``, by default half the slots (rounded
        up, at most ``max_jobs - 1`` when there are several), so another tenant's job always finds a slot."""
        default = max(1, min((self.max_jobs + 1) // 2, self.max_jobs - 1))
        return min(self.max_jobs, self.max_jobs_per_tenant or default)

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def files_dir(self) -> Path:
        """Where the file store keeps bytes: ``DATAML_FILES_DIR``, else ``files`` in the workspace directory."""
        return self.files_root or self.home / "files"

    def with_runner(self, runner: str) -> Settings:
        return replace(self, job_runner=runner)
