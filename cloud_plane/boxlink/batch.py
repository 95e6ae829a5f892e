"""Apply a run of one box's consecutive events in one transaction (the resync fast path).

After an outage a box sends its backlog in seq order; applying each event in a transaction of
its own costs a commit (an fsync) per event. :func:`apply_run` stores a run of consecutive seqs
and runs their handlers in order inside one transaction, with the same guarantees as
:func:`cloud_plane.boxlink.store.apply_event`: the ``box_inbox`` rows (UNIQUE(box_id, seq)) and
the handlers' effects commit together or not at all, and the run is applied only when the
predecessor of its first seq is stored (the gap rule).

Only the clean case is handled here. Anything else (a predecessor missing, a seq of the run
already stored, a handler raising, a unique conflict with a racing consumer, a database error)
rolls the whole run back and returns ``False``; the caller then applies the run's events one by
one with :func:`apply_event`, which sorts out duplicates, gaps and poison events (counted, and
parked after ``max_attempts``) exactly as for a single event. So a poison event costs its run one
rolled-back attempt per delivery and never blocks the events before it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.contracts import Event
from cloud_plane.boxlink.store import AFTER_COMMIT_KEY, TXN_CACHE_KEY, EventHandler, _now
from cloud_plane.db.tables_boxlink import box_dead_letter, box_inbox

log = logging.getLogger(__name__)


def is_run(events: Sequence[Event]) -> bool:
    """Two or more events of one box with consecutive seqs (what :func:`apply_run` takes)."""
    return len(events) >= 2 and all(
        e.box_id == events[0].box_id and e.seq == events[0].seq + i for i, e in enumerate(events)
    )


async def apply_run(
    engine: AsyncEngine,
    tenant: str,
    events: Sequence[Event],
    handlers: Mapping[str, EventHandler],
) -> bool:
    """Store and apply every event of the run in one transaction; ``False`` if not done.

    ``True`` means every event of the run is committed with its handler's effect. ``False``
    means nothing of the run was written (see the module docstring for when).
    """
    if not is_run(events):
        raise ValueError("apply_run needs consecutive seqs of one box")
    box_id, first, last = events[0].box_id, events[0].seq, events[-1].seq
    callbacks: list[Callable[[], object]] = []
    try:
        async with engine.connect() as conn:
            conn.info.pop(AFTER_COMMIT_KEY, None)
            conn.info.pop(TXN_CACHE_KEY, None)
            trans = await conn.begin()
            try:
                lo = first - 1 if first > 1 else first
                stored = (
                    await conn.execute(
                        select(func.count()).where(
                            and_(
                                box_inbox.c.box_id == box_id,
                                box_inbox.c.seq >= lo,
                                box_inbox.c.seq <= last,
                            )
                        )
                    )
                ).scalar_one()
                # Clean case only: the predecessor stored (or seq 1 first) and none of the run.
                if stored != (1 if first > 1 else 0):
                    await trans.rollback()
                    return False
                now = _now()
                await conn.execute(
                    insert(box_inbox),
                    [
                        {
                            "tenant_slug": tenant,
                            "box_id": box_id,
                            "seq": e.seq,
                            "event_id": str(e.event_id),
                            "event_type": e.body.type,
                            "occurred_at": e.occurred_at,
                            "received_at": now,
                        }
                        for e in events
                    ],
                )
                for event in events:
                    handler = handlers.get(event.body.type)
                    if handler is not None:
                        await handler(conn, tenant, event)
                await conn.execute(
                    delete(box_dead_letter).where(
                        and_(
                            box_dead_letter.c.box_id == box_id,
                            box_dead_letter.c.seq >= first,
                            box_dead_letter.c.seq <= last,
                        )
                    )
                )
                callbacks = conn.info.pop(AFTER_COMMIT_KEY, [])
                conn.info.pop(TXN_CACHE_KEY, None)
                await trans.commit()
            except BaseException:
                conn.info.pop(AFTER_COMMIT_KEY, None)
                conn.info.pop(TXN_CACHE_KEY, None)
                if trans.is_active:
                    await trans.rollback()
                raise
    except Exception as exc:  # a handler, a conflict or the database: one by one sorts it out
        log.info("run %s/%d..%d not applied as one (%r); one by one", box_id, first, last, exc)
        return False
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("after-commit callback failed for %s seq %d..%d", box_id, first, last)
    return True
