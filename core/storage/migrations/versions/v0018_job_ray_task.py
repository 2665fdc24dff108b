"""Jobs keep the id of the Ray task that runs them (issue 18): shown on the Jobs page beside the cluster's
dashboard link, and accepted by ``/ray/terminate_ray_job``. Jobs run by the process runner have none (null)."""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ray_task_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("ray_task_id")
