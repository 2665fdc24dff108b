"""Trained models: list, read, load for scoring, delete. Training itself is in ``training.py``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from core.entities import Actor, Model
from core.errors import Conflict
from core.services.base import Service, record, require
from core.storage.repositories import files as file_repo
from core.storage.repositories import jobs as job_repo
from core.storage.repositories import models as repo

SCORING_KINDS = ("batch_predict",)  # job kinds that read a model while they run


@lru_cache(maxsize=16)
def _load_pipeline(path: str, sha256: str) -> Any:
    """Models are immutable files: cache by path and content hash, load once per process."""
    from core.ml import load_model

    return load_model(Path(path))


class ModelService(Service):
    def list(self, actor: Actor, problem_types: list[str] | None = None) -> list[Model]:
        require(actor, "models:read")
        with self.db.session() as session:
            return repo.list_models(session, actor.tenant_id, problem_types=problem_types)

    def get(self, actor: Actor, model_id: str) -> Model:
        require(actor, "models:read")
        with self.db.session() as session:
            return repo.get_model(session, actor.tenant_id, model_id)

    def pipeline(self, actor: Actor, model_id: str) -> Any:
        """The fitted scikit-learn pipeline of a tabular model (skops, trusted types only)."""
        model = self.get(actor, model_id)
        if model.file_id is None:
            raise Conflict(f"{model.label} has no fitted pipeline (it is a {model.problem_type} model).")
        with self.db.session() as session:
            info = file_repo.get_file(session, actor.tenant_id, model.file_id)
            key = file_repo.storage_key(session, actor.tenant_id, model.file_id)
        return _load_pipeline(str(self.engine.store.path(key)), info.sha256)

    def delete(self, actor: Actor, model_id: str) -> None:
        """Refused while a job is scoring with the model; a queued scoring job then fails clearly."""
        require(actor, "models:train")
        with self.db.session() as session:
            model = repo.get_model(session, actor.tenant_id, model_id)
            busy = [
                j for j in job_repo.list_jobs(session, actor.tenant_id, kinds=list(SCORING_KINDS))
                if j.status == "running" and j.params.get("model_id") == model_id
            ]
            if busy:
                raise Conflict(f"{model.label} is being used by {len(busy)} running prediction job(s); try later.")
            file_id = repo.delete_model(session, actor.tenant_id, model_id)
            key = file_repo.delete_file(session, actor.tenant_id, file_id) if file_id else None
            record(session, actor, "model.deleted", "model", model_id, name=model.label)
        if key:
            self.engine.store.delete(key)
