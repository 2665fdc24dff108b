"""Database (SQLAlchemy 2) and file store. ORM rows never leave this package."""
