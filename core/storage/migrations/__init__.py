"""Alembic revisions of the schema; ``python -m core.storage.migrations "message"`` writes the next one."""
