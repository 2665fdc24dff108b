"""Datasets are made of files and have versions: ``dataset_files`` (each uploaded file, its original and report),
``dataset_versions`` (each state's Parquet file), ``datasets.usage`` (training / prediction) and ``datasets.version``.

Every existing dataset becomes version 1 made of one file: its original upload was not kept, so that file is
the dataset's Parquet file, with the dataset's report.
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dataset_files",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("file_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["files.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dataset_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dataset_files_dataset_id"), ["dataset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dataset_files_file_id"), ["file_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dataset_files_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "dataset_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.String(length=36), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("change", sa.String(length=300), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["files.id"],
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dataset_id", "version"),
    )
    with op.batch_alter_table("dataset_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dataset_versions_dataset_id"), ["dataset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dataset_versions_tenant_id"), ["tenant_id"], unique=False)

    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("usage", sa.String(length=20), server_default="training", nullable=False))
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    _backfill()


def _backfill() -> None:
    """Version 1 and one file for every dataset stored before."""
    datasets = sa.table(
        "datasets",
        *(sa.column(c) for c in ("id", "tenant_id", "owner_id", "file_id", "source_name", "status", "rows")),
        sa.column("report", sa.JSON),
        sa.column("created_at", sa.DateTime),
    )
    files = sa.table("dataset_files", *(sa.column(c) for c in FILE_COLUMNS), sa.column("report", sa.JSON))
    versions = sa.table("dataset_versions", *(sa.column(c) for c in VERSION_COLUMNS))
    bind = op.get_bind()
    for row in bind.execute(sa.select(datasets)).mappings().all():
        common = {"tenant_id": row["tenant_id"], "dataset_id": row["id"], "file_id": row["file_id"]}
        common |= {"version": 1, "rows": row["rows"], "created_at": row["created_at"]}
        bind.execute(
            sa.insert(files).values(
                id=str(uuid.uuid4()),
                name=row["source_name"],
                position=0,
                status=row["status"],
                report=row["report"],
                **common,
            )
        )
        bind.execute(
            sa.insert(versions).values(id=str(uuid.uuid4()), change="uploaded", owner_id=row["owner_id"], **common)
        )


FILE_COLUMNS = (
    "id",
    "tenant_id",
    "dataset_id",
    "file_id",
    "name",
    "position",
    "version",
    "rows",
    "status",
    "created_at",
)
VERSION_COLUMNS = ("id", "tenant_id", "dataset_id", "version", "file_id", "rows", "change", "owner_id", "created_at")


def downgrade() -> None:
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_column("version")
        batch_op.drop_column("usage")

    with op.batch_alter_table("dataset_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dataset_versions_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_dataset_versions_dataset_id"))

    op.drop_table("dataset_versions")
    with op.batch_alter_table("dataset_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dataset_files_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_dataset_files_file_id"))
        batch_op.drop_index(batch_op.f("ix_dataset_files_dataset_id"))

    op.drop_table("dataset_files")
