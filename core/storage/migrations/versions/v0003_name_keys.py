"""Names are unique ignoring case: tenants, templates, datasets and models get ``name_key`` (the casefolded name)
and a unique constraint on it.

Until now only the exact name was unique, so "Sales" and "sales" may both exist. The later of two names that
now collide is renamed "sales (2)" (all versions of a model together), so the upgrade never fails on
existing data; the rename is logged.
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("dataml.migrations")

# table -> (the scope a name is unique in, the unique constraint's name and extra columns)
TABLES: dict[str, tuple[str | None, str, tuple[str, ...]]] = {
    "tenants": (None, "uq_tenants_name_key", ()),
    "templates": ("tenant_id", "uq_templates_tenant_name_key", ()),
    "datasets": ("tenant_id", "uq_datasets_tenant_name_key", ()),
    "models": ("tenant_id", "uq_models_tenant_name_key_version", ("version",)),
}


def _free_name(name: str, taken: set[str]) -> str:
    """``name (2)``, ``name (3)``, … cut to the column's 100 characters, whose key is not taken."""
    n = 2
    while (candidate := f"{name[: 100 - len(f' ({n})')]} ({n})").casefold() in taken:
        n += 1
    return candidate


def _backfill(table: str, scope: str | None) -> None:
    """Set ``name_key`` on every row; the later of two names that differ only in case gets a free name."""
    rows = sa.table(table, sa.column("id"), sa.column("name"), sa.column("name_key"), sa.column("created_at"))
    scope_col = sa.column(scope) if scope else sa.literal(None)
    bind = op.get_bind()
    query = sa.select(rows.c.id, rows.c.name, scope_col).select_from(rows).order_by(rows.c.created_at, rows.c.id)
    found = bind.execute(query).all()
    existing: dict[object, set[str]] = {}  # scope -> every name's key, so a new name never takes a later one's
    for _id, name, where in found:
        existing.setdefault(where, set()).add(name.casefold())
    holders: dict[tuple[object, str], str] = {}  # (scope, key) -> the exact name that keeps it
    kept: dict[tuple[object, str], str] = {}  # (scope, exact name) -> the name it ends up with
    for row_id, name, where in found:
        if (where, name) not in kept:
            holder = holders.setdefault((where, name.casefold()), name)
            new = name if holder == name else _free_name(name, existing[where] | {k for s, k in holders if s == where})
            holders[(where, new.casefold())] = new
            kept[(where, name)] = new
            if new != name:
                log.warning("%s: %r renamed %r, as names are now unique ignoring case", table, name, new)
        new = kept[(where, name)]
        bind.execute(sa.update(rows).where(rows.c.id == row_id).values(name=new, name_key=new.casefold()))


def upgrade() -> None:
    for table, (scope, constraint, extra) in TABLES.items():
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("name_key", sa.String(300), nullable=True))
        _backfill(table, scope)
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("name_key", existing_type=sa.String(300), nullable=False)
            batch_op.create_unique_constraint(constraint, [*([scope] if scope else []), "name_key", *extra])


def downgrade() -> None:
    for table, (_scope, constraint, _extra) in TABLES.items():
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(constraint, type_="unique")
            batch_op.drop_column("name_key")
