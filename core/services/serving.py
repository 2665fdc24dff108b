"""Scoring rows with a registry version, trained here or uploaded, with SHAP explanations on request.

A trained version scores exactly as a form prediction does (``check_input``, the saved pipeline, ``explain_one``
against its stored background); an uploaded one through ``core.ml.external`` (skops, trusted types only), explained
against its ``data`` artefact. Loaded models are cached per file content, so a deployment pays for loading once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from core.entities import Actor, Model, ModelSchema
from core.entities.registry import ModelVersion, RegisteredModel
from core.errors import Conflict, InvalidInput, Problem
from core.services.models import ModelService
from core.services.scoring import jsonable, threads, without_coercion
from core.storage.files import FileStore
from core.storage.repositories import registry_links as links
from core.storage.repositories import registry_versions as versions_repo

MAX_ROWS = 10_000  # rows one call may score
MAX_EXPLAINED = 100  # rows one call may explain (SHAP per row is far slower than scoring)
SERVABLE = ("classification", "regression")


@dataclass(frozen=True)
class Scored:
    prediction: list[Any]
    probabilities: list[dict[str, float]] | None
    explanation: dict[str, Any] | None
    warnings: tuple[str, ...]


@lru_cache(maxsize=16)
def _external(path: str, sha256: str, features: tuple[str, ...], kind: str, background: tuple[str, str] | None) -> Any:
    from core.ml.external import External, load_estimator

    rows = pq.read_table(background[0]).to_pandas() if background else None
    return External(load_estimator(Path(path).read_bytes()), features, kind, rows)


def rows_frame(data: Any, features: Sequence[str]) -> pd.DataFrame:
    """The rows of a request: an object (one row by name), a list of values (one row in feature order), or a list
    of either (several rows)."""
    one_row = isinstance(data, list | tuple) and data and not isinstance(data[0], Mapping | list | tuple)
    if isinstance(data, Mapping) or one_row:
        data = [data]
    if not isinstance(data, list | tuple) or not data:
        raise InvalidInput("Send the rows to score: an object, a list of values, or a list of either.")
    if len(data) > MAX_ROWS:
        raise InvalidInput(f"Score at most {MAX_ROWS:,} rows per call; send a batch file for more.")
    records = []
    for n, row in enumerate(data):
        if isinstance(row, Mapping):
            records.append(dict(row))
        elif isinstance(row, list | tuple) and len(row) == len(features):
            records.append(dict(zip(features, row, strict=True)))
        else:
            raise InvalidInput(
                f"Row {n + 1} must be an object or a list of {len(features)} values ({', '.join(features)}).",
                [Problem("wrong row shape", row=n, value=str(row)[:80])],
            )
    return pd.DataFrame.from_records(records)


@dataclass(frozen=True)
class Scorer:
    """A version ready to score: a trained pipeline with its schema and background, or an external model."""

    version: ModelVersion
    features: tuple[str, ...]
    pipeline: Any = None
    schema: ModelSchema | None = None
    background: pd.DataFrame | None = None
    external: Any = None
    trained: Model | None = None  # a version trained here (its recipe replays raw rows)

    def aligned(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The feature columns in the types the model reads (drift compares these): a trained model's canonical
        dtypes, numbers for an external one; values of the wrong type become missing."""
        if self.external is not None:
            return rows[list(self.features)].apply(pd.to_numeric, errors="coerce")
        from core.ml import check_input

        assert self.schema is not None
        return check_input(self.schema, rows, max_problems=0)[0]

    def predict(self, rows: pd.DataFrame) -> pd.Series:
        """Predicted values only (drift of predictions)."""
        if self.external is not None:
            return pd.Series(self.external.predict(rows)[0], index=rows.index)
        from core.ml import check_input, predict_frame

        assert self.schema is not None
        aligned, _, _ = check_input(self.schema, rows, max_problems=0)
        return predict_frame(without_coercion(self.pipeline), self.schema, aligned)["prediction"]

    def score(self, rows: pd.DataFrame, explain: bool) -> Scored:
        if explain and len(rows) > MAX_EXPLAINED:
            raise InvalidInput(f"Explain at most {MAX_EXPLAINED} rows per call; ask without explain for more.")
        if self.external is not None:
            return self._external(rows, explain)
        from core.ml import check_input, explain_one, predict_frame
        from core.ml.metrics import probability_column

        assert self.schema is not None
        aligned, problems, notes = check_input(self.schema, rows)
        if problems:
            named = ", ".join(dict.fromkeys(str(p.field) for p in problems))
            raise InvalidInput(f"Some inputs are missing, of the wrong type or not finite numbers: {named}.", problems)
        with threads().limit(limits=1):
            scored = predict_frame(without_coercion(self.pipeline), self.schema, aligned)
            explained = [
                explain_one(self.pipeline, self.schema, aligned.iloc[[i]], self.background, coerced=True)
                for i in range(len(aligned) if explain else 0)
            ]
        columns = [(str(c), probability_column(c)) for c in self.schema.classes]
        probabilities = [{label: float(row[col]) for label, col in columns} for _, row in scored.iterrows()]
        explanation = None
        if explained:
            values = [[e.contributions[f] for f in self.features] for e in explained]
            explanation = _explanation(self.features, values, [e.base_value for e in explained])
            explanation["output_space"] = explained[0].output_space
        return Scored(
            [jsonable(v) for v in scored["prediction"]], probabilities if columns else None, explanation, tuple(notes)
        )

    def _external(self, rows: pd.DataFrame, explain: bool) -> Scored:
        predicted, probabilities = self.external.predict(rows)
        explanation = None
        if explain:
            values, base = self.external.explain(rows, predicted)
            explanation = _explanation(self.features, values.tolist(), base.tolist())
        return Scored([jsonable(v) for v in predicted], probabilities, explanation, ())


def _explanation(features: Sequence[str], values: list[list[float]], base: list[float]) -> dict[str, Any]:
    """The seed's shape: ``feature_importance`` is one row's SHAP values in feature order (a list per row when
    several rows were scored), with the features they belong to and the base value they add to."""
    one = len(values) == 1
    return {
        "method": "shap",
        "features": list(features),
        "feature_importance": values[0] if one else values,
        "base_value": base[0] if one else base,
    }


def servable(version: ModelVersion) -> None:
    """Only versions that score rows are served (a forecaster forecasts; clustering is registered, not served)."""
    if version.kind not in SERVABLE:
        raise Conflict(f"{version.label} is a {version.kind} model; deployments serve classification and regression.")


def load_scorer(
    session: Session,
    actor: Actor,
    models: ModelService,
    store: FileStore,
    model: RegisteredModel,
    version: ModelVersion,
) -> Scorer:
    """The scorer of a version; refused in one sentence when it cannot score rows (a forecaster, clustering
    without predict, a missing file)."""
    servable(version)
    if version.origin == "trained":
        trained = models._get(session, actor, version.id)
        pipeline = models._pipeline(session, actor, trained)
        schema = trained.schema
        assert schema is not None
        background = models._background(session, actor, trained)
        return Scorer(version, tuple(schema.feature_names), pipeline, schema, background, trained=trained)
    found = versions_repo.version_file(session, actor.tenant_id, version.id)
    if found is None:
        raise Conflict(f"The model file of {version.label} is missing.")
    reference = links.reference_file(session, model.id)
    background = (str(store.path(reference[1])), reference[2]) if reference else None
    external = _external(str(store.path(found[0])), found[1], version.features, version.kind, background)
    return Scorer(version, version.features, external=external)
