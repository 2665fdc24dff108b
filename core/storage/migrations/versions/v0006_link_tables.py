"""Links between rows become tables with foreign keys: ``model_datasets`` (a model's training datasets, in order),
``model_files`` (its files by role) and ``job_links`` (the rows an unfinished job names).

The references move out of JSON: ``models.details`` loses ``training_datasets``, ``holdout_file_id``,
``background_file_id`` and the importance's ``file_id`` (its table and facts become ``importance``), ``parent``
becomes the lineage text ``parent_label``; ``models.file_id`` becomes the link of role ``model``; the parameters
of queued and running jobs give their links. A reference to a row that no longer exists is dropped (logged).
"""

import logging
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("dataml.migrations")

ROLES = "'model', 'holdout', 'background', 'importance'"  # frozen: MODEL_FILE_ROLES may grow
DETAIL_ROLES = {"holdout_file_id": "holdout", "background_file_id": "background"}
JOB_PARAMS = {
    "dataset_id": "dataset_id",
    "parent_model_id": "model_id",
    "model_id": "model_id",
    "input_file_id": "file_id",
}
UNFINISHED = ("queued", "running")

models = sa.table(
    "models",
    sa.column("id", sa.String),
    sa.column("tenant_id", sa.String),
    sa.column("dataset_id", sa.String),
    sa.column("parent_id", sa.String),
    sa.column("file_id", sa.String),
    sa.column("details", sa.JSON),
)
model_datasets = sa.table(
    "model_datasets", sa.column("model_id", sa.String), sa.column("position", sa.Integer), sa.column("dataset_id")
)
model_files = sa.table("model_files", sa.column("model_id"), sa.column("role"), sa.column("file_id"))
job_links = sa.table(
    "job_links", sa.column("job_id"), sa.column("dataset_id"), sa.column("model_id"), sa.column("file_id")
)
jobs = sa.table("jobs", sa.column("id"), sa.column("tenant_id"), sa.column("status"), sa.column("params", sa.JSON))


def _ids(table: str) -> dict[str, str]:
    """id -> tenant of every row of ``table``."""
    return {row_id: tenant for row_id, tenant in op.get_bind().execute(sa.text(f"SELECT id, tenant_id FROM {table}"))}  # noqa: S608


def _create_tables() -> None:
    op.create_table(
        "model_datasets",
        sa.Column("model_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"]),
        sa.ForeignKeyConstraint(["model_id"], ["models.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("model_id", "position"),
        sa.UniqueConstraint("model_id", "dataset_id", name="uq_model_datasets_model_dataset"),
    )
    op.create_index("ix_model_datasets_dataset_id", "model_datasets", ["dataset_id"])
    op.create_table(
        "model_files",
        sa.Column("model_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("file_id", sa.String(length=36), nullable=False),
        sa.CheckConstraint(f"role IN ({ROLES})", name="ck_model_files_role"),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"]),
        sa.ForeignKeyConstraint(["model_id"], ["models.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("model_id", "role"),
        sa.UniqueConstraint("file_id"),
    )
    op.create_table(
        "job_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=True),
        sa.Column("model_id", sa.String(length=36), nullable=True),
        sa.Column("file_id", sa.String(length=36), nullable=True),
        sa.CheckConstraint(
            "(CASE WHEN dataset_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN model_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN file_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="ck_job_links_one_target",
        ),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"]),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"]),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["model_id"], ["models.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("job_id", "dataset_id", "model_id", "file_id"):
        op.create_index(f"ix_job_links_{column}", "job_links", [column])


def _new_details(details: dict[str, Any]) -> dict[str, Any]:
    """Today's details without the references that became links (their facts kept in today's shape)."""
    moved = ("training_datasets", *DETAIL_ROLES, "parent", "importance", "importance_info")
    new = {key: value for key, value in details.items() if key not in moved}
    new["parent_label"] = (details.get("parent") or {}).get("label")
    if details.get("importance"):
        info = details.get("importance_info") or {}
        new["importance"] = {
            "table": [[row["feature"], row["mean_abs_shap"]] for row in details["importance"]],
            **{key: info.get(key) for key in ("rows", "output_space", "source", "computed_at")},
        }
    return new


def _model_links() -> None:
    bind = op.get_bind()
    datasets, files = _ids("datasets"), _ids("files")
    for model_id, tenant, dataset_id, file_id, details in bind.execute(
        sa.select(models.c.id, models.c.tenant_id, models.c.dataset_id, models.c.file_id, models.c.details)
    ):
        details = details or {}
        trained_on = list(dict.fromkeys([*(details.get("training_datasets") or []), dataset_id]))
        for position, used in enumerate(d for d in trained_on if datasets.get(d) == tenant or _gone("dataset", d)):
            bind.execute(sa.insert(model_datasets).values(model_id=model_id, position=position, dataset_id=used))
        roles = {"model": file_id, **{role: details.get(key) for key, role in DETAIL_ROLES.items()}}
        roles["importance"] = (details.get("importance_info") or {}).get("file_id")
        for role, linked in roles.items():
            if linked and (files.get(linked) == tenant or _gone("file", linked)):
                bind.execute(sa.insert(model_files).values(model_id=model_id, role=role, file_id=linked))
        bind.execute(sa.update(models).where(models.c.id == model_id).values(details=_new_details(details)))


def _gone(what: str, row_id: str) -> bool:
    log.warning("a link to %s %s was dropped: it no longer exists", what, row_id)
    return False


def _job_links() -> None:
    bind = op.get_bind()
    rows = {"dataset_id": _ids("datasets"), "model_id": _ids("models"), "file_id": _ids("files")}
    unfinished = sa.select(jobs.c.id, jobs.c.tenant_id, jobs.c.params).where(jobs.c.status.in_(UNFINISHED))
    for job_id, tenant, params in bind.execute(unfinished):
        named = {(column, (params or {}).get(key)) for key, column in JOB_PARAMS.items()}
        for column, row_id in sorted((c, r) for c, r in named if r):
            if rows[column].get(row_id) == tenant or _gone(column[:-3], row_id):
                bind.execute(sa.insert(job_links).values(job_id=job_id, **{column: row_id}))


def upgrade() -> None:
    _create_tables()
    _model_links()
    _job_links()
    with op.batch_alter_table("models") as batch_op:
        batch_op.drop_column("file_id")


def _old_details(details: dict[str, Any], trained_on: list[str], files: dict[str, str], parent: Any) -> dict:
    old = {key: value for key, value in details.items() if key not in ("parent_label", "importance")}
    old["training_datasets"] = trained_on
    old["parent"] = {"id": parent, "label": details["parent_label"]} if details.get("parent_label") else None
    old.update({key: files[role] for key, role in DETAIL_ROLES.items() if role in files})
    importance = details.get("importance")
    if importance:
        old["importance"] = [{"feature": f, "mean_abs_shap": v} for f, v in importance["table"]]
        facts = {key: importance.get(key) for key in ("rows", "output_space", "source", "computed_at")}
        old["importance_info"] = {**facts, "file_id": files.get("importance")}
    return old


def downgrade() -> None:
    with op.batch_alter_table("models") as batch_op:
        batch_op.add_column(sa.Column("file_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key("fk_models_file_id", "files", ["file_id"], ["id"])
    bind = op.get_bind()
    trained: dict[str, list[str]] = {}
    for model_id, dataset_id in bind.execute(
        sa.select(model_datasets.c.model_id, model_datasets.c.dataset_id).order_by(model_datasets.c.position)
    ):
        trained.setdefault(model_id, []).append(dataset_id)
    linked: dict[str, dict[str, str]] = {}
    for model_id, role, file_id in bind.execute(sa.select(model_files)):
        linked.setdefault(model_id, {})[role] = file_id
    for model_id, dataset_id, parent_id, details in bind.execute(
        sa.select(models.c.id, models.c.dataset_id, models.c.parent_id, models.c.details)
    ):
        files = linked.get(model_id, {})
        old = _old_details(details or {}, trained.get(model_id, [dataset_id]), files, parent_id)
        bind.execute(sa.update(models).where(models.c.id == model_id).values(details=old, file_id=files.get("model")))
    op.drop_table("job_links")
    op.drop_table("model_files")
    op.drop_table("model_datasets")
