"""Outbox schema: forward-only migrations, each committed together with its ``_schema`` row.

A shipped migration is never edited; a change is a new entry at the end of ``MIGRATIONS``.
Opening a database whose stored version is newer than ``SCHEMA_VERSION`` is refused (an older
agent must not write to a newer layout after a rollback).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from edge_agent.outbox.errors import OutboxError

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: the event table and the single counter row.
    (
        """
        CREATE TABLE outbox_event (
            -- the box-wide sequence number; the cloud acknowledges "everything up to seq"
            seq INTEGER PRIMARY KEY,
            -- the Event's UUID, unique so a double insert of the same event is impossible
            event_id TEXT NOT NULL UNIQUE,
            -- the whole Event envelope as JSON, exactly as it goes on the wire
            payload TEXT NOT NULL
        ) STRICT
        """,
        """
        CREATE TABLE outbox_counter (
            -- single row (id = 1): survives deletion of every event so seq never goes back
            id INTEGER PRIMARY KEY CHECK (id = 1),
            -- the box this outbox belongs to; opening it as another box is refused
            box_id TEXT NOT NULL,
            -- the last seq handed out (0 = none yet)
            last_seq INTEGER NOT NULL CHECK (last_seq >= 0),
            -- the highest seq the cloud acknowledged; rows up to it are deleted
            acked_seq INTEGER NOT NULL CHECK (acked_seq >= 0 AND acked_seq <= last_seq)
        ) STRICT
        """,
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

_CREATE_SCHEMA_TABLE = """
CREATE TABLE IF NOT EXISTS _schema (
    version INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL
) STRICT
"""


class OutboxSchemaTooNew(OutboxError):
    default_key = "error.outbox.schema_too_new"


def current_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT max(version) FROM _schema").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every pending migration; return the version now in force.

    ``conn`` must be in manual transaction mode (``isolation_level=None``).
    """
    conn.execute(_CREATE_SCHEMA_TABLE)
    version = current_version(conn)
    if version > SCHEMA_VERSION:
        raise OutboxSchemaTooNew(found=version, supported=SCHEMA_VERSION)
    for number in range(version + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[number - 1]:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO _schema (version, applied_at) VALUES (?, ?)",
                (number, datetime.now(UTC).isoformat()),
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return SCHEMA_VERSION
