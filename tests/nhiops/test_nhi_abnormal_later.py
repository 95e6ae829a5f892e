"""異常 visits against the real sandbox: a visit checked in while the card service could not be
reached (A020) gets its no-card 就醫識別碼 stamped with the visit's time once the service is back,
and the NHI accepts it; one that still cannot be completed backs off instead of spinning the
scheduler, with the reason kept."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import aiohttp
from nhiops_helpers import Clinic, card_of, card_visit, nhi_settings, sandbox_now, set_clock
from sandbox_env import Sandbox
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox.runtime.ports import free_port
from clinicbox_core.nhi.ic_upload.deadline import TAIPEI
from clinicbox_core.nhi.ic_upload.status import Status
from cloud_plane.db.tables_icupload import ic_upload_records
from cloud_plane.nhiops.holds import backoff
from cloud_plane.nhiops.scheduler import IcUploadScheduler
from cloud_plane.nhiops.sequence import CardSequencer
from cloud_plane.services.clock import clinic_day


async def _record(engine: AsyncEngine, visit_id: int) -> Any:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                select(ic_upload_records).where(ic_upload_records.c.visit_id == visit_id)
            )
        ).one()


async def test_abnormal_visits_upload_later_or_back_off(
    sandbox: Sandbox, clinic: Clinic, engine: AsyncEngine, session: aiohttp.ClientSession
) -> None:
    down = CardSequencer(session, nhi_settings(f"http://127.0.0.1:{free_port()}"))
    day = sandbox_now(sandbox).date() + timedelta(days=1)
    at = set_clock(sandbox, datetime.combine(day, time(10, 15, 7), TAIPEI))
    ok_id = await card_visit(engine, clinic, down, card_of(sandbox.patients("active")[11]), at)
    gone_id = await card_visit(  # not insured: the IDC refuses a no-card number (9083)
        engine, clinic, down, card_of(sandbox.patients("uninsured")[1]), at
    )

    # still down at the first tick: both held, the reason kept, no retry before the back-off
    offline = IcUploadScheduler(engine, down.settings, session, holder="cloud-a")
    first = at + timedelta(minutes=30)
    [out] = [o for o in await offline.tick(first) if o.day == clinic_day(at)]
    assert out.sent == 0 and sorted(h.visit_id for h in out.held) == sorted([ok_id, gone_id])
    assert dict(out.no_card_failures)[ok_id] == "nhiops.hold.unreachable"
    waiting = await _record(engine, ok_id)
    assert (waiting.hold_count, waiting.retry_at) == (1, first + backoff(1))
    assert [o for o in await offline.tick(first + timedelta(minutes=5)) if o.day == out.day] == []

    scheduler = IcUploadScheduler(engine, nhi_settings(sandbox.url), session, holder="cloud-a")
    later = set_clock(sandbox, datetime.combine(day, time(15), TAIPEI))  # the service is back
    [out] = [o for o in await scheduler.tick(later) if o.day == clinic_day(at)]
    assert out.accepted == 1 and [h.visit_id for h in out.held] == [gone_id]
    ok = await _record(engine, ok_id)
    assert ok.kind == "abnormal" and ok.status == Status.ACCEPTED.value
    assert len(ok.treatment_id) == 20 and ok.treatment_id_late_at is not None
    assert (ok.hold_count, ok.retry_at, ok.hold_reason) == (0, None, None)

    held = await _record(engine, gone_id)
    assert held.status == Status.PENDING.value and held.hold_count == 2
    assert held.hold_reason.startswith("9083 ")
    assert [v for v, _ in out.no_card_failures] == [gone_id]
    assert held.retry_at == later + backoff(2)
    # the next ticks inside the back-off leave the day alone
    soon = later + backoff(2) - timedelta(seconds=1)
    assert [o for o in await scheduler.tick(soon) if o.day == clinic_day(at)] == []
    [again] = [o for o in await scheduler.tick(later + backoff(2)) if o.day == clinic_day(at)]
    assert [h.visit_id for h in again.held] == [gone_id]
    assert (await _record(engine, gone_id)).hold_count == 3
