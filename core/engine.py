"""``Engine``: wires settings, database, file store, job runner and services together."""

from __future__ import annotations

from pathlib import Path

from core.config import Settings
from core.entities import JobStatus
from core.jobs.ray_runner import RayRunner
from core.jobs.runners import InlineRunner, JobRunner, ProcessRunner
from core.security.secrets import workspace_cookie_key
from core.services.attribution import AttributionService
from core.services.audit import AuditService
from core.services.datalake import DatalakeService
from core.services.dataset_files import DatasetFileService
from core.services.datasets import DatasetService
from core.services.deployments import DeploymentService
from core.services.drift import DriftService
from core.services.files import FileService
from core.services.forecasts import ForecastService
from core.services.health import HealthService
from core.services.inference import InferenceService
from core.services.jobs import JobService
from core.services.models import ModelService
from core.services.predictions import PredictionLogService
from core.services.problems import ProblemService
from core.services.recipes import RecipeService
from core.services.registry import RegistryService
from core.services.templates import TemplateService
from core.services.tenants import TenantService
from core.services.tokens import TokenService
from core.services.training import TrainingService
from core.services.users import UserService
from core.storage.db import Database
from core.storage.files import FileStore
from core.storage.object_store import ObjectFileStore
from core.storage.orm import utcnow
from core.storage.repositories import jobs as job_repo
from core.storage.workspace import Workspace


class Engine:
    """One per process. Everything a page can do, a script can do through these services.

    The engine only wires: each service is built with the workspace and the collaborators it uses, and an inline
    runner gets these services for the task functions it runs."""

    def __init__(self, settings: Settings, db: Database, store: FileStore) -> None:
        self.settings, self.db, self.store = settings, db, store
        ws = self.workspace = Workspace(settings, db, store)
        self.runner: JobRunner = ProcessRunner(ws)
        if settings.job_runner == "inline":
            self.runner = InlineRunner(ws, lambda: self)
        elif settings.job_runner == "ray":  # the task body; imported here, as `python -m core.worker` runs it too
            from core.worker import run_in_ray_task

            self.runner = RayRunner(ws, run_in_ray_task)
        self.users = UserService(ws)
        self.tenants = TenantService(ws)
        self.jobs = JobService(ws, self.runner)
        self.audit = AuditService(ws)
        self.files = FileService(ws)
        self.templates = TemplateService(ws)
        self.models = ModelService(ws, jobs=self.jobs)
        self.datalake = DatalakeService(ws)
        self.dataset_files = DatasetFileService(ws, files=self.files, lake=self.datalake.writes)
        self.datasets = DatasetService(ws, models=self.models, dataset_files=self.dataset_files, jobs=self.jobs)
        self.forecasts = ForecastService(ws, datasets=self.datasets, models=self.models, jobs=self.jobs)
        self.training = TrainingService(ws, datasets=self.datasets, models=self.models, jobs=self.jobs)
        self.recipes = RecipeService(ws, datasets=self.datasets, jobs=self.jobs)
        self.predictions = PredictionLogService(ws, datasets=self.datasets, models=self.models, jobs=self.jobs)
        self.inference = InferenceService(
            ws,
            datasets=self.datasets,
            models=self.models,
            forecasts=self.forecasts,
            predictions=self.predictions,
            jobs=self.jobs,
            recipes=self.recipes,
        )
        self.registry = RegistryService(ws, models=self.models, training=self.training)
        self.drift = DriftService(
            ws, registry=self.registry, datasets=self.datasets, inference=self.inference, jobs=self.jobs
        )
        self.deployments = DeploymentService(
            ws, registry=self.registry, models=self.models, drift=self.drift, recipes=self.recipes
        )
        self.problems = ProblemService(
            ws,
            users=self.users,
            datasets=self.datasets,
            models=self.models,
            registry=self.registry,
            inference=self.inference,
            jobs=self.jobs,
        )
        self.health = HealthService(ws)
        self.attribution = AttributionService(ws, jobs=self.jobs)
        self.tokens = TokenService(ws, users=self.users)

    @classmethod
    def open(
        cls,
        home: str | Path | None = None,
        database_url: str | None = None,
        runner: str | None = None,
        reap: bool = True,
    ) -> Engine:
        """Open (creating if needed) a workspace. ``DATAML_*`` variables fill what is not given."""
        settings = Settings.from_env(home=home, database_url=database_url, runner=runner)
        settings.home.mkdir(parents=True, exist_ok=True)
        db = Database(settings.database_url)
        db.migrate()
        store = FileStore(settings.files_dir)
        if settings.files_url:
            store = ObjectFileStore(settings.files_url, cache=settings.files_dir)
        engine = cls(settings, db, store)
        if reap:
            engine.mark_interrupted_jobs()
        return engine

    @staticmethod
    def preload() -> None:
        """Import the model libraries (scikit-learn and SHAP, statsforecast, the attribution models) and pyiceberg
        now: together they take seconds, which the first model summary, prediction, forecast or upload of a
        process would otherwise wait for. A server calls it once in a background thread while the user signs in."""
        import pyiceberg.catalog.sql
        import pyiceberg.io.pyarrow  # noqa: F401

        import core.attribution
        import core.forecasting
        import core.ml  # noqa: F401

    @property
    def cookie_key(self) -> str:
        return workspace_cookie_key(self.settings.home, self.settings.cookie_key)

    def mark_interrupted_jobs(self, min_age_s: float = 30.0) -> int:
        """Jobs left ``queued``/``running`` by a process that is gone become ``interrupted``."""
        now, interrupted = utcnow(), []
        with self.db.session() as session:
            for job_id, pid, host in job_repo.unfinished_jobs(session):
                if pid is None:
                    created = job_repo.get_job(session, None, job_id).created_at
                    if (now - created).total_seconds() < min_age_s:
                        continue  # just submitted: its worker may not have reported its pid yet
                elif self.runner.alive(pid, host):
                    continue
                message = "The job was interrupted because its process stopped (for example a restart)."
                if job_repo.finish(session, job_id, JobStatus.INTERRUPTED, error=message):
                    interrupted.append(job_id)
        self.problems._recover(interrupted)  # their learning tasks fail, so the next ranks start
        return len(interrupted)

    def close(self) -> None:
        self.datalake.close()
        self.db.dispose()
