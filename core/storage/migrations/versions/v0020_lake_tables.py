"""The datalake's own records (issue 20): owner, creation, last access and write status of each lake table.
pyiceberg's catalog tables are created by pyiceberg on first use."""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lake_tables",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("schema_name", sa.String(length=16), nullable=False),
        sa.Column("table_name", sa.String(length=100), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("owner_name", sa.String(length=100), nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=True),
        sa.Column("model_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_access_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("schema_name IN ('bronze', 'silver', 'gold')", name="ck_lake_tables_schema"),
        sa.CheckConstraint("status IN ('ready', 'failed')", name="ck_lake_tables_status"),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["model_id"], ["models.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "schema_name", "table_name", name="uq_lake_tables_name"),
    )
    op.create_index(op.f("ix_lake_tables_dataset_id"), "lake_tables", ["dataset_id"], unique=False)
    op.create_index(op.f("ix_lake_tables_model_id"), "lake_tables", ["model_id"], unique=False)
    op.create_index(op.f("ix_lake_tables_tenant_id"), "lake_tables", ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_lake_tables_tenant_id"), table_name="lake_tables")
    op.drop_index(op.f("ix_lake_tables_model_id"), table_name="lake_tables")
    op.drop_index(op.f("ix_lake_tables_dataset_id"), table_name="lake_tables")
    op.drop_table("lake_tables")
