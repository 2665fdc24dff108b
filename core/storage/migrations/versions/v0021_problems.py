"""Problems, their hidden test data, algorithms, attached training data, learning tasks (learnuplets) and
prediction tasks (preduplets) (issue 19, the Morpheo seed)."""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "problems",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("template_id", sa.String(length=36), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=False),
        sa.Column("problem_type", sa.String(length=20), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("size_train_dataset", sa.Integer(), nullable=False),
        sa.Column("compute", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=300), nullable=False),
        sa.CheckConstraint("compute IN ('internal', 'external')", name="ck_problems_compute"),
        sa.CheckConstraint("size_train_dataset > 0", name="ck_problems_size_train_dataset"),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["templates.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "name_key", name="uq_problems_tenant_name_key"),
    )
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_problems_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "problem_data",
        sa.Column("problem_id", sa.String(length=36), nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(["problem_id"], ["problems.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("problem_id", "dataset_id"),
    )
    with op.batch_alter_table("problem_data", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_problem_data_dataset_id"), ["dataset_id"], unique=False)

    op.create_table(
        "problem_test_data",
        sa.Column("problem_id", sa.String(length=36), nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
        ),
        sa.ForeignKeyConstraint(["problem_id"], ["problems.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("problem_id", "dataset_id"),
    )
    with op.batch_alter_table("problem_test_data", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_problem_test_data_dataset_id"), ["dataset_id"], unique=False)

    op.create_table(
        "preduplets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("problem_id", sa.String(length=36), nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("model_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        sa.Column("prediction_file_id", sa.String(length=36), nullable=True),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('waiting', 'todo', 'pending', 'done', 'failed')", name="ck_preduplets_status"),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
        ),
        sa.ForeignKeyConstraint(["model_id"], ["models.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["prediction_file_id"],
            ["files.id"],
        ),
        sa.ForeignKeyConstraint(["problem_id"], ["problems.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("preduplets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_preduplets_dataset_id"), ["dataset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_preduplets_problem_id"), ["problem_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_preduplets_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "problem_algos",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("problem_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("family", sa.String(length=32), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("model_id", sa.String(length=36), nullable=True),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=300), nullable=False),
        sa.CheckConstraint("kind IN ('family', 'auto', 'model')", name="ck_problem_algos_kind"),
        sa.ForeignKeyConstraint(["model_id"], ["models.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(["problem_id"], ["problems.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("problem_id", "name_key", name="uq_problem_algos_problem_name_key"),
    )
    with op.batch_alter_table("problem_algos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_problem_algos_problem_id"), ["problem_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_problem_algos_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "learnuplets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("problem_id", sa.String(length=36), nullable=False),
        sa.Column("algo_id", sa.String(length=36), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("row_start", sa.Integer(), nullable=False),
        sa.Column("row_stop", sa.Integer(), nullable=False),
        sa.Column("train_data", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("start_task_id", sa.String(length=36), nullable=True),
        sa.Column("model_start", sa.String(length=36), nullable=True),
        sa.Column("model_end", sa.String(length=36), nullable=True),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("perf", sa.Double(), nullable=True),
        sa.Column("test_perf", sa.JSON(), nullable=False),
        sa.Column("train_perf", sa.JSON(), nullable=False),
        sa.Column("predictions_file_id", sa.String(length=36), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('waiting', 'todo', 'pending', 'done', 'failed')", name="ck_learnuplets_status"),
        sa.ForeignKeyConstraint(["algo_id"], ["problem_algos.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
        ),
        sa.ForeignKeyConstraint(["model_end"], ["models.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["model_start"], ["models.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["predictions_file_id"],
            ["files.id"],
        ),
        sa.ForeignKeyConstraint(["problem_id"], ["problems.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("algo_id", "rank", name="uq_learnuplets_algo_rank"),
    )
    with op.batch_alter_table("learnuplets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_learnuplets_algo_id"), ["algo_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_learnuplets_dataset_id"), ["dataset_id"], unique=False)
        batch_op.create_index("ix_learnuplets_problem_status", ["problem_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_learnuplets_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("learnuplets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learnuplets_tenant_id"))
        batch_op.drop_index("ix_learnuplets_problem_status")
        batch_op.drop_index(batch_op.f("ix_learnuplets_dataset_id"))
        batch_op.drop_index(batch_op.f("ix_learnuplets_algo_id"))

    op.drop_table("learnuplets")
    with op.batch_alter_table("problem_algos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_problem_algos_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_problem_algos_problem_id"))

    op.drop_table("problem_algos")
    with op.batch_alter_table("preduplets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_preduplets_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_preduplets_problem_id"))
        batch_op.drop_index(batch_op.f("ix_preduplets_dataset_id"))

    op.drop_table("preduplets")
    with op.batch_alter_table("problem_test_data", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_problem_test_data_dataset_id"))

    op.drop_table("problem_test_data")
    with op.batch_alter_table("problem_data", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_problem_data_dataset_id"))

    op.drop_table("problem_data")
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_problems_tenant_id"))

    op.drop_table("problems")
