"""The model registry: every predictor trained here is registered by its name; models trained elsewhere are
registered with their metadata and artefacts (a skops model file per version, training data as the drift
reference, code and environment files kept, never run). A version's model card, and the next version of a model
trained here, are asked of the registry too.

Versions, their notes and the aliases naming them (with every move of one) live in ``registry_versions.py``
(``RegistryVersions``, which this service builds on, with the session-level helpers other services use)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow.parquet as pq

from core.datasets import read_table
from core.entities import Actor, Job, TrainRequest
from core.entities.registry import Artifact, ModelMetadata, RegisteredModel
from core.errors import Conflict, InvalidInput
from core.services import registry_checks as checks
from core.services.base import record, require, unique_name
from core.services.datasets import Source, within_limit
from core.services.files import clean_name
from core.services.model_card import CardFacts, render_card
from core.services.models import ModelService
from core.services.registry_versions import RegistryVersions
from core.services.training import TrainingService
from core.storage.files import StoredBytes
from core.storage.repositories import deployments as deployment_repo
from core.storage.repositories import drift as drift_repo
from core.storage.repositories import files as file_repo
from core.storage.repositories import models as model_repo
from core.storage.repositories import registry as repo
from core.storage.repositories import registry_links as links
from core.storage.repositories import registry_versions as versions_repo
from core.storage.workspace import Workspace

Models = list[RegisteredModel]  # aliases: inside the service class, `list` is the method
Artifacts = list[Artifact]
FILE_KINDS = {"model": "model", "data": "data", "code": "code", "env": "environment"}  # artefact -> file store


class RegistryService(RegistryVersions):
    def __init__(self, workspace: Workspace, *, models: ModelService, training: TrainingService) -> None:
        super().__init__(workspace)
        self.models, self.training = models, training

    # --- models --------------------------------------------------------------------------------------
    def register(
        self, actor: Actor, name: str, kind: str, metadata: Mapping[str, Any] | ModelMetadata | None = None
    ) -> RegisteredModel:
        """Register a model trained elsewhere: its metadata now, its files with ``upload``. A name already in use
        (trained here or registered) is a Conflict."""
        require(actor, "models:register")
        name, kind = checks.model_name(name), checks.model_kind(kind)
        values = metadata.to_dict() if isinstance(metadata, ModelMetadata) else dict(metadata or {})
        values.pop("training_placement", None)
        details = checks.metadata(values)
        with unique_name("model", name), self.db.session() as session:
            if repo.find_by_name(session, actor.tenant_id, name) is not None:
                raise Conflict(f"A model named {name!r} is already registered.")
            model = repo.add_registered(
                session,
                tenant_id=actor.tenant_id,
                owner_id=actor.user_id,
                name=name,
                kind=kind,
                origin="external",
                details=details,
            )
            record(session, actor, "registry.registered", "registered_model", model.id, name=name, kind=kind)
        return model

    def list(
        self,
        actor: Actor,
        skip: int = 0,
        limit: int = 100,
        kind: str | None = None,
        tags: Sequence[str] = (),
        name: str | None = None,
    ) -> Models:
        """Registered models by name; ``kind`` filters, ``tags`` must all be among the model's (ignoring case),
        ``name`` is a part of the name."""
        require(actor, "models:read")
        if not 0 <= skip <= checks.MAX_SKIP or not 1 <= limit <= 1000:
            raise InvalidInput("skip is between 0 and 1,000,000,000 and limit between 1 and 1,000.")
        wanted_kind = checks.model_kind(kind) if kind else None
        wanted = {t.casefold() for t in checks.tags(list(tags))} if tags else set()
        with self.db.session() as session:
            models = repo.list_registered(session, actor.tenant_id)
        found = [
            m
            for m in models
            if (wanted_kind is None or m.kind == wanted_kind)
            and wanted <= {t.casefold() for t in m.metadata.tags}
            and (not name or name.casefold() in m.name.casefold())
        ]
        return found[skip : skip + limit]

    def get(self, actor: Actor, model_id: str) -> RegisteredModel:
        with self.db.session() as session:
            return self._model(session, actor, model_id)

    def update(self, actor: Actor, model_id: str, changes: Mapping[str, Any]) -> RegisteredModel:
        """Change declared metadata (``ModelMetadata`` fields), and for a model registered from outside its
        ``name`` and ``kind``; fields left out are kept."""
        require(actor, "models:register")
        changes = dict(changes)
        name, kind = changes.pop("name", None), changes.pop("kind", None)
        with self.db.session() as session:
            model = self._model(session, actor, model_id)
            if (name is not None or kind is not None) and model.origin == "trained":
                raise Conflict(f"{model.name} is trained here: its name and kind are those of its versions.")
            self._anchor(session, actor, model, None)
            details = checks.metadata(changes, repo.stored_details(session, model.id))
            new_name = checks.model_name(name) if name is not None else None
            renamed = new_name is not None and new_name.casefold() != model.name.casefold()
            if renamed and repo.find_by_name(session, actor.tenant_id, str(new_name)) is not None:
                raise Conflict(f"A model named {new_name!r} is already registered.")
            repo.update_details(session, model.id, details=details, name=new_name)
            if kind is not None:
                repo.set_kind(session, model.id, checks.model_kind(kind))
            record(session, actor, "registry.updated", "registered_model", model.id, fields=sorted(dict(changes)))
            return repo.get_registered(session, actor.tenant_id, model.id)

    def delete(self, actor: Actor, model_id: str) -> None:
        """Delete a registered model with every version (trained ones too: that needs ``models:train``), its files,
        aliases, their history and its drift checks. Refused while a deployment serves it."""
        require(actor, "models:register")
        keys: list[str] = []
        with self.db.session() as session:
            model = self._model(session, actor, model_id)
            if model.deployments:
                raise Conflict(f"{model.name} has {model.deployments} deployment(s); delete them before the model.")
            trained = [
                v.id for v in versions_repo.list_versions(session, actor.tenant_id, model) if v.origin == "trained"
            ]
            if trained:
                require(actor, "models:train")
            files = repo.delete_registered(session, model.id)
            keys += [file_repo.delete_file(session, actor.tenant_id, f) for f in files]
            for version_id in trained:
                keys += self.models._delete(session, actor, version_id)
            record(session, actor, "registry.deleted", "registered_model", model.id, name=model.name)
        for key in keys:
            self.store.delete(key)

    # --- artefacts -------------------------------------------------------------------------------------
    def upload(self, actor: Actor, model_id: str, kind: str, filename: str, data: Source) -> Artifact:
        """Add a file to a model registered from outside: ``model`` (a skops file; becomes the next version),
        ``data`` (its training data as CSV, Excel or Parquet: the drift reference and the SHAP background),
        ``code`` or ``env`` (kept, never run). A pickle is refused unopened, with how to convert it."""
        from core.ml.external import check_model_bytes, describe, load_estimator

        require(actor, "models:register")
        kind, name = checks.artifact_kind(kind), clean_name(filename)
        raw = within_limit(data, self.settings)
        payload = raw if isinstance(raw, bytes) else raw.read_bytes()
        if not payload:
            raise InvalidInput("The file is empty.")
        with self.db.session() as session:  # read first: what follows may take seconds and writes nothing yet
            model = self._model(session, actor, model_id)
        details: dict[str, Any] = {}
        if kind == "model":
            if model.origin == "trained":
                raise Conflict(f"{model.name} is trained here: train it again for a new version.")
            check_model_bytes(name, payload[:8])
            details = describe(load_estimator(payload), model.metadata.features)
        stored = self._store(actor, kind, name, payload)
        try:
            with self.db.session() as session:
                model = self._model(session, actor, model_id)
                info = file_repo.add_file(
                    session,
                    tenant_id=actor.tenant_id,
                    owner_id=actor.user_id,
                    kind=FILE_KINDS[kind],
                    name=_stored_name(kind, name),
                    content_type=_content_type(kind),
                    stored=stored,
                )
                self._anchor(session, actor, model, None)
                if kind == "model":
                    versions_repo.add_uploaded_version(
                        session,
                        tenant_id=actor.tenant_id,
                        model=model,
                        file_id=info.id,
                        owner_id=actor.user_id,
                        details=details,
                    )
                else:
                    links.add_artifact(session, model_id=model.id, kind=kind, file_id=info.id, owner_id=actor.user_id)
                record(session, actor, "registry.uploaded", "registered_model", model.id, kind=kind, name=name)
                return next(a for a in links.list_artifacts(session, model.id) if a.file_id == info.id)
        except BaseException:
            self.store.delete(stored.storage_key)
            raise

    def _store(self, actor: Actor, kind: str, name: str, payload: bytes) -> StoredBytes:
        """The bytes in the file store; training data as Parquet (refused when it is not a readable table)."""
        if kind != "data":
            return self.store.put(actor.tenant_id, FILE_KINDS[kind], payload)
        table = read_table(payload, name)
        with self.store.writer(actor.tenant_id, "data") as (key, tmp):
            pq.write_table(table, tmp)
        return self.store.describe(key)

    def artifacts(self, actor: Actor, model_id: str) -> Artifacts:
        with self.db.session() as session:
            return links.list_artifacts(session, self._model(session, actor, model_id).id)

    # --- model cards -------------------------------------------------------------------------------------
    def card(self, actor: Actor, version_id: str) -> str:
        """The model card of a version (Markdown): purpose, data, metrics, importance, limits, lineage (alias
        moves), deployments of its model."""
        require(actor, "models:read")
        with self.db.session() as session:
            model, version = versions_repo.get_version(session, actor.tenant_id, version_id)
            trained = self.models._get(session, actor, version.id) if version.origin == "trained" else None
            names = model_repo.dataset_names(session, actor.tenant_id, list(trained.datasets)) if trained else {}
            moves = links.alias_moves(session, model.id)
            deployed = deployment_repo.list_deployments(session, actor.tenant_id, limit=1000, model_id=model.id)
            last = drift_repo.list_checks(session, actor.tenant_id, model_id=model.id, limit=1)  # drift check
        importance = self.models.feature_importance(actor, version.id) if trained else None
        facts = CardFacts(model, version, trained, names, importance, moves, deployed, last[0] if last else None)
        return render_card(facts)

    # --- training ----------------------------------------------------------------------------------------
    def train(
        self,
        actor: Actor,
        model_id: str,
        dataset_id: str | None = None,
        placement: Mapping[str, Any] | None = None,
        time_budget_s: float = 60.0,
    ) -> Job:
        """Train the next version of a model trained here, on ``dataset_id`` (default: its latest version's
        dataset) with the same target and features; ``placement`` is kept with the model as metadata (jobs run
        on this server). Models registered from outside are not retrained: their code is never run."""
        require(actor, "models:train")
        with self.db.session() as session:
            model = self._model(session, actor, model_id)
            trained = [v for v in versions_repo.list_versions(session, actor.tenant_id, model) if v.origin == "trained"]
            if not trained:
                raise Conflict(
                    f"{model.name} was registered from outside: its code is never run here; upload its next version."
                )
            latest = self.models._get(session, actor, trained[0].id)
        request = _retrain(latest, model.name, dataset_id, time_budget_s)
        job = self.training.submit(actor, request)
        with self.db.session() as session:
            model = self._model(session, actor, model_id)
            self._anchor(session, actor, model, None)
            stored = repo.stored_details(session, model.id)
            stored["training_placement"] = {**dict(placement or {}), "job_id": job.id}
            repo.update_details(session, model.id, details=stored)
            record(session, actor, "registry.training_placed", "registered_model", model.id, job_id=job.id)
        return job


def _retrain(latest: Any, name: str, dataset_id: str | None, time_budget_s: float) -> TrainRequest:
    if latest.forecast is not None:
        spec = latest.forecast
        return TrainRequest(
            dataset_id=dataset_id or latest.dataset_id,
            name=name,
            target=spec.target,
            problem_type="forecast",
            time_column=spec.time_column,
            series_column=spec.series_column,
            frequency=spec.frequency,
            resample=spec.resample,
            exogenous=spec.exogenous,
            time_budget_s=time_budget_s,
        )
    schema = latest.schema
    return TrainRequest(
        dataset_id=dataset_id or latest.dataset_id,
        name=name,
        target=schema.target,
        problem_type=schema.problem_type,
        features=tuple(schema.feature_names),
        id_column=schema.id_column,
        time_budget_s=time_budget_s,
    )


def _stored_name(kind: str, name: str) -> str:
    return f"{name.rsplit('.', 1)[0]}.parquet" if kind == "data" else name


def _content_type(kind: str) -> str:
    return {"data": "application/vnd.apache.parquet", "model": "application/zip"}.get(kind, "application/octet-stream")
