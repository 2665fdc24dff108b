"""The predictions log learns how its predictions compared with the true values of a later labelled dataset:
``outcome_metric`` (accuracy | mae), ``outcome_value``, ``outcome_rows``, ``outcome_dataset_id``, ``outcome_at``.
Existing entries have none (null) until they are evaluated."""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("predictions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome_metric", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("outcome_value", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("outcome_rows", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("outcome_dataset_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("outcome_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("predictions", schema=None) as batch_op:
        batch_op.drop_column("outcome_at")
        batch_op.drop_column("outcome_dataset_id")
        batch_op.drop_column("outcome_rows")
        batch_op.drop_column("outcome_value")
        batch_op.drop_column("outcome_metric")
