"""Async engine set-up for SQLite and PostgreSQL, and programmatic Alembic upgrades.

SQLite runs in WAL mode with foreign keys on and a busy timeout, and every transaction starts
with ``BEGIN IMMEDIATE``: one writer at a time, so a read-then-write transaction never fails on
a stale snapshot (the datasette "one writer" rule; a clinic's load is tiny).

``synchronous=NORMAL`` (not FULL): in WAL mode a commit is durable against a crash or kill of
the process (the WAL is in the OS page cache and is replayed on the next open); only a power
loss or kernel crash can lose the last transactions, never corrupt the database. The SQLite
back end is for one clinic's own box or a trial, where that trade is right; a cloud
deployment runs on PostgreSQL with its own fsync settings. FULL would fsync the WAL on every
commit (11 commits per visit).

PostgreSQL: the pool keeps :data:`PG_POOL_SIZE` connections (one per concurrent request of a
busy node, so none is opened and closed per request), and a connection that sat idle in the
pool for :data:`PING_AFTER_IDLE_SECONDS` or more is pinged on checkout (a dead one is replaced
transparently, as ``pool_pre_ping`` does). A connection reused sooner is not pinged: that
saves one round trip per transaction under load; if the server restarts in that short window
the first statement fails, SQLAlchemy invalidates the pool and the next request reconnects.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from cloud_plane.db.schema import check_schema

__all__ = ["check_schema", "create_engine", "sync_url", "upgrade", "upgrade_async"]

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
PG_POOL_SIZE = 10
PING_AFTER_IDLE_SECONDS = 2.0


def _sqlite_file(url: URL) -> Path | None:
    db = url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for ``sqlite+aiosqlite:///path`` or ``postgresql+asyncpg://...``
    (``postgresql+psycopg`` works too; asyncpg costs about a third less CPU per statement).

    ``kwargs`` go to SQLAlchemy, except ``ping_after_idle`` (seconds, PostgreSQL only; default
    :data:`PING_AFTER_IDLE_SECONDS`)."""
    parsed = make_url(url)
    ping_after_idle = float(kwargs.pop("ping_after_idle", PING_AFTER_IDLE_SECONDS))
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(parsed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(parsed, **kwargs)
        _configure_sqlite(engine)
        return engine
    if kwargs.get("poolclass") is None:
        kwargs.setdefault("pool_size", PG_POOL_SIZE)
    engine = create_async_engine(parsed, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_idle_connections(engine, ping_after_idle)
    return engine


def _ping_idle_connections(engine: AsyncEngine, idle_seconds: float) -> None:
    """Ping a pooled connection on checkout when it sat idle for ``idle_seconds`` or more."""
    sync = engine.sync_engine

    @event.listens_for(sync, "checkin")
    def _on_checkin(dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(sync, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < idle_seconds:
            return  # just connected, or in use a moment ago
        try:
            sync.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # any failure: let the pool open a fresh connection
            raise DisconnectionError("idle connection failed its ping") from exc


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit BEGIN is deferred).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def sync_url(url: str) -> str:
    """The synchronous driver URL Alembic uses for an async application URL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        parsed = parsed.set(drivername="sqlite")
    elif parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def alembic_config(url: str) -> Config:
    cfg = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["database_url"] = sync_url(url)
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` (async or sync form) to ``revision``. Blocking."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(parsed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate down to ``revision`` (``base`` drops everything). Blocking."""
    command.downgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    """:func:`upgrade` off the event loop."""
    await asyncio.to_thread(upgrade, url, revision)
