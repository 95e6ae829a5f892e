"""Alembic migrations of the cloud database (run the same on SQLite and PostgreSQL)."""
