"""Alembic environment: always run by ``core.storage.migrate`` on a connection it passes in (no alembic.ini)."""

from alembic import context

from core.storage.orm import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite alters a table by copying it; batch mode writes revisions that way
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
