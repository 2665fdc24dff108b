"""Job task ``drift_check``: the current data against the model's reference through ``core.monitoring.compare``,
the predictions of both compared too, the report stored."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow.parquet as pq

from core.entities.registry import DriftSettings
from core.errors import Conflict, InvalidInput, NotFound
from core.services.base import record
from core.services.datasets import read_columns
from core.services.serving import load_scorer
from core.storage.repositories import deployments as deployment_repo
from core.storage.repositories import drift as repo
from core.storage.repositories import files as file_repo
from core.storage.repositories import registry_links as links

if TYPE_CHECKING:
    from core.monitoring import DriftRule
    from core.services.tasking import TaskContext

PREDICTED_ROWS = 10_000  # rows of each side whose predictions are compared (scoring is the slow part)


def rule_for(settings: DriftSettings) -> DriftRule:
    """``auto``: the sample-size rule; ``test``: always KS / chi-squared; ``distance``: always Wasserstein /
    Jensen–Shannon."""
    from core.monitoring import DriftRule

    small = {"auto": DriftRule.small_sample, "test": 10_000_000, "distance": 10}[settings.method]
    return DriftRule(small_sample=small, share=settings.share)


def drift_check(ctx: TaskContext, params: dict[str, Any]) -> dict[str, Any]:
    from core.monitoring import compare

    actor, services, store = ctx.actor, ctx.services, ctx.workspace.store
    with ctx.workspace.db.session() as session:
        model = services.registry._model(session, actor, params["model_id"])
        deployment = None
        if params.get("deployment_id"):
            deployment = deployment_repo.get_deployment(session, actor.tenant_id, params["deployment_id"])
            model, version = services.deployments._serving(session, actor, deployment)
        else:
            version = services.registry._version(session, actor, model, "latest")
        scorer = load_scorer(session, actor, services.models, store, model, version)
        artefact = links.reference_file(session, model.id)
        if artefact is not None:
            reference_source: Any = store.path(artefact[1])
        elif version.origin == "trained":
            trained = services.models._get(session, actor, version.id)
            try:
                reference_source = [services.datasets._located(session, actor, d) for d in trained.datasets]
            except NotFound as exc:
                raise InvalidInput(
                    f"Some training data of {version.label} was deleted; upload it as a data artifact."
                ) from exc
        else:
            raise Conflict(f"{model.name} has nothing to compare with: upload its training data as a data artifact.")
        current_source: Any
        if params.get("dataset_id"):
            source, current_source = "dataset", services.datasets._located(session, actor, params["dataset_id"])
        elif params.get("input_file_id"):
            key = file_repo.storage_key(session, actor.tenant_id, params["input_file_id"])
            source, current_source = "file", store.path(key)
        else:
            assert deployment is not None
            source = "operations"
            current_source = deployment_repo.recent_inputs(session, actor.tenant_id, deployment.id, params["window"])
    ctx.check()
    ctx.progress(0.1, "reading the data")
    features = list(scorer.features)
    reference = _read(reference_source, features)
    current = _read(current_source, features)
    if source == "operations" and current.empty:
        raise InvalidInput("The deployment has no recorded input rows yet (no calls, or inference data not kept).")
    missing = [f for f in features if f not in current.columns]
    if missing:
        raise InvalidInput(f"The current data lacks the model's feature(s) {', '.join(missing)}.")
    if len(current) < 2:
        raise InvalidInput(f"Only {len(current)} current row(s) to compare; drift needs at least 2.")
    reference, current = scorer.aligned(reference), scorer.aligned(current)
    ctx.check()
    ctx.progress(0.3, "predicting")
    predictions = (_predicted(scorer, reference), _predicted(scorer, current))
    ctx.check()
    ctx.progress(0.6, f"comparing {len(current):,} rows with {len(reference):,}")
    report = compare(reference, current, rule=rule_for(model.metadata.drift), predictions=predictions)
    with ctx.workspace.db.session() as session:
        services.registry._anchor(session, actor, model, None)  # a trained predictor's row, if it has none yet
        check = repo.add_check(
            session,
            tenant_id=actor.tenant_id,
            user_id=actor.user_id,
            registered_model_id=model.id,
            deployment_id=deployment.id if deployment else None,
            version_id=version.id,
            model_label=version.label,
            job_id=ctx.job.id,
            source=source,
            reference="data artifact" if artefact is not None else "training data",
            reference_rows=len(reference),
            current_rows=len(current),
            drifted=report.drifted,
            drifted_share=report.drifted_share,
            columns=_with_histograms(report.frame().to_dict("records"), reference, current, predictions),
            multivariate=asdict(report.multivariate) if report.multivariate else None,
            prediction=asdict(report.prediction) if report.prediction else None,
            rule=asdict(report.rule),
        )
        record(session, actor, "drift.checked", "registered_model", model.id, check=check.id, drifted=check.drifted)
    return {"drift_check_id": check.id, "drifted": check.drifted}


def _with_histograms(
    columns: list[dict[str, Any]], reference: pd.DataFrame, current: pd.DataFrame, predictions: tuple[Any, Any]
) -> list[dict[str, Any]]:
    """Each compared column's reference and current shares on shared bins, for the Drift page's overlay."""
    from core.monitoring.histograms import overlay

    for column in columns:
        if column["kind"] == "skipped":
            continue
        name = column["column"]
        ref, cur = predictions if name == "prediction" and name not in reference else (reference[name], current[name])
        column["histogram"] = overlay(ref, cur, numeric=column["kind"] == "numeric")
    return columns


def _read(source: Any, features: list[str]) -> pd.DataFrame:
    """A frame of the features the source has: recorded rows, a Parquet file, or datasets (dataset, path)."""
    if isinstance(source, list) and all(isinstance(s, tuple) for s in source) and source:
        frames = [read_columns(d, path, [c for c in features if c in d.column_types]).to_pandas() for d, path in source]
        return pd.concat(frames, ignore_index=True, join="inner")
    if isinstance(source, tuple):
        return _read([source], features)
    if isinstance(source, list):
        return pd.DataFrame.from_records(source)
    table = pq.read_table(source)
    return table.select([c for c in features if c in table.column_names]).to_pandas()


def _predicted(scorer: Any, rows: pd.DataFrame) -> pd.Series:
    sample = rows.sample(n=PREDICTED_ROWS, random_state=0) if len(rows) > PREDICTED_ROWS else rows
    return scorer.predict(sample).reset_index(drop=True)
