"""The cloud applies a box's events in seq order: an event that arrives before its predecessor
(its predecessor lost in a broker crash or refused while the database was down) is a gap, not
applied, and applied once the predecessor is in (found by the database-restart fault test)."""

from __future__ import annotations

from faults_helpers import TENANT, count, effect_handler
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.contracts import CardRemoved, Event
from cloud_plane.boxlink import Applied
from cloud_plane.boxlink.store import apply_event


async def test_an_event_before_its_predecessor_waits_for_it(engine: AsyncEngine) -> None:
    box = "box-or"
    e1, e2, e3 = (Event(box_id=box, seq=n, body=CardRemoved(reader="r")) for n in (1, 2, 3))
    outcomes = [
        await apply_event(engine, TENANT, e, effect_handler) for e in (e2, e3, e1, e3, e2, e3, e2)
    ]
    assert outcomes == [
        Applied.GAP,
        Applied.GAP,
        Applied.APPLIED,
        Applied.GAP,
        Applied.APPLIED,
        Applied.APPLIED,
        Applied.DUPLICATE,
    ]
    counts = await count(engine, box, 3)
    counts.report("order")
    assert (counts.cloud, counts.duplicates, counts.lost, counts.out_of_order) == (3, 0, 0, 0)
