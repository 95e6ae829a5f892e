"""The box's own tables in its clinic database, next to the cloud schema's (not Alembic's).

* ``ws_meta``: key/value: ``version`` and ``ref_hash`` of the working set, ``synced_at`` (last
  build applied), ``rows``, ``audit_cursor`` (last local audit id the collector shipped).
* ``ws_base``: per patient and visit that came from the cloud, the digest (and for patients the
  row) as the cloud sent it: the base the cloud compares against when offline work comes back.
  A patient or visit without a base row was created on the box.
* ``ws_staging``: parts of a build until every part is in (then applied in one transaction).
* ``ws_shipped``: outbox seqs of continuity records; those above the outbox's acked seq are
  the records the cloud has not confirmed yet (no download is applied while there are any).
* ``ws_sent``: the digest last shipped per patient / visit, so an unchanged one is not resent.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, Text

box_metadata = MetaData()

ws_meta = Table(
    "ws_meta",
    box_metadata,
    Column("key", String(32), primary_key=True),
    Column("value", Text, nullable=False),
)
ws_base = Table(
    "ws_base",
    box_metadata,
    Column("entity", String(16), primary_key=True),
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("digest", String(64), nullable=False),
    Column("row", JSON, nullable=True),
)
ws_staging = Table(
    "ws_staging",
    box_metadata,
    Column("build_id", String(36), primary_key=True),
    Column("part", Integer, primary_key=True, autoincrement=False),
    Column("payload", Text, nullable=False),  # the WorkingSetPart as JSON
)
ws_shipped = Table(
    "ws_shipped",
    box_metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
)
ws_sent = Table(
    "ws_sent",
    box_metadata,
    Column("entity", String(16), primary_key=True),
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("digest", String(64), nullable=False),
)
