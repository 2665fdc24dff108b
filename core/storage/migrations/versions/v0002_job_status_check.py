"""jobs.status may only hold a JobStatus value (CHECK constraint ck_jobs_status)."""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = "'queued', 'running', 'succeeded', 'failed', 'canceled', 'interrupted'"  # frozen: JobStatus may grow


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.create_check_constraint("ck_jobs_status", f"status IN ({STATUSES})")


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_constraint("ck_jobs_status", type_="check")
