"""Trained models: list, read, summary, schema and file downloads, feature importance, delete.

Training itself is in ``training.py``; the explanation job in ``explain_tasks.py``."""

from __future__ import annotations

import json
from contextlib import suppress
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from core.entities import Actor, Job, Model
from core.errors import Conflict, InvalidInput, NotFound, Problem
from core.services.base import Service, record, require
from core.services.importance import Importance, importance_file_id, read_importance
from core.services.model_summary import ModelSummary, build_summary
from core.storage.repositories import catalog as catalog_repo
from core.storage.repositories import files as file_repo
from core.storage.repositories import models as repo

SAMPLE_ROWS = (10, 50_000)  # the explain job's sample size bounds


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


class ModelService(Service):
    def list(self, actor: Actor, problem_types: list[str] | None = None) -> list[Model]:
        """Every version of every predictor of the tenant, by name then newest version first."""
        require(actor, "models:read")
        with self.db.session() as session:
            return repo.list_models(session, actor.tenant_id, problem_types=problem_types)

    def get(self, actor: Actor, model_id: str) -> Model:
        require(actor, "models:read")
        with self.db.session() as session:
            return repo.get_model(session, actor.tenant_id, model_id)

    def _tabular(self, actor: Actor, model_id: str) -> Model:
        model = self.get(actor, model_id)
        if model.file_id is None:
            raise Conflict(f"{model.label} has no fitted pipeline (it is a {model.problem_type} model).")
        return model

    def _stored(self, actor: Actor, file_id: str) -> tuple[str, str]:
        """(storage key, sha256) of one of the model's files."""
        with self.db.session() as session:
            info = file_repo.get_file(session, actor.tenant_id, file_id)
            return file_repo.storage_key(session, actor.tenant_id, file_id), info.sha256

    def pipeline(self, actor: Actor, model_id: str) -> Any:
        """The fitted pipeline of a tabular model as the engine runs it (skops, trusted types only): raw rows in."""
        model = self._tabular(actor, model_id)
        key, sha256 = self._stored(actor, str(model.file_id))
        kinds = tuple((f["name"], f["kind"]) for f in model.schema["features"])
        return _load_pipeline(str(self.engine.store.path(key)), sha256, kinds)

    def background(self, actor: Actor, model_id: str) -> pd.DataFrame | None:
        """The training rows stored with the model that its explanations are relative to (None for models
        trained before backgrounds were kept). Cached per file: form predictions ask for it every time."""
        file_id = self.get(actor, model_id).details.get("background_file_id")
        if not file_id:
            return None
        key, sha256 = self._stored(actor, file_id)
        return _read_background(str(self.engine.store.path(key)), sha256)

    # --- summary --------------------------------------------------------------------------------
    def holdout(self, actor: Actor, model_id: str) -> pd.DataFrame:
        """The held-out predictions the metrics come from: ``row`` (1 = first training row), ``y_true``,
        ``y_pred`` (+ ``probability_<class>`` per class)."""
        model = self.get(actor, model_id)
        file_id = model.details.get("holdout_file_id")
        if not file_id:
            return pd.DataFrame(columns=["y_true", "y_pred"])
        return pq.read_table(self.engine.store.path(self._stored(actor, file_id)[0])).to_pandas()

    def summary(self, actor: Actor, model_id: str) -> ModelSummary:
        """Metrics, plot frames (confusion matrix, ROC / PR curves, residuals), leaderboard, facts, lineage."""
        holdout = self.holdout(actor, model_id)
        with self.db.session() as session:
            chain = repo.ancestry(session, actor.tenant_id, model_id)
            ids = [i for m in chain for i in m.details.get("training_datasets") or [m.dataset_id]]
            names = repo.dataset_names(session, actor.tenant_id, ids)
        return build_summary(chain[0], holdout, chain, names)

    def schema_json(self, actor: Actor, model_id: str) -> bytes:
        """What the model expects and predicts: features with types and allowed categories, target, classes."""
        model = self.get(actor, model_id)
        document = {
            "model": model.label,
            "name": model.name,
            "version": model.version,
            "problem_type": model.problem_type,
            "target": model.target,
            **model.schema,
        }
        return json.dumps(document, indent=2, ensure_ascii=False, default=str).encode()

    def download(self, actor: Actor, model_id: str) -> bytes:
        """The skops file of the model: scikit-learn types only, so ``skops.io.load`` with the types
        ``skops.io.get_untrusted_types`` lists (scikit-learn's tree internals) works without this product. It reads
        a DataFrame of the features: numbers, categories and text as text, booleans as 0 / 1, each date as
        ``<name>__year``, ``__month``, ``__day``, ``__dayofweek``, ``__hour`` (see ``schema_json``)."""
        require(actor, "models:download")
        model = self._tabular(actor, model_id)
        data = self.engine.store.read(self._stored(actor, str(model.file_id))[0])
        with self.db.session() as session:
            record(session, actor, "model.downloaded", "model", model.id, name=model.label)
        return data

    # --- feature importance ---------------------------------------------------------------------
    def importance(self, actor: Actor, model_id: str) -> Importance | None:
        """The stored SHAP importance with its per-row values, or None when none was computed."""
        return read_importance(self.engine, actor, self.get(actor, model_id))

    def feature_importance(self, actor: Actor, model_id: str) -> pd.DataFrame:
        """``[feature, mean_abs_shap]`` on the original columns, largest first (empty when not computed)."""
        found = self.importance(actor, model_id)
        return found.table if found else pd.DataFrame(columns=["feature", "mean_abs_shap"])

    def explain(self, actor: Actor, model_id: str, sample_rows: int = 2000) -> Job:
        """Compute global SHAP importance on ``sample_rows`` training rows as a job (replaces any earlier one)."""
        require(actor, "models:train")
        model = self._tabular(actor, model_id)
        low, high = SAMPLE_ROWS
        if not low <= int(sample_rows) <= high:
            raise InvalidInput(
                f"Explain between {low:,} and {high:,} rows.",
                [Problem("out of range", field="sample_rows", value=str(sample_rows))],
            )
        return self.engine.jobs.submit(
            actor, "explain_model", f"Explain {model.label}", {"model_id": model.id, "sample_rows": int(sample_rows)}
        )

    def delete_importance(self, actor: Actor, model_id: str) -> None:
        require(actor, "models:train")
        with self.db.session() as session:
            model = repo.get_model(session, actor.tenant_id, model_id)
            file_id = importance_file_id(model)
            details = {k: v for k, v in model.details.items() if k not in ("importance", "importance_info")}
            repo.update_model(session, actor.tenant_id, model_id, details=details)
            key = file_repo.delete_file(session, actor.tenant_id, file_id) if file_id else None
            record(session, actor, "model.importance_deleted", "model", model_id, name=model.label)
        if key:
            self.engine.store.delete(key)

    # --- delete ---------------------------------------------------------------------------------
    def delete(self, actor: Actor, model_id: str) -> None:
        """Refused while a job scores with the model, explains it or continues it; removes every file of it."""
        require(actor, "models:train")
        with self.db.session() as session:
            model = repo.get_model(session, actor.tenant_id, model_id)
            busy = catalog_repo.jobs_using(session, actor.tenant_id, [model_id])
            if busy:
                raise Conflict(
                    f"{model.label} is being used by {len(busy)} unfinished job(s) "
                    f"({', '.join(sorted(set(busy)))}); try again when they finish."
                )
            file_ids = [
                repo.delete_model(session, actor.tenant_id, model_id),
                model.details.get("holdout_file_id"),
                model.details.get("background_file_id"),
                importance_file_id(model),
            ]
            keys: list[str] = []
            for file_id in filter(None, file_ids):
                with suppress(NotFound):  # already gone (deleted before files.delete refused it): the model goes
                    keys.append(file_repo.delete_file(session, actor.tenant_id, file_id))
            record(session, actor, "model.deleted", "model", model_id, name=model.label)
        for key in keys:
            self.engine.store.delete(key)
