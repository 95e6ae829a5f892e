"""A run of one box's consecutive events applied in one transaction (the resync fast path):
all or nothing, only on the clean case (predecessor stored, no seq of it stored yet), and a
poison event in the run leaves nothing behind, so one by one applies the events before it."""

from __future__ import annotations

from faults_helpers import TENANT, count, effect_handler
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clinicbox_core.contracts import CardRemoved, Event
from cloud_plane.boxlink import Applied, after_commit
from cloud_plane.boxlink.batch import apply_run, is_run
from cloud_plane.boxlink.store import apply_event
from cloud_plane.db.tables_boxlink import box_inbox

HANDLERS = {"card.removed": effect_handler}


def _events(box: str, seqs: range) -> list[Event]:
    return [Event(box_id=box, seq=n, body=CardRemoved(reader=f"r{n}")) for n in seqs]


async def _stored(engine: AsyncEngine, box: str) -> int:
    async with engine.connect() as conn:
        stmt = select(func.count()).where(box_inbox.c.box_id == box)
        return int((await conn.execute(stmt)).scalar_one())


def test_only_consecutive_seqs_of_one_box_are_a_run() -> None:
    assert is_run(_events("b", range(1, 4)))
    assert not is_run(_events("b", range(1, 2)))
    assert not is_run([*_events("b", range(1, 3)), *_events("b", range(4, 5))])
    assert not is_run([*_events("b", range(1, 2)), *_events("c", range(2, 3))])


async def test_a_run_is_applied_whole_and_only_when_clean(engine: AsyncEngine) -> None:
    box = "box-run"
    events = _events(box, range(1, 11))
    assert await apply_run(engine, TENANT, events[0:4], HANDLERS)  # seqs 1..4
    assert not await apply_run(engine, TENANT, events[5:8], HANDLERS)  # 6..8: 5 is missing
    assert not await apply_run(engine, TENANT, events[2:6], HANDLERS)  # 3..6: 3, 4 stored
    assert await _stored(engine, box) == 4
    assert await apply_run(engine, TENANT, events[4:10], HANDLERS)  # 5..10
    counts = await count(engine, box, 10)
    counts.report("run")
    assert (counts.cloud, counts.duplicates, counts.lost, counts.out_of_order) == (10, 0, 0, 0)


async def test_a_poison_event_rolls_its_run_back_and_one_by_one_applies_the_rest(
    engine: AsyncEngine,
) -> None:
    box = "box-poison-run"
    told: list[int] = []

    async def picky(conn: AsyncConnection, tenant: str, event: Event) -> None:
        if event.seq == 4:
            raise RuntimeError("cannot apply seq 4")
        await effect_handler(conn, tenant, event)
        after_commit(conn, lambda: told.append(event.seq))

    events = _events(box, range(1, 7))
    assert not await apply_run(engine, TENANT, events, {"card.removed": picky})
    assert await _stored(engine, box) == 0
    assert told == []  # nothing committed, nobody told
    outcomes = []
    for event in events:
        try:
            outcomes.append(await apply_event(engine, TENANT, event, picky))
        except RuntimeError:
            outcomes.append(Applied.FAILED)
    assert outcomes == [Applied.APPLIED] * 3 + [Applied.FAILED] + [Applied.GAP] * 2
    assert told == [1, 2, 3]
    assert await apply_run(engine, TENANT, events[4:6], HANDLERS) is False  # 4 still missing
    assert await apply_run(engine, TENANT, events[1:3], HANDLERS) is False  # already stored
