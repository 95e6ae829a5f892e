"""Alembic environment: runs migrations on a synchronous engine for the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

import cloud_plane.db.tables_boxlink
import cloud_plane.db.tables_clinic
import cloud_plane.db.tables_continuity
import cloud_plane.db.tables_fleet
import cloud_plane.db.tables_fleet_updates
import cloud_plane.db.tables_frontdesk
import cloud_plane.db.tables_icupload
import cloud_plane.db.tables_nhiops
import cloud_plane.db.tables_pharmacy
import cloud_plane.db.tables_refdata  # noqa: F401  (registers tables on the metadata)
from cloud_plane.db.metadata import metadata

config = context.config
target_metadata = metadata


def _url() -> str:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL given to the migrations")
    return str(url)


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = create_engine(_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()  # else Alembic joins this autobegun transaction, never commits
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=connection.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
