"""Builds a workspace as revision 0003 left it, the last before links became tables: every reference between rows
is an id inside JSON (``models.details``: training datasets, held-out, background and SHAP file ids, the parent;
``models.file_id``; job parameters).

It holds two datasets of flowers and one of monthly sales (Parquet files), a classifier ``flower model`` v1 on the
first with all four files, its continued v2 on both, a forecaster on the sales, a succeeded training job and a
queued batch job of v1 on the second dataset, and a user's file. The rows are literal, in 0003's formats; only
the fitted pipelines and the forecaster's chosen configuration are made by today's code (a checked-in artifact
would be a binary blob).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from alembic import command
from sqlalchemy import MetaData, Table, create_engine, insert

from core.forecasting import fit_select
from core.ml import ModelSchema
from core.ml.candidates import Candidate, build_pipeline
from core.ml.persistence import model_to_bytes
from core.storage.migrate import alembic_config, migration_connection
from tests.core.legacy_workspace import PASSWORD, PASSWORD_HASH, SCHEMA, LegacyFile, _parquet, flowers

__all__ = ["PASSWORD", "build"]

TENANT, USER = "7d1f3a52-0c55-4d4f-9c1e-2b1e6f0d9a01", "2b9e8c47-5d1a-4f3b-8e6c-9a0d7c3b5e02"
FIRST, SECOND, SALES = (
    "c0a80101-0000-4000-8000-000000000001",
    "c0a80101-0000-4000-8000-000000000002",
    "c0a80101-0000-4000-8000-000000000003",
)
V1, V2, FORECASTER = (
    "a1a1a1a1-0000-4000-8000-000000000001",
    "a1a1a1a1-0000-4000-8000-000000000002",
    "a1a1a1a1-0000-4000-8000-000000000003",
)
TRAINED_JOB, QUEUED_JOB = "b2b2b2b2-0000-4000-8000-000000000001", "b2b2b2b2-0000-4000-8000-000000000002"
WHEN = datetime(2025, 6, 5, 9, 30, 0)
MONTHS = pd.date_range("2020-01-01", periods=36, freq="MS")


def _id(n: int) -> str:
    return f"f0f0f0f0-0000-4000-8000-{n:012d}"


def _file(
    n: int, kind: str, name: str, data: bytes, content_type: str = "application/vnd.apache.parquet"
) -> LegacyFile:
    return LegacyFile(_id(n), kind, name, content_type, data)


def _pipeline() -> bytes:
    data = flowers()
    pipeline = build_pipeline(ModelSchema.from_dict(SCHEMA), Candidate("LogisticRegression", {"C": 1.0}))
    pipeline.fit(data[["petal", "sepal"]], data["kind"].astype(str))
    return model_to_bytes(pipeline)


def _sales() -> pd.DataFrame:
    return pd.DataFrame({"month": MONTHS, "sales": [100 + 10 * (i % 12) + i for i in range(len(MONTHS))]})


def _fit() -> dict[str, Any]:
    sales = _sales()
    long = pd.DataFrame({"unique_id": "sales", "ds": sales["month"], "y": sales["sales"].astype(float)})
    return fit_select(long, "MS", 12, 4, n_windows=3).to_dict()


def files() -> dict[str, LegacyFile]:
    holdout = pd.DataFrame({"row": [3, 8], "y_true": ["b", "a"], "y_pred": ["b", "a"]})
    holdout = holdout.assign(probability_a=[0.3, 0.6], probability_b=[0.7, 0.4])
    values = pd.DataFrame(
        {"row": [1, 1], "feature": ["petal", "sepal"], "shap": [0.2, -0.1], "value": [None, None]}
        | {"number": [2.5, 3.5], "position": [0.4, 0.6]}
    )
    pipeline = _pipeline()
    return {
        "first": _file(1, "dataset", "flowers 2020.parquet", _parquet(flowers().iloc[:20])),
        "second": _file(2, "dataset", "flowers 2021.parquet", _parquet(flowers().iloc[20:])),
        "sales": _file(3, "dataset", "sales.parquet", _parquet(_sales())),
        "v1 model": _file(4, "model", "flower model.skops", pipeline, "application/octet-stream"),
        "v1 holdout": _file(5, "result", "flower model-holdout.parquet", _parquet(holdout)),
        "v1 background": _file(6, "result", "flower model-background.parquet", _parquet(flowers()[["petal", "sepal"]])),
        "v1 values": _file(7, "result", "flower model-shap-values.parquet", _parquet(values)),
        "v2 model": _file(8, "model", "flower model.skops", pipeline, "application/octet-stream"),
        "v2 holdout": _file(9, "result", "flower model-holdout.parquet", _parquet(holdout)),
        "v2 background": _file(
            10, "result", "flower model-background.parquet", _parquet(flowers()[["petal", "sepal"]])
        ),
        "notes": _file(11, "other", "notes.txt", b"remember the flowers", "text/plain"),
    }


def _details(trained_on: list[str], parent: dict[str, str] | None, **files: str) -> dict[str, Any]:
    board = {"rank": 1, "family": "LogisticRegression", "params": "C=1.0", "cv_score": 0.5, "cv_std": 0.0}
    return {
        "leaderboard": [board | {"folds": 4, "fit_time_s": 0.1, "status": "ok"}],
        "cv_metric": "roc_auc",
        "chosen_family": "LogisticRegression",
        "train_rows": 16 * len(trained_on),
        "holdout_rows": 2,
        "duration_s": 1.2,
        "warnings": [],
        "training_datasets": trained_on,
        "parent": parent,
        "versions": {"python": "3.11.7", "dataml-studio": "0.1.0"},
        **files,
    }


def _rows(f: dict[str, LegacyFile]) -> list[tuple[str, dict[str, Any]]]:
    owned = {"tenant_id": TENANT, "owner_id": USER, "created_at": WHEN}
    report = {"rows": 20, "columns": 3, "problems": [], "problem_counts": {}, "defaults_applied": {}, "usable_rows": 20}
    flower_types = {"petal": "float", "sepal": "float", "kind": "category"}
    importance = {
        "importance": [{"feature": "petal", "mean_abs_shap": 0.2}, {"feature": "sepal", "mean_abs_shap": 0.1}],
        "importance_info": {"rows": 1, "output_space": "probability", "source": "training"}
        | {"computed_at": "2025-06-05T09:30:00+00:00", "file_id": f["v1 values"].id},
    }
    v1_files = {"holdout_file_id": f["v1 holdout"].id, "background_file_id": f["v1 background"].id}
    v2_files = {"holdout_file_id": f["v2 holdout"].id, "background_file_id": f["v2 background"].id}
    metrics = {"accuracy": 1.0, "balanced_accuracy": 1.0, "f1": 1.0, "roc_auc": 1.0, "log_loss": 0.4}
    fit = _fit()
    spec = {"time_column": "month", "target": "sales", "series_column": None, "resample": False, "fit": fit}
    model: dict[str, Any] = owned | {
        "name": "flower model",
        "name_key": "flower model",
        "problem_type": "classification",
    }
    model |= {"status": "ready", "target": "kind", "schema": SCHEMA, "metrics": metrics}
    params: dict[str, Any] = {"dataset_id": FIRST, "name": "flower model", "target": "kind", "problem_type": "auto"}
    params |= {"features": None}
    params |= {"id_column": None, "time_column": None, "series_column": None, "frequency": None}
    params |= {"season_length": None, "horizon": None, "resample": False, "time_budget_s": 1, "explain": True}
    job: dict[str, Any] = owned | {"progress": 1.0, "message": "done", "error": None, "error_details": None}
    job |= {"cancel_requested": False, "pid": None, "host": None, "started_at": WHEN, "finished_at": WHEN}
    batch: dict[str, Any] = {"model_id": V1, "model_label": "flower model v1", "model_version": 1, "explain_top": 0}
    batch |= {"dataset_id": SECOND, "input_file_id": f["second"].id, "input_name": "flowers 2021", "rows": 20}
    forecast_details = {"leaderboard": [], "notes": [], "series": 1, "train_rows": 36, "frequency": "MS"}
    forecast_details |= {"season_length": 12, "horizon": 4, "inferred": [], "duration_s": 2.0}
    forecast_details |= {"training_datasets": [SALES], "chosen_family": "AutoETS"}
    return [
        ("tenants", {"id": TENANT, "name": "Default", "name_key": "default", "created_at": WHEN}),
        (
            "users",
            {"id": USER, "tenant_id": TENANT, "username": "admin", "display_name": "admin", "email": "a@example.com"}
            | {"password_hash": PASSWORD_HASH, "role": "admin", "is_platform_admin": True, "active": True}
            | {"created_at": WHEN, "last_login_at": None, "sessions_valid_after": None},
        ),
        *[
            (
                "files",
                owned
                | {"id": x.id, "kind": x.kind, "name": x.name, "content_type": x.content_type, "size": len(x.data)}
                | {"sha256": hashlib.sha256(x.data).hexdigest(), "storage_key": f"{TENANT}/{x.kind}/{x.id}"},
            )
            for x in f.values()
        ],
        *[
            (
                "datasets",
                owned
                | {"id": dataset_id, "name": name, "name_key": name, "source_name": f"{name}.csv", "template_id": None}
                | {"file_id": f[key].id, "status": "validated", "rows": rows, "size_bytes": len(f[key].data)}
                | {"column_types": types, "report": report | {"rows": rows, "usable_rows": rows}, "statistics": None},
            )
            for dataset_id, name, key, rows, types in (
                (FIRST, "flowers 2020", "first", 20, flower_types),
                (SECOND, "flowers 2021", "second", 20, flower_types),
                (SALES, "sales", "sales", 36, {"month": "date", "sales": "integer"}),
            )
        ],
        (
            "jobs",
            job
            | {"id": TRAINED_JOB, "kind": "train_tabular", "title": "Train flower model on flowers 2020"}
            | {"status": "succeeded", "params": params, "result": {"model_id": V1}},
        ),
        (
            "jobs",
            job
            | {"id": QUEUED_JOB, "kind": "batch_predict", "title": "Score flowers 2021 with flower model v1"}
            | {"status": "queued", "params": batch, "result": None, "progress": 0.0, "message": ""}
            | {"started_at": None, "finished_at": None},
        ),
        (
            "models",
            model
            | {"id": V1, "version": 1, "dataset_id": FIRST, "parent_id": None, "job_id": TRAINED_JOB}
            | {"file_id": f["v1 model"].id, "details": _details([FIRST], None, **v1_files) | importance},
        ),
        (
            "models",
            model
            | {"id": V2, "version": 2, "dataset_id": SECOND, "parent_id": V1, "job_id": None}
            | {"file_id": f["v2 model"].id}
            | {"details": _details([FIRST, SECOND], {"id": V1, "label": "flower model v1"}, **v2_files)},
        ),
        (
            "models",
            owned
            | {"id": FORECASTER, "name": "sales forecast", "name_key": "sales forecast", "version": 1}
            | {"problem_type": "forecast", "status": "ready", "dataset_id": SALES, "parent_id": None, "job_id": None}
            | {"file_id": None, "target": "sales", "schema": spec, "metrics": {"mase": 0.5, "smape": 0.1}}
            | {"details": forecast_details},
        ),
    ]


def build(home: Path, database_url: str) -> dict[str, LegacyFile]:
    """Write the workspace (database at ``database_url`` at revision 0003, files under ``home``); its files."""
    engine = create_engine(database_url)
    with migration_connection(engine) as connection:
        command.upgrade(alembic_config(connection), "0003")
    stored = files()
    with engine.begin() as connection:
        metadata = MetaData()
        for table, row in _rows(stored):  # reflected: the rows go into 0003's tables, not today's ORM
            connection.execute(insert(Table(table, metadata, autoload_with=connection)), row)
    engine.dispose()
    for f in stored.values():
        path = home / "files" / TENANT / f.kind / f.id
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f.data)
    return stored
