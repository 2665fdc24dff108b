"""A registered model's versions and the aliases that name them: a version found by id, number or alias, its notes,
and every move of an alias (who, when, from which version to which).

``RegistryService`` (registering, files, cards, retraining; ``registry.py``) builds on this class. Deployments and
drift checks use its session-level helpers (``_model``, ``_version``, ``_anchor``) inside their own unit of work."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from core.entities import Actor
from core.entities.registry import AliasMove, ModelVersion, RegisteredModel
from core.errors import Conflict, InvalidInput, NotFound
from core.services import registry_checks as checks
from core.services.base import Service, record, require
from core.storage.repositories import registry as repo
from core.storage.repositories import registry_links as links
from core.storage.repositories import registry_versions as versions_repo


def point_alias(session: Session, actor: Actor, model_id: str, alias: str, version: ModelVersion) -> None:
    """Point ``alias`` at ``version`` inside the caller's session; a real move (the alias pointed elsewhere or
    nowhere) is kept in the alias history and audited. Problems crown their ``champion`` with it too."""
    if links.move_alias(session, model_id=model_id, alias=alias, version_id=version.id, user_id=actor.user_id):
        record(
            session, actor, "registry.alias_moved", "registered_model", model_id, alias=alias, version=version.version
        )


class RegistryVersions(Service):
    # --- session-level helpers (deployments and drift use them inside their own unit of work) ----------
    def _model(self, session: Session, actor: Actor, model_id: str) -> RegisteredModel:
        require(actor, "models:read")
        return repo.get_registered(session, actor.tenant_id, model_id)

    def _version(
        self, session: Session, actor: Actor, model: RegisteredModel, version: str | int | None = None
    ) -> ModelVersion:
        """A version of ``model`` by id, number or alias (None or "latest": the newest)."""
        versions = versions_repo.list_versions(session, actor.tenant_id, model)
        if not versions:
            raise Conflict(f"{model.name} has no version yet; upload a model file or train it.")
        if version is None or version == "latest":
            return versions[0]
        if isinstance(version, str) and version not in {v.id for v in versions}:
            target = links.alias_target(session, model.id, version)
            if target is None:
                raise NotFound(f"{model.name} has no version or alias {version!r}.")
            version = target
        for v in versions:
            if v.id == version or (isinstance(version, int) and v.version == version):
                return v
        raise NotFound(f"{model.name} has no version {version!r}.")

    def _anchor(self, session: Session, actor: Actor, model: RegisteredModel, version: ModelVersion | None) -> None:
        """Make the rows the registry hangs state on: the model's, and the version's (trained ones have none
        until then)."""
        repo.ensure_row(session, actor.tenant_id, model, actor.user_id)
        if version is not None:
            versions_repo.ensure_version(session, actor.tenant_id, model, version, actor.user_id)

    # --- versions ----------------------------------------------------------------------------------------
    def versions(self, actor: Actor, model_id: str) -> list[ModelVersion]:
        """Newest first, each with its aliases."""
        with self.db.session() as session:
            return versions_repo.list_versions(session, actor.tenant_id, self._model(session, actor, model_id))

    def version(self, actor: Actor, version_id: str) -> ModelVersion:
        require(actor, "models:read")
        with self.db.session() as session:
            return versions_repo.get_version(session, actor.tenant_id, version_id)[1]

    def describe_version(
        self, actor: Actor, version_id: str, description: str | None = None, tags: Sequence[str] | None = None
    ) -> ModelVersion:
        require(actor, "models:register")
        if description is not None and len(description) > 10_000:
            raise InvalidInput("A description has at most 10,000 characters.")
        clean = checks.tags(list(tags)) if tags is not None else None
        with self.db.session() as session:
            model, version = versions_repo.get_version(session, actor.tenant_id, version_id)
            self._anchor(session, actor, model, version)
            versions_repo.set_notes(session, version.id, description=description, tags=clean)
            record(session, actor, "registry.version_described", "model_version", version.id, label=version.label)
            return versions_repo.get_version(session, actor.tenant_id, version.id)[1]

    # --- aliases -----------------------------------------------------------------------------------------
    def set_alias(self, actor: Actor, model_id: str, alias: str, version: str | int) -> ModelVersion:
        """Point ``alias`` (champion, challenger, any name) at a version (id or number); the move is recorded and
        deployments following the alias serve that version from their next call."""
        require(actor, "models:register")
        alias = checks.alias(alias)
        with self.db.session() as session:
            model = self._model(session, actor, model_id)
            target = self._version(session, actor, model, version if isinstance(version, int) else str(version))
            self._anchor(session, actor, model, target)
            point_alias(session, actor, model.id, alias, target)
            return versions_repo.get_version(session, actor.tenant_id, target.id)[1]

    def remove_alias(self, actor: Actor, model_id: str, alias: str) -> None:
        """Refused while a deployment follows the alias (it would have nothing to serve)."""
        require(actor, "models:register")
        alias = checks.alias(alias)
        with self.db.session() as session:
            model = self._model(session, actor, model_id)
            if links.alias_target(session, model.id, alias) is None:
                raise NotFound(f"{model.name} has no alias {alias!r}.")
            if links.alias_followers(session, model.id, alias):
                raise Conflict(f"A deployment follows {model.name}@{alias}; point it elsewhere or delete it first.")
            links.move_alias(session, model_id=model.id, alias=alias, version_id=None, user_id=actor.user_id)
            record(session, actor, "registry.alias_removed", "registered_model", model.id, alias=alias)

    def alias_history(self, actor: Actor, model_id: str, alias: str | None = None) -> list[AliasMove]:
        """Every move of the model's aliases (or one of them), oldest first: the production history."""
        with self.db.session() as session:
            return links.alias_moves(session, self._model(session, actor, model_id).id, alias)
