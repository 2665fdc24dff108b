"""Deployments: a registry version served in-process, pinned or following an alias (it serves the alias's version
from the call after the alias moves). Every call is an operation in the log (owner, deployment, version, input,
result, latency); operations made elsewhere can be recorded too. Drift checks run by themselves every N operations
when the model's drift setting is on (``drift.py``)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from core.entities import Actor
from core.entities.registry import Deployment, ModelVersion, Operation, RegisteredModel, ServedPrediction
from core.errors import Conflict, CoreError, InvalidInput, NotFound
from core.prep.replay import Unreadable
from core.services.base import Service, record, require
from core.services.drift import DriftService
from core.services.models import ModelService
from core.services.recipes import RecipeService
from core.services.registry import RegistryService
from core.services.registry_checks import MAX_SKIP
from core.services.scoring import jsonable, logged_notes
from core.services.serving import Scorer, load_scorer, rows_frame, servable
from core.storage.repositories import deployments as repo
from core.storage.repositories import registry_versions as versions_repo
from core.storage.workspace import Workspace

Deployments = list[Deployment]  # aliases: inside the service class, `list` is the method
Operations = list[Operation]
PLACEMENT = {"clusterID": "*", "node": "*", "continuum": False}  # anywhere


def placement_of(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """The seed's placement (cluster, node, continuum), kept as metadata: deployments run on this server."""
    given = dict(values or {})
    unknown = set(given) - set(PLACEMENT)
    if unknown:
        raise InvalidInput(f"Unknown placement field(s): {', '.join(sorted(unknown))}; use clusterID, node, continuum.")
    placed = {**PLACEMENT, **given}
    if not all(isinstance(placed[k], str) and 0 < len(placed[k]) <= 100 for k in ("clusterID", "node")):
        raise InvalidInput("Placement clusterID and node are names of 1 to 100 characters ('*': any).")
    if not isinstance(placed["continuum"], bool):
        raise InvalidInput("Placement continuum is true or false.")
    return placed


def _text(value: Any, what: str, limit: int = 100) -> str:
    text = str(value).strip()
    if len(text) > limit or not text.isprintable():
        raise InvalidInput(f"The {what} has at most {limit} printable characters.")
    return text


class DeploymentService(Service):
    def __init__(
        self,
        workspace: Workspace,
        *,
        registry: RegistryService,
        models: ModelService,
        drift: DriftService,
        recipes: RecipeService,
    ) -> None:
        super().__init__(workspace)
        self.registry, self.models, self.drift, self.recipes = registry, models, drift, recipes

    def _get(self, session: Session, actor: Actor, deployment_id: str) -> Deployment:
        require(actor, "deployments:read")
        return repo.get_deployment(session, actor.tenant_id, deployment_id)

    def _serving(self, session: Session, actor: Actor, deployment: Deployment) -> tuple[RegisteredModel, ModelVersion]:
        """The model and the version the deployment serves now; Conflict when its alias points nowhere."""
        model = self.registry._model(session, actor, deployment.model_id)
        if deployment.alias == "latest":
            return model, self.registry._version(session, actor, model, "latest")
        if deployment.version_id is None:
            raise Conflict(f"The alias {deployment.alias!r} of {model.name} no longer points at a version.")
        return model, versions_repo.get_version(session, actor.tenant_id, deployment.version_id)[1]

    def _scorer(self, session: Session, actor: Actor, deployment: Deployment) -> Scorer:
        model, version = self._serving(session, actor, deployment)
        return load_scorer(session, actor, self.models, self.store, model, version)

    def _load(self, session: Session, actor: Actor, deployment: Deployment) -> Deployment:
        """Start serving: running when the version loads, failed (with the reason) when it does not."""
        try:
            self._scorer(session, actor, deployment)
            repo.set_status(session, actor.tenant_id, deployment.id, "running")
        except CoreError as exc:
            repo.set_status(session, actor.tenant_id, deployment.id, "failed", exc.message)
        return repo.get_deployment(session, actor.tenant_id, deployment.id)

    # --- life cycle ---------------------------------------------------------------------------------
    def create(
        self,
        actor: Actor,
        model_id: str,
        version: int | None = None,
        alias: str | None = None,
        owner: str | None = None,
        placement: Mapping[str, Any] | None = None,
        inference_data: bool = True,
        name: str = "",
    ) -> Deployment:
        """Deploy a registered model's version (a number; default the newest), or follow ``alias`` ("latest":
        always the newest). ``model_id`` may also be a version's id (that version, pinned). ``owner`` is the
        seed's free-text owner (default: the actor); ``inference_data`` keeps each call's input rows (drift needs
        them)."""
        require(actor, "deployments:manage")
        placed, owner_text = placement_of(placement), _text(owner or actor.username, "owner")
        with self.db.session() as session:
            alias = alias.strip().casefold() if alias is not None else None
            try:
                model = self.registry._model(session, actor, model_id)
                target = self.registry._version(session, actor, model, alias or version)
            except NotFound:
                if version is not None or alias is not None:
                    raise
                model, target = versions_repo.get_version(session, actor.tenant_id, model_id)
            servable(target)
            self.registry._anchor(session, actor, model, target)
            deployment = repo.add_deployment(
                session,
                tenant_id=actor.tenant_id,
                created_by=actor.user_id,
                name=_text(name, "deployment name"),
                registered_model_id=model.id,
                version_id=None if alias else target.id,
                alias=alias,
                owner=owner_text,
                placement=placed,
                inference_data=bool(inference_data),
            )
            deployment = self._load(session, actor, deployment)
            record(
                session,
                actor,
                "deployment.created",
                "deployment",
                deployment.id,
                model=model.name,
                version=target.version,
                alias=alias,
                status=deployment.status,
            )
            return deployment

    def list(self, actor: Actor, skip: int = 0, limit: int = 100, model_id: str | None = None) -> Deployments:
        """Newest first."""
        require(actor, "deployments:read")
        _page(skip, limit)
        with self.db.session() as session:
            return repo.list_deployments(session, actor.tenant_id, skip=skip, limit=limit, model_id=model_id)

    def get(self, actor: Actor, deployment_id: str) -> Deployment:
        """With its status: a running deployment whose alias points nowhere is reported failed, saying why."""
        with self.db.session() as session:
            deployment = self._get(session, actor, deployment_id)
            if deployment.status == "running":
                try:
                    self._serving(session, actor, deployment)
                except CoreError as exc:
                    return _with(deployment, "failed", exc.message)
            return deployment

    def stop(self, actor: Actor, deployment_id: str) -> Deployment:
        require(actor, "deployments:manage")
        with self.db.session() as session:
            deployment = self._get(session, actor, deployment_id)
            repo.set_status(session, actor.tenant_id, deployment.id, "stopped", f"stopped by {actor.username}")
            record(session, actor, "deployment.stopped", "deployment", deployment.id)
            return repo.get_deployment(session, actor.tenant_id, deployment.id)

    def start(self, actor: Actor, deployment_id: str) -> Deployment:
        require(actor, "deployments:manage")
        with self.db.session() as session:
            deployment = self._load(session, actor, self._get(session, actor, deployment_id))
            record(session, actor, "deployment.started", "deployment", deployment.id, status=deployment.status)
            return deployment

    def delete(self, actor: Actor, deployment_id: str) -> None:
        """Its operations stay in the log."""
        require(actor, "deployments:manage")
        with self.db.session() as session:
            deployment = self._get(session, actor, deployment_id)
            repo.delete_deployment(session, actor.tenant_id, deployment.id)
            record(session, actor, "deployment.deleted", "deployment", deployment.id, model=deployment.model_name)

    # --- serving -------------------------------------------------------------------------------------
    def predict(self, actor: Actor, deployment_id: str, data: Any, explain: bool = False) -> ServedPrediction:
        """Score one row (an object, or a list of values in feature order) or many (a list of them) with the
        version the deployment serves now, with SHAP values per feature on request. The call is an operation in
        the log, refused calls included (their error as the result), with its warnings. Raw values the recipe of a
        version trained on prepared data could not cast are scored as missing; the warnings say how many per column."""
        require(actor, "inference:run")
        started = time.perf_counter()
        error: CoreError | None = None
        with self.db.session() as session:
            deployment = self._get(session, actor, deployment_id)
            if deployment.status != "running":
                raise Conflict(
                    f"The deployment is {deployment.status}" + (f": {deployment.reason}" if deployment.reason else ".")
                )
            scorer = self._scorer(session, actor, deployment)
            frame = None
            unread: tuple[Unreadable, ...] = ()
            try:
                frame = rows_frame(data, scorer.features)
                if scorer.trained is not None:  # raw rows go through the recipe of a model on prepared data
                    frame, unread = self.recipes._frame_to_prepared(actor, scorer.trained, frame, "The request")
                scored = scorer.score(frame, explain)
            except CoreError as exc:  # refused calls are operations too (a joined dataset gone, bad values)
                error = exc
            latency = (time.perf_counter() - started) * 1000
            inputs = frame.to_dict("records") if frame is not None and deployment.inference_data else None
            result = {"error": error.message} if error else {"prediction": scored.prediction}
            warnings = (*(u.message for u in unread), *(() if error else scored.warnings))
            operation = repo.add_operation(
                session,
                tenant_id=actor.tenant_id,
                user_id=actor.user_id,
                deployment_id=deployment.id,
                owner=deployment.owner,
                version_id=scorer.version.id,
                model_label=scorer.version.label,
                inputs=jsonable_rows(inputs),
                result=result,
                rows=0 if frame is None else len(frame),
                latency_ms=latency,
                source="served",
                warnings=logged_notes(warnings) or None,
            )
            check = None if error else self.drift._due(session, actor, deployment)
        if error is not None:
            raise error
        if check is not None:
            self.drift._start(check, actor)
        return ServedPrediction(
            deployment_id=deployment.id,
            version_id=scorer.version.id,
            model_label=scorer.version.label,
            prediction=scored.prediction,
            probabilities=scored.probabilities,
            explanation=scored.explanation,
            warnings=warnings,
            latency_ms=latency,
            operation_id=operation.id,
        )

    # --- operations ----------------------------------------------------------------------------------
    def add_operation(
        self,
        actor: Actor,
        deployment_id: str,
        data: Any = None,
        result: Any = None,
        owner: str | None = None,
        version_id: str | None = None,
        latency_ms: float = 0.0,
    ) -> Operation:
        """Record an inference made elsewhere with the deployment's model (the seed's ``/deployment/add/operation``;
        ``data`` / ``result`` as JSON text or values). Its input rows count for drift like served ones."""
        require(actor, "deployments:manage")
        if not 0 <= float(latency_ms) <= 86_400_000:
            raise InvalidInput("latency_ms is between 0 and a day.")
        with self.db.session() as session:
            deployment = self._get(session, actor, deployment_id)
            model, version = self._serving(session, actor, deployment)
            if version_id and version_id != version.id:
                version = self.registry._version(session, actor, model, version_id)
            rows = _rows(_json(data), version.features)
            operation = repo.add_operation(
                session,
                tenant_id=actor.tenant_id,
                user_id=actor.user_id,
                deployment_id=deployment.id,
                owner=_text(owner or deployment.owner, "owner"),
                version_id=version.id,
                model_label=version.label,
                inputs=rows if deployment.inference_data else None,
                result={"result": jsonable(_json(result))},
                rows=len(rows),
                latency_ms=float(latency_ms),
                source="external",
            )
            record(session, actor, "deployment.operation_added", "deployment", deployment.id, operation=operation.id)
            check = self.drift._due(session, actor, deployment)
        if check is not None:
            self.drift._start(check, actor)
        return operation

    def operations(
        self,
        actor: Actor,
        deployment_id: str | None = None,
        owner: str | None = None,
        skip: int = 0,
        limit: int = 100,
    ) -> Operations:
        """The operations log, newest first: of one deployment, of one owner, or all."""
        require(actor, "deployments:read")
        _page(skip, limit)
        with self.db.session() as session:
            if deployment_id is not None:
                self._get(session, actor, deployment_id)
            return repo.list_operations(
                session, actor.tenant_id, deployment_id=deployment_id, owner=owner, skip=skip, limit=limit
            )


def _with(deployment: Deployment, status: str, reason: str) -> Deployment:
    return replace(deployment, status=status, reason=reason)


def _page(skip: int, limit: int) -> None:
    if not 0 <= skip <= MAX_SKIP or not 1 <= limit <= 1000:
        raise InvalidInput("skip is between 0 and 1,000,000,000 and limit between 1 and 1,000.")


def _json(value: Any) -> Any:
    """JSON text as its value (the seed sends ``"data": "{...}"``); anything else as given."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _rows(data: Any, features: tuple[str, ...]) -> list[Any]:
    """Recorded input rows: as objects when they have that shape, else the raw value (kept, not compared)."""
    if data is None:
        return []
    try:
        return jsonable_rows(rows_frame(data, features).to_dict("records")) or []
    except InvalidInput:
        return [jsonable(data) if not isinstance(data, list | dict) else json.loads(json.dumps(data, default=str))]


def jsonable_rows(rows: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    return None if rows is None else [jsonable(row) for row in rows]
