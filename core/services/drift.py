"""Drift checks: a window of a deployment's recorded inputs (or a dataset, or an uploaded file) against the model's
reference (its ``data`` artefact, else the data it was trained on), per column, multivariate and on the
predictions, as a job (``drift_tasks.py``). On demand, and by itself every N operations of a deployment when its
model's drift setting is on. Results are kept and listed over time."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.datasets import read_table
from core.entities import Actor, Job
from core.entities.registry import Deployment, DriftCheck, RegisteredModel
from core.errors import Conflict, InvalidInput
from core.jobs.tasks import TASKS
from core.services.base import Service, require
from core.services.datasets import DatasetService, Source, within_limit
from core.services.files import clean_name
from core.services.inference import InferenceService
from core.services.jobs import JobService
from core.services.registry import RegistryService
from core.storage.repositories import deployments as deployment_repo
from core.storage.repositories import drift as repo
from core.storage.workspace import Workspace

WINDOW = (10, 100_000)


class DriftService(Service):
    def __init__(
        self,
        workspace: Workspace,
        *,
        registry: RegistryService,
        datasets: DatasetService,
        inference: InferenceService,
        jobs: JobService,
    ) -> None:
        super().__init__(workspace)
        self.registry, self.datasets, self.inference, self.jobs = registry, datasets, inference, jobs

    def _queue(self, session: Session, actor: Actor, model: RegisteredModel, params: dict[str, Any]) -> Job:
        if model.reference is None:
            raise Conflict(f"{model.name} has nothing to compare with: upload its training data as a data artifact.")
        title = f"Drift of {model.name}" + (" (automatic)" if params.get("automatic") else "")
        return self.jobs._queue(session, actor, "drift_check", title, {"model_id": model.id, **params})

    def _due(self, session: Session, actor: Actor, deployment: Deployment) -> Job | None:
        """Count an operation of the deployment; the drift job to start after commit when one is due (the model's
        drift setting on, inputs kept, ``every`` operations since the last, the actor allowed to run it)."""
        model = self.registry._model(session, actor, deployment.model_id)
        settings = model.metadata.drift
        watched = settings.enabled and deployment.inference_data and model.reference is not None
        due = deployment_repo.count_operation(
            session, actor.tenant_id, deployment.id, settings.every if watched else None
        )
        if not due or not actor.can(TASKS["drift_check"].permission):
            return None
        params = {"deployment_id": deployment.id, "window": settings.window, "automatic": True}
        return self._queue(session, actor, model, params)

    def _start(self, job: Job, actor: Actor) -> Job:
        return self.jobs._start(job, actor)

    def check(
        self,
        actor: Actor,
        deployment_id: str | None = None,
        model_id: str | None = None,
        dataset_id: str | None = None,
        filename: str | None = None,
        data: Source | None = None,
        window: int | None = None,
    ) -> Job:
        """Run a drift check now (a job; its result names the stored check). The current data: ``dataset_id``,
        an uploaded file (``filename`` + ``data``), or else the deployment's ``window`` latest input rows (default:
        the model's drift setting). Give a deployment, or a model with a dataset or file."""
        require(actor, TASKS["drift_check"].permission)
        if (deployment_id is None) == (model_id is None):
            raise InvalidInput("Check the drift of a deployment or of a model (one of them).")
        if dataset_id is not None and data is not None:
            raise InvalidInput("Compare a dataset or an uploaded file, not both.")
        if window is not None and not WINDOW[0] <= window <= WINDOW[1]:
            raise InvalidInput(f"The window is between {WINDOW[0]} and {WINDOW[1]:,} rows.")
        kept: tuple[str, str] | None = None
        try:
            with self.db.session() as session:
                params: dict[str, Any] = {}
                if deployment_id is not None:
                    require(actor, "deployments:read")
                    deployment = deployment_repo.get_deployment(session, actor.tenant_id, deployment_id)
                    model = self.registry._model(session, actor, deployment.model_id)
                    params["deployment_id"] = deployment.id
                else:
                    model = self.registry._model(session, actor, str(model_id))
                    if dataset_id is None and data is None:
                        raise InvalidInput("A model without a deployment needs a dataset or a file to compare.")
                if dataset_id is not None:
                    params["dataset_id"] = self.datasets._get(session, actor, dataset_id).id
                elif data is not None:
                    kept = self._keep(session, actor, filename, data)
                    params["input_file_id"] = kept[0]
                else:
                    params["window"] = window or model.metadata.drift.window
                job = self._queue(session, actor, model, params)
        except BaseException:
            if kept is not None:
                self.store.delete(kept[1])
            raise
        return self.jobs._start(job, actor)

    def _keep(self, session: Session, actor: Actor, filename: str | None, data: Source) -> tuple[str, str]:
        """An uploaded table stored as Parquet for the job (as a batch input): (file id, storage key)."""
        if not filename:
            raise InvalidInput("An uploaded file needs its file name (for its format).")
        name = clean_name(filename)
        kept = self.inference._keep_input(session, actor, name, read_table(within_limit(data, self.settings), name))
        return kept.id, kept.storage_key

    def checks(
        self, actor: Actor, model_id: str | None = None, deployment_id: str | None = None, limit: int = 100
    ) -> list[DriftCheck]:
        """Stored checks, newest first: of a model, of a deployment, or all of the tenant."""
        require(actor, "deployments:read")
        if not 1 <= limit <= 1000:
            raise InvalidInput("limit is between 1 and 1,000.")
        with self.db.session() as session:
            if model_id is not None:
                model_id = self.registry._model(session, actor, model_id).id
            if deployment_id is not None:
                deployment_repo.get_deployment(session, actor.tenant_id, deployment_id)
            return repo.list_checks(
                session, actor.tenant_id, model_id=model_id, deployment_id=deployment_id, limit=limit
            )

    def get(self, actor: Actor, check_id: str) -> DriftCheck:
        require(actor, "deployments:read")
        with self.db.session() as session:
            return repo.get_check(session, actor.tenant_id, check_id)
