"""Database side of the box inbox: apply an event exactly once, count failures, park poison
events, compute the gap-free acknowledgement watermark, keep each box's reported state.

Every function takes an ``AsyncEngine`` and runs its own short transaction(s); functions ending in
``_txn`` run inside a transaction the caller owns. SQL is SQLAlchemy Core and runs unchanged on
SQLite and PostgreSQL (no dialect-specific upserts: update-then-insert, and an IntegrityError
from a racing consumer means "someone else did it").
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clinicbox_core.contracts import BoxReported, Event
from cloud_plane.db.tables_boxlink import (
    box_dead_letter,
    box_inbox,
    box_inbox_watermark,
    box_status,
)

log = logging.getLogger(__name__)

EventHandler = Callable[[AsyncConnection, str, Event], Awaitable[None]]
AFTER_COMMIT_KEY = "clinicbox.after_commit"


def after_commit(conn: AsyncConnection, callback: Callable[[], object]) -> None:
    """Run ``callback`` once the event's transaction has committed (never on rollback).

    Handlers use it for effects outside the database, such as live page updates, so a page is
    never told about a visit that was rolled back.
    """
    conn.info.setdefault(AFTER_COMMIT_KEY, []).append(callback)


TXN_CACHE_KEY = "clinicbox.txn_cache"


def txn_cache(conn: AsyncConnection) -> dict[object, object]:
    """A dict that lives as long as the inbox's current transaction (cleared when the inbox
    starts and ends one): handlers keep lookups there that a run of events repeats (the box's
    tenant and actor), never across transactions."""
    cache: dict[object, object] = conn.info.setdefault(TXN_CACHE_KEY, {})
    return cache


WATERMARK_SCAN = 500  # inbox rows read per step when advancing the watermark


class Applied(StrEnum):
    """What happened to one delivered event."""

    APPLIED = "applied"  # stored and its handler ran, in one transaction
    DUPLICATE = "duplicate"  # (box_id, seq) was already stored: nothing done
    FAILED = "failed"  # handler failed: rolled back, attempt counted, not acknowledged
    PARKED = "parked"  # failed too often: dead-lettered and stored so the ack moves on
    GAP = "gap"  # its predecessor is not stored yet: not applied, the box resends in order


def _now() -> datetime:
    return datetime.now(UTC)


async def apply_event(
    engine: AsyncEngine, tenant: str, event: Event, handler: EventHandler | None
) -> Applied:
    """Store ``event`` in ``box_inbox`` and run ``handler`` in the same transaction.

    A duplicate (box_id, seq) is detected by the unique constraint on the very first statement,
    so a racing consumer on PostgreSQL waits for the other's commit and then sees the conflict.
    A handler exception rolls everything back and propagates.

    Events of a box are applied in seq order: an event whose predecessor is not stored yet
    (lost in a broker crash, refused while the database was down, or still being committed by
    another consumer) is not applied (:attr:`Applied.GAP`); the box resends from its last ack.
    Without this, a visit made offline could be applied before the one made just before it.
    """
    async with engine.connect() as conn:
        conn.info.pop(AFTER_COMMIT_KEY, None)
        conn.info.pop(TXN_CACHE_KEY, None)
        trans = await conn.begin()
        if event.seq > 1 and not await _stored_txn(conn, event.box_id, event.seq - 1):
            duplicate = await _stored_txn(conn, event.box_id, event.seq)
            await trans.rollback()
            return Applied.DUPLICATE if duplicate else Applied.GAP
        try:
            await conn.execute(
                insert(box_inbox).values(
                    tenant_slug=tenant,
                    box_id=event.box_id,
                    seq=event.seq,
                    event_id=str(event.event_id),
                    event_type=event.body.type,
                    occurred_at=event.occurred_at,
                    received_at=_now(),
                )
            )
        except IntegrityError:
            await trans.rollback()
            return Applied.DUPLICATE
        try:
            if handler is not None:
                await handler(conn, tenant, event)
            await conn.execute(
                delete(box_dead_letter).where(
                    and_(
                        box_dead_letter.c.box_id == event.box_id,
                        box_dead_letter.c.seq == event.seq,
                    )
                )
            )
        except BaseException:
            conn.info.pop(AFTER_COMMIT_KEY, None)
            conn.info.pop(TXN_CACHE_KEY, None)
            await trans.rollback()
            raise
        callbacks: list[Callable[[], object]] = conn.info.pop(AFTER_COMMIT_KEY, [])
        conn.info.pop(TXN_CACHE_KEY, None)
        try:
            await trans.commit()
        except IntegrityError:
            return Applied.DUPLICATE
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("after-commit callback failed for %s seq %d", event.box_id, event.seq)
    return Applied.APPLIED


async def _stored_txn(conn: AsyncConnection, box_id: str, seq: int) -> bool:
    found = await conn.execute(
        select(box_inbox.c.seq).where(and_(box_inbox.c.box_id == box_id, box_inbox.c.seq == seq))
    )
    return found.first() is not None


async def record_failure(
    engine: AsyncEngine,
    *,
    tenant: str,
    box_id: str,
    seq: int,
    payload: str,
    error: str,
    max_attempts: int,
    event: Event | None = None,
) -> Applied:
    """Count one failed attempt of (box_id, seq); park it once ``max_attempts`` is reached."""
    now = _now()
    key = and_(box_dead_letter.c.box_id == box_id, box_dead_letter.c.seq == seq)
    async with engine.begin() as conn:
        bumped = await conn.execute(
            update(box_dead_letter)
            .where(key)
            .values(
                attempts=box_dead_letter.c.attempts + 1,
                last_error=error[:4000],
                last_failed_at=now,
            )
        )
        if bumped.rowcount == 0:
            await conn.execute(
                insert(box_dead_letter).values(
                    tenant_slug=tenant,
                    box_id=box_id,
                    seq=seq,
                    event_id=str(event.event_id) if event else None,
                    event_type=event.body.type if event else None,
                    payload=payload,
                    attempts=1,
                    last_error=error[:4000],
                    first_failed_at=now,
                    last_failed_at=now,
                )
            )
        row = (
            await conn.execute(
                select(box_dead_letter.c.attempts, box_dead_letter.c.parked_at).where(key)
            )
        ).one()
        if row.parked_at is not None or row.attempts < max_attempts:
            return Applied.FAILED
        await conn.execute(update(box_dead_letter).where(key).values(parked_at=now))
        try:
            async with conn.begin_nested():
                await conn.execute(
                    insert(box_inbox).values(
                        tenant_slug=tenant,
                        box_id=box_id,
                        seq=seq,
                        event_id=str(
                            event.event_id if event else uuid.uuid5(uuid.NAMESPACE_URL, payload)
                        ),
                        event_type=event.body.type if event else "unreadable",
                        occurred_at=event.occurred_at if event else now,
                        received_at=now,
                    )
                )
        except IntegrityError:
            log.info("event %s/%d was applied elsewhere while it failed here", box_id, seq)
            return Applied.DUPLICATE
    log.error("parked box event %s/%d after %d attempts: %s", box_id, seq, row.attempts, error)
    return Applied.PARKED


async def advance_watermark(engine: AsyncEngine, tenant: str, box_id: str) -> int:
    """The highest seq such that every seq 1..it of ``box_id`` is in ``box_inbox``.

    Starts from the stored watermark and reads only inbox rows above it (index on
    (box_id, seq)), so the cost is proportional to the events since the last acknowledgement.
    """
    async with engine.begin() as conn:
        stored = (
            await conn.execute(
                select(box_inbox_watermark.c.acked_seq).where(
                    box_inbox_watermark.c.box_id == box_id
                )
            )
        ).scalar_one_or_none()
        start = int(stored or 0)
        mark = start
        scanning = True
        while scanning:
            seqs = (
                (
                    await conn.execute(
                        select(box_inbox.c.seq)
                        .where(and_(box_inbox.c.box_id == box_id, box_inbox.c.seq > mark))
                        .order_by(box_inbox.c.seq)
                        .limit(WATERMARK_SCAN)
                    )
                )
                .scalars()
                .all()
            )
            for seq in seqs:
                if seq != mark + 1:
                    scanning = False
                    break
                mark = seq
            else:
                scanning = len(seqs) == WATERMARK_SCAN
        if mark > start:
            await _raise_watermark_txn(conn, tenant, box_id, mark, exists=stored is not None)
    return mark


async def _raise_watermark_txn(
    conn: AsyncConnection, tenant: str, box_id: str, mark: int, *, exists: bool
) -> None:
    values = {"acked_seq": mark, "updated_at": _now()}
    if not exists:
        try:
            async with conn.begin_nested():
                await conn.execute(
                    insert(box_inbox_watermark).values(box_id=box_id, tenant_slug=tenant, **values)
                )
            return
        except IntegrityError:
            pass  # another consumer created it meanwhile: raise it below
    await conn.execute(
        update(box_inbox_watermark)
        .where(and_(box_inbox_watermark.c.box_id == box_id, box_inbox_watermark.c.acked_seq < mark))
        .values(**values)
    )


async def save_reported(engine: AsyncEngine, tenant: str, reported: BoxReported) -> None:
    """Upsert ``box_status`` from a box's ``reported`` message."""
    values = {
        "tenant_slug": tenant,
        "online": reported.online,
        "reported": reported.model_dump(mode="json"),
        "updated_at": _now(),
    }
    async with engine.begin() as conn:
        where = box_status.c.box_id == reported.box_id
        changed = await conn.execute(update(box_status).where(where).values(**values))
        if changed.rowcount:
            return
        try:
            async with conn.begin_nested():
                await conn.execute(insert(box_status).values(box_id=reported.box_id, **values))
        except IntegrityError:
            await conn.execute(update(box_status).where(where).values(**values))
