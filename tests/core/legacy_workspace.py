"""Builds a workspace as the last release before migrations left it: ``create_all`` tables, no ``alembic_version``.

The tables come from revision 0001 (which is that schema); the rows are literal, in that release's formats
(JSON references inside ``models.details``, job params as written by ``TrainRequest.to_params``), so a later
revision that moves data has to keep them readable. Only the model's bytes are made by today's pipeline
builder, because a pickled-style artifact checked in would be a binary blob.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from alembic import command
from sqlalchemy import MetaData, Table, create_engine, insert, text

from core.ml import ModelSchema
from core.ml.candidates import Candidate, build_pipeline
from core.ml.persistence import model_to_bytes
from core.storage.migrate import BASELINE, alembic_config, migration_connection

PASSWORD = "admin-pass-123"
PASSWORD_HASH = "$2b$04$fXHJ77QsuevR9kms54A28eWvu5UDzrFgAeaG1qd1zo99jiWAJ015S"  # bcrypt of PASSWORD, cost 4
TENANT = "f607ec26-bcab-4148-bd60-fae004e7cded"
USER = "1a3841d0-f64d-4caa-833a-b013f8675398"
TEMPLATE = "ba8e3660-0dae-4b7f-a439-d03ed750c060"
DATASET = "947fefa7-95b2-4367-93a2-14ddc86f1c8d"
MODEL = "01f6a018-edc3-4187-b2b4-9b4de6785f07"
JOB = "d546d72e-aa29-4f63-813a-a2ecf2f32208"
DATASET_FILE, MODEL_FILE, HOLDOUT_FILE = (
    "d3be27c1-4733-4d21-b029-493cbcb90eb9",
    "92923766-e3ad-4ac9-a439-b78d6b5ad8c6",
    "0f36e216-980e-478a-b72c-7a46e004ad56",
)
WHEN = datetime(2026, 12, 2, 18, 27, 11)
SCHEMA: dict[str, Any] = {
    "features": [
        {"name": "petal", "kind": "numeric", "dtype": "float", "categories": [], "median": 3.5, "mode": None}
        | {"min": 0.5, "max": 6.5},
        {"name": "sepal", "kind": "numeric", "dtype": "float", "categories": [], "median": 3.5, "mode": None}
        | {"min": 1.5, "max": 5.5},
    ],
    "target": "kind",
    "problem_type": "classification",
    "classes": ["a", "b"],
    "id_column": None,
}
DETAILS: dict[str, Any] = {
    "leaderboard": [
        {"rank": 1, "family": "LogisticRegression", "params": "C=1.0, max_iter=1000", "cv_score": 0.5}
        | {"cv_std": 0.0, "folds": 4, "fit_time_s": 0.1, "status": "ok"},
    ],
    "cv_metric": "roc_auc",
    "chosen_family": "LogisticRegression",
    "train_rows": 32,
    "holdout_rows": 8,
    "duration_s": 1.49,
    "warnings": ["Only 40 rows have a target value; 100 or more give more reliable models."],
    "training_datasets": [DATASET],
    "parent": None,
    "versions": {"python": "3.11.7", "dataml-studio": "0.1.0", "scikit-learn": "1.9.1"},
    "holdout_file_id": HOLDOUT_FILE,
}
PARAMS: dict[str, Any] = {
    "dataset_id": DATASET,
    "name": "flower model",
    "target": "kind",
    "problem_type": "auto",
    "features": None,
    "id_column": None,
    "time_column": None,
    "series_column": None,
    "frequency": None,
    "season_length": None,
    "horizon": None,
    "resample": False,
    "time_budget_s": 1,
    "explain": False,
    "parent_model_id": None,
}


@dataclass(frozen=True)
class LegacyFile:
    id: str
    kind: str
    name: str
    content_type: str
    data: bytes

    @property
    def storage_key(self) -> str:
        return f"{TENANT}/{self.kind}/{self.id}"


def flowers() -> pd.DataFrame:
    rows = range(40)
    frame = pd.DataFrame({"petal": [i % 7 + 0.5 for i in rows], "sepal": [(i * 3) % 5 + 1.5 for i in rows]})
    return frame.assign(kind=pd.Categorical(["ab"[i % 2] for i in rows]))


def _parquet(frame: pd.DataFrame) -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), out)
    return out.getvalue()


def _files() -> list[LegacyFile]:
    data = flowers()
    pipeline = build_pipeline(ModelSchema.from_dict(SCHEMA), Candidate("LogisticRegression", {"C": 1.0}))
    pipeline.fit(data[["petal", "sepal"]], data["kind"].astype(str))
    holdout = pd.DataFrame({"row": [30, 7], "y_true": ["b", "a"], "y_pred": ["a", "a"]})
    holdout = holdout.assign(probability_a=[0.5, 0.5], probability_b=[0.5, 0.5])
    parquet = "application/vnd.apache.parquet"
    return [
        LegacyFile(DATASET_FILE, "dataset", "flowers.parquet", parquet, _parquet(data)),
        LegacyFile(MODEL_FILE, "model", "flower model.skops", "application/octet-stream", model_to_bytes(pipeline)),
        LegacyFile(HOLDOUT_FILE, "result", "flower model-holdout.parquet", parquet, _parquet(holdout)),
    ]


def _rows(files: list[LegacyFile]) -> list[tuple[str, dict[str, Any]]]:
    owned = {"tenant_id": TENANT, "owner_id": USER, "created_at": WHEN}
    report = {"rows": 40, "columns": 3, "problems": [], "problem_counts": {}, "defaults_applied": {}, "usable_rows": 40}
    columns = [{"name": n, "dtype": t, "default": None, "required": True} for n, t in SCHEMA_COLUMNS]
    metrics = {"accuracy": 0.5, "balanced_accuracy": 0.5, "f1": 1 / 3, "roc_auc": 0.5, "log_loss": 0.6931471805599453}
    return [
        ("tenants", {"id": TENANT, "name": "Default", "created_at": WHEN}),
        (
            "users",
            {"id": USER, "tenant_id": TENANT, "username": "admin", "display_name": "admin", "email": "a@example.com"}
            | {"password_hash": PASSWORD_HASH, "role": "admin", "is_platform_admin": True, "active": True}
            | {"created_at": WHEN, "last_login_at": None, "sessions_valid_after": None},
        ),
        (
            "templates",
            owned | {"id": TEMPLATE, "name": "flowers", "description": "", "columns": columns, "updated_at": WHEN},
        ),
        *[
            (
                "files",
                owned
                | {"id": f.id, "kind": f.kind, "name": f.name, "content_type": f.content_type, "size": len(f.data)}
                | {"sha256": hashlib.sha256(f.data).hexdigest(), "storage_key": f.storage_key},
            )
            for f in files
        ],
        (
            "datasets",
            owned
            | {"id": DATASET, "name": "flowers", "source_name": "flowers.csv", "template_id": TEMPLATE}
            | {"file_id": DATASET_FILE, "status": "validated", "rows": 40, "size_bytes": len(files[0].data)}
            | {"column_types": dict(SCHEMA_COLUMNS), "report": report, "statistics": None},
        ),
        (
            "jobs",
            owned
            | {"id": JOB, "kind": "train_tabular", "title": "Train flower model on flowers", "status": "succeeded"}
            | {"progress": 1.0, "message": "done", "params": PARAMS, "result": {"model_id": MODEL}}
            | {"error": None, "error_details": None, "cancel_requested": False, "pid": None, "host": None}
            | {"started_at": WHEN, "finished_at": WHEN},
        ),
        (
            "models",
            owned
            | {"id": MODEL, "name": "flower model", "version": 1, "problem_type": "classification", "status": "ready"}
            | {"dataset_id": DATASET, "parent_id": None, "job_id": JOB, "file_id": MODEL_FILE, "target": "kind"}
            | {"schema": SCHEMA, "metrics": metrics, "details": DETAILS},
        ),
    ]


SCHEMA_COLUMNS = [("petal", "float"), ("sepal", "float"), ("kind", "category")]


def build(home: Path, database_url: str) -> list[LegacyFile]:
    """Write the legacy workspace (database at ``database_url``, files under ``home``); returns its files."""
    engine = create_engine(database_url)
    with migration_connection(engine) as connection:
        command.upgrade(alembic_config(connection), BASELINE)
        connection.execute(text("DROP TABLE alembic_version"))  # create_all never made one
    files = _files()
    with engine.begin() as connection:
        metadata = MetaData()
        for table, row in _rows(files):  # reflected, so the rows go into the tables as they are, not today's ORM
            connection.execute(insert(Table(table, metadata, autoload_with=connection)), row)
    engine.dispose()
    for f in files:
        path = home / "files" / f.storage_key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f.data)
    return files
