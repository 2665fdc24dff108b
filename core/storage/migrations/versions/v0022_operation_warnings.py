"""A deployment's operations keep the warnings the call returned (values the model's recipe could not read, columns
the model ignored), bounded: shown in the operations log. Earlier operations have none (null)."""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deployment_operations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warnings", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deployment_operations", schema=None) as batch_op:
        batch_op.drop_column("warnings")
