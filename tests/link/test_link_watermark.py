"""The cloud's acknowledgement watermark: highest seq with no gap below it, only ever growing."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from cloud_plane.boxlink import advance_watermark
from cloud_plane.boxlink import store as store_mod
from cloud_plane.db.tables_boxlink import box_inbox, box_inbox_watermark


async def _store(engine: AsyncEngine, box_id: str, seqs: list[int]) -> None:
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        for seq in seqs:
            await conn.execute(
                insert(box_inbox).values(
                    tenant_slug="t",
                    box_id=box_id,
                    seq=seq,
                    event_id=f"{box_id}-{seq}",
                    event_type="card.removed",
                    occurred_at=now,
                    received_at=now,
                )
            )


async def test_watermark_stops_at_the_first_gap_and_moves_when_it_fills(
    engine: AsyncEngine,
) -> None:
    await _store(engine, "b", [1, 2, 3, 5, 6])
    await _store(engine, "other", [1, 2, 3, 4, 5, 6, 7])
    assert await advance_watermark(engine, "t", "b") == 3
    await _store(engine, "b", [4])
    assert await advance_watermark(engine, "t", "b") == 6
    assert await advance_watermark(engine, "t", "nobody") == 0


async def test_watermark_crosses_more_rows_than_one_scan(engine: AsyncEngine) -> None:
    n = store_mod.WATERMARK_SCAN * 2 + 7
    await _store(engine, "big", list(range(1, n + 1)))
    assert await advance_watermark(engine, "t", "big") == n


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(st.sets(st.integers(1, 40), max_size=15), min_size=1, max_size=5))
async def test_watermark_matches_the_definition(
    engine: AsyncEngine, batches: list[set[int]]
) -> None:
    async with engine.begin() as conn:
        await conn.execute(delete(box_inbox).where(box_inbox.c.box_id == "h"))
        await conn.execute(delete(box_inbox_watermark).where(box_inbox_watermark.c.box_id == "h"))
    stored: set[int] = set()
    previous = 0
    for batch in batches:
        new = sorted(batch - stored)
        await _store(engine, "h", new)
        stored |= set(new)
        expected = 0
        while expected + 1 in stored:
            expected += 1
        mark = await advance_watermark(engine, "t", "h")
        assert mark == expected and mark >= previous
        previous = mark
