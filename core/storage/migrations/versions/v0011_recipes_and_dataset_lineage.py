"""Recipes (data preparation, issue 17) and the lineage of the dataset versions they make."""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recipes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=True),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "name_key", name="uq_recipes_tenant_name_key"),
    )
    with op.batch_alter_table("recipes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recipes_dataset_id"), ["dataset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_recipes_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "dataset_lineage",
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("recipe_id", sa.String(length=36), nullable=True),
        sa.Column("recipe_name", sa.String(length=100), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=True),
        sa.Column("source_name", sa.String(length=100), nullable=False),
        sa.Column("source_version", sa.Integer(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("reports", sa.JSON(), nullable=False),
        sa.Column("replay", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recipe_id"], ["recipes.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["source_id"], ["datasets.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("dataset_id", "version"),
    )
    with op.batch_alter_table("dataset_lineage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dataset_lineage_recipe_id"), ["recipe_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dataset_lineage_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dataset_lineage_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dataset_lineage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dataset_lineage_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_dataset_lineage_source_id"))
        batch_op.drop_index(batch_op.f("ix_dataset_lineage_recipe_id"))

    op.drop_table("dataset_lineage")
    with op.batch_alter_table("recipes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recipes_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_recipes_dataset_id"))

    op.drop_table("recipes")
