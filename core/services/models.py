"""Trained models: list, read, summary, schema and file downloads, feature importance, delete.

Training itself is in ``training.py``; the explanation job in ``explain_tasks.py``."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from core.entities import UNFINISHED_JOB_STATES as UNFINISHED
from core.entities import Actor, Job, Model, ModelSchema
from core.errors import Conflict, InvalidInput, NotFound, Problem
from core.services.base import Service, record, require
from core.services.importance import Importance, read_importance
from core.services.jobs import JobService
from core.services.model_summary import ModelSummary, build_summary
from core.storage.repositories import catalog as catalog_repo
from core.storage.repositories import files as file_repo
from core.storage.repositories import jobs as job_repo
from core.storage.repositories import models as repo
from core.storage.workspace import Workspace

TRAINING_KINDS = ("train_tabular", "train_forecast")
SAMPLE_ROWS = (10, 50_000)  # the explain job's sample size bounds
NAME = re.compile(r"^[\w][\w .-]{0,99}$")  # a predictor's name
DOMAIN_LENGTH, DESCRIPTION_LENGTH = 100, 5000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # control characters but tab and newline


def check_labels(name: str | None, domain: str | None, description: str | None) -> list[Problem]:
    """What is wrong with a predictor name, domain or description (None: not given)."""
    problems = []
    if name is not None and not NAME.match(name):
        problems.append(Problem("1–100 letters, digits, spaces, '.', '_' or '-'", field="name", value=name[:100]))
    for field, text, limit in (("domain", domain, DOMAIN_LENGTH), ("description", description, DESCRIPTION_LENGTH)):
        if text is not None and (len(text) > limit or _CONTROL.search(text) or (field == "domain" and "\n" in text)):
            problems.append(Problem(f"at most {limit} characters, no control characters", field=field))
    return problems


@lru_cache(maxsize=16)
def _load_pipeline(path: str, sha256: str, kinds: tuple[tuple[str, str], ...]) -> Any:
    """Models are immutable files: cache by path and content hash, load once per process; the engine steps
    for the schema's feature ``kinds`` go in front of the stored portable part."""
    from core.ml import load_model
    from core.ml.preprocessing import runtime

    return runtime(load_model(Path(path)), dict(kinds))


@lru_cache(maxsize=16)
def _read_background(path: str, sha256: str) -> pd.DataFrame:
    return pq.read_table(path).to_pandas()


def tabular(model: Model) -> ModelSchema:
    """The schema of a model with a fitted pipeline; refused in one sentence for a forecaster."""
    if model.file_id is None or model.schema is None:
        raise Conflict(f"{model.label} has no fitted pipeline (it is a {model.problem_type} model).")
    return model.schema


class ModelService(Service):
    def __init__(self, workspace: Workspace, *, jobs: JobService) -> None:
        super().__init__(workspace)
        self.jobs = jobs

    # --- session-level helpers (other services call them inside their own unit of work) ------------------
    def _get(self, session: Session, actor: Actor, model_id: str) -> Model:
        require(actor, "models:read")
        return repo.get_model(session, actor.tenant_id, model_id)

    def _path(self, session: Session, actor: Actor, model: Model, role: str) -> tuple[Path, str] | None:
        """(path, sha256) of the model's file in ``role``, or None when it has none."""
        found = repo.stored_file(session, actor.tenant_id, model.id, role)
        return (self.store.path(found[0]), found[1]) if found else None

    def _pipeline(self, session: Session, actor: Actor, model: Model) -> Any:
        """The fitted pipeline of a tabular model as the engine runs it (skops, trusted types only): raw rows in."""
        schema = tabular(model)
        found = self._path(session, actor, model, "model")
        if found is None:
            raise Conflict(f"The pipeline file of {model.label} is missing.")
        kinds = tuple((f.name, f.kind) for f in schema.features)
        return _load_pipeline(str(found[0]), found[1], kinds)

    def _background(self, session: Session, actor: Actor, model: Model) -> pd.DataFrame | None:
        found = self._path(session, actor, model, "background")
        return _read_background(str(found[0]), found[1]) if found else None

    def _delete(self, session: Session, actor: Actor, model_id: str) -> list[str]:
        """Delete the model, its links and its file rows; returns the storage keys to remove after commit."""
        model = repo.get_model(session, actor.tenant_id, model_id)
        busy = catalog_repo.jobs_using(session, actor.tenant_id, models=[model_id])
        if busy:
            raise Conflict(
                f"{model.label} is being used by {len(busy)} unfinished job(s) ({', '.join(busy)}); "
                "try again when they finish."
            )
        files = repo.delete_model(session, actor.tenant_id, model_id)
        keys = [file_repo.delete_file(session, actor.tenant_id, file_id) for file_id in files]
        record(session, actor, "model.deleted", "model", model_id, name=model.label)
        return keys

    # --- reading ---------------------------------------------------------------------------------------
    def list(self, actor: Actor, problem_types: list[str] | None = None, domain: str | None = None) -> list[Model]:
        """Every version of every predictor of the tenant, by name then newest version first; ``domain`` keeps
        the versions of that domain (ignoring case and surrounding spaces)."""
        require(actor, "models:read")
        with self.db.session() as session:
            models = repo.list_models(session, actor.tenant_id, problem_types=problem_types)
        if domain is None:
            return models
        wanted = domain.strip().casefold()
        return [m for m in models if m.domain.casefold() == wanted]

    def get(self, actor: Actor, model_id: str) -> Model:
        with self.db.session() as session:
            return self._get(session, actor, model_id)

    def of_training(self, actor: Actor, train_id: str) -> Model:
        """The model ``train_id`` names: a model id, or the id of the training job that made it (the seed's
        ``train_id`` is known from submission on). Conflict while that job is unfinished or when it failed."""
        with self.db.session() as session:
            require(actor, "models:read")
            if repo.model_exists(session, actor.tenant_id, train_id):
                return self._get(session, actor, train_id)
            job = self.jobs._get(session, actor, train_id)
            if job.kind not in TRAINING_KINDS:
                raise NotFound("That training does not exist.")
            model_id = (job.result or {}).get("model_id")
            if model_id is None:
                state = job.status.value if not job.finished else f"{job.status.value}: {job.error or 'no model'}"
                raise Conflict(f"Training '{job.title}' has no model yet ({state}).")
            return self._get(session, actor, model_id)

    def pipeline(self, actor: Actor, model_id: str) -> Any:
        """The fitted pipeline of a tabular model as the engine runs it (skops, trusted types only): raw rows in."""
        with self.db.session() as session:
            return self._pipeline(session, actor, self._get(session, actor, model_id))

    def background(self, actor: Actor, model_id: str) -> pd.DataFrame | None:
        """The training rows stored with the model that its explanations are relative to (None for models
        trained before backgrounds were kept). Cached per file: form predictions ask for it every time."""
        with self.db.session() as session:
            return self._background(session, actor, self._get(session, actor, model_id))

    # --- summary --------------------------------------------------------------------------------
    def holdout(self, actor: Actor, model_id: str) -> pd.DataFrame:
        """The held-out predictions the metrics come from: ``row`` (1 = first training row), ``y_true``,
        ``y_pred`` (+ ``probability_<class>`` per class)."""
        with self.db.session() as session:
            found = self._path(session, actor, self._get(session, actor, model_id), "holdout")
        return _holdout(found[0] if found else None)

    def summary(self, actor: Actor, model_id: str) -> ModelSummary:
        """Metrics, plot frames (confusion matrix, ROC / PR curves, residuals), leaderboard, facts, lineage and
        the feature importance: everything the Models page shows of one version."""
        require(actor, "models:read")
        with self.db.session() as session:
            chain = repo.ancestry(session, actor.tenant_id, model_id)
            names = repo.dataset_names(session, actor.tenant_id, [i for m in chain for i in m.datasets])
            holdout, values = (self._path(session, actor, chain[0], role) for role in ("holdout", "importance"))
        importance = read_importance(chain[0].details.importance, values[0] if values else None)
        return build_summary(_holdout(holdout[0] if holdout else None), chain, names, importance)

    def schema_json(self, actor: Actor, model_id: str) -> bytes:
        """What the model expects and predicts: features with types and allowed categories, target, classes (a
        forecaster: its columns and settings)."""
        model = self.get(actor, model_id)
        spec = model.schema or model.forecast
        document = {
            "model": model.label,
            "name": model.name,
            "version": model.version,
            "problem_type": model.problem_type,
            "target": model.target,
            **(spec.to_dict() if spec else {}),
        }
        return json.dumps(document, indent=2, ensure_ascii=False, default=str).encode()

    def download(self, actor: Actor, model_id: str) -> bytes:
        """The skops file of the model: scikit-learn types only, so ``skops.io.load`` with the types
        ``skops.io.get_untrusted_types`` lists (scikit-learn's tree internals) works without this product. It reads
        a DataFrame of the features: numbers, categories and text as text, booleans as 0 / 1, each date as
        ``<name>__year``, ``__month``, ``__day``, ``__dayofweek``, ``__hour`` (see ``schema_json``)."""
        require(actor, "models:download")
        with self.db.session() as session:
            model = self._get(session, actor, model_id)
            tabular(model)
            key = file_repo.storage_key(session, actor.tenant_id, str(model.file_id))
            data = self.store.read(key)
            record(session, actor, "model.downloaded", "model", model.id, name=model.label)
        return data

    # --- feature importance ---------------------------------------------------------------------
    def importance(self, actor: Actor, model_id: str) -> Importance | None:
        """The stored SHAP importance with its per-row values, or None when none was computed."""
        with self.db.session() as session:
            model = self._get(session, actor, model_id)
            values = self._path(session, actor, model, "importance")
        return read_importance(model.details.importance, values[0] if values else None)

    def feature_importance(self, actor: Actor, model_id: str) -> pd.DataFrame:
        """``[feature, mean_abs_shap]`` on the original columns, largest first (empty when not computed)."""
        found = self.importance(actor, model_id)
        return found.table if found else pd.DataFrame(columns=["feature", "mean_abs_shap"])

    def explain(self, actor: Actor, model_id: str, sample_rows: int = 2000) -> Job:
        """Compute global SHAP importance on ``sample_rows`` training rows as a job (replaces any earlier one)."""
        require(actor, "models:train")
        low, high = SAMPLE_ROWS
        with self.db.session() as session:
            model = self._get(session, actor, model_id)
            tabular(model)
            if not low <= int(sample_rows) <= high:
                raise InvalidInput(
                    f"Explain between {low:,} and {high:,} rows.",
                    [Problem("out of range", field="sample_rows", value=str(sample_rows))],
                )
            params = {"model_id": model.id, "sample_rows": int(sample_rows)}
            job = self.jobs._queue(session, actor, "explain_model", f"Explain {model.label}", params)
        return self.jobs._start(job, actor)

    def delete_importance(self, actor: Actor, model_id: str) -> None:
        require(actor, "models:train")
        with self.db.session() as session:
            model = self._get(session, actor, model_id)
            repo.set_details(session, actor.tenant_id, model_id, details=replace(model.details, importance=None))
            old = repo.set_file(session, actor.tenant_id, model_id, role="importance", file_id=None)
            key = file_repo.delete_file(session, actor.tenant_id, old) if old else None
            record(session, actor, "model.importance_deleted", "model", model_id, name=model.label)
        if key:
            self.store.delete(key)

    # --- editing ---------------------------------------------------------------------------------
    def update(
        self,
        actor: Actor,
        model_id: str,
        *,
        name: str | None = None,
        domain: str | None = None,
        description: str | None = None,
    ) -> Model:
        """Rename the predictor (every version: a name is one predictor, so one version alone cannot leave it)
        and / or set this version's domain and description (None: unchanged). A rename is refused while a
        training of either name is unfinished, since that training would add its version under the old name."""
        require(actor, "models:train")
        name, domain = (None if v is None else v.strip() for v in (name, domain))
        problems = check_labels(name, domain, description)
        if problems:
            raise InvalidInput("The model's new details are not valid.", problems)
        with self.db.session() as session:
            model = self._get(session, actor, model_id)
            changes: dict[str, Any] = {}
            if name is not None and name != model.name:
                _no_training(session, actor.tenant_id, (model.name, name))
                repo.rename_predictor(session, actor.tenant_id, model_id, name)
                changes["new_name"] = name
            if domain is not None or description is not None:
                repo.set_labels(session, actor.tenant_id, model_id, domain=domain, description=description)
                changes |= {k: v[:200] for k, v in (("domain", domain), ("description", description)) if v is not None}
            if changes:
                record(session, actor, "model.updated", "model", model_id, name=model.label, **changes)
            return repo.get_model(session, actor.tenant_id, model_id)

    def latest(self, actor: Actor, name: str) -> Model:
        """The newest version of predictor ``name`` (ignoring case); NotFound when no version has that name."""
        with self.db.session() as session:
            require(actor, "models:read")
            found = repo.latest_version(session, actor.tenant_id, name.strip())
        if found is None:
            raise NotFound(f"No predictor is named {name.strip()!r}.")
        return found

    # --- delete ---------------------------------------------------------------------------------
    def delete(self, actor: Actor, model_id: str) -> None:
        """Refused while a job scores with the model, explains it or continues it; removes every file of it."""
        require(actor, "models:train")
        with self.db.session() as session:
            keys = self._delete(session, actor, model_id)
        for key in keys:
            self.store.delete(key)


def _no_training(session: Session, tenant_id: str, names: tuple[str, ...]) -> None:
    """Conflict while a training of one of these predictor names is unfinished."""
    keys = {n.casefold() for n in names}
    for job in job_repo.list_jobs(session, tenant_id, kinds=list(TRAINING_KINDS), statuses=UNFINISHED):
        if str(job.params.get("name", "")).strip().casefold() in keys:
            raise Conflict(f"'{job.title}' is still {job.status.value}; rename when it has finished.")


def _holdout(path: Path | None) -> pd.DataFrame:
    return pq.read_table(path).to_pandas() if path else pd.DataFrame(columns=["y_true", "y_pred"])
