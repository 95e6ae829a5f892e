"""Check-in by card against the real sandbox: the 就醫序號 comes from the card service; when the
service cannot be reached the visit gets the right 異常就醫代碼 and the reason is kept; a refusal
on the merits leaves no number. Also: a batch a crashed process never sent is sent again by the
next tick, and the lease keeps a second process off a clinic's job."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import aiohttp
from nhiops_helpers import (
    WEST,
    Clinic,
    card_of,
    card_visit,
    nhi_settings,
    sandbox_now,
    set_clock,
)
from sandbox_env import Sandbox
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox.runtime.ports import free_port
from clinicbox_core.nhi.ic_upload.deadline import TAIPEI
from clinicbox_core.nhi.ic_upload.status import Status
from cloud_plane.db.tables_icupload import ic_upload_records
from cloud_plane.db.tables_nhiops import nhi_card_checks
from cloud_plane.icupload.service import build_upload, queue_ic_records_for_day
from cloud_plane.nhi.card_service import CardServiceClient
from cloud_plane.nhiops.ic_run import RECOVER_AFTER, sign_orders, system_actor
from cloud_plane.nhiops.scheduler import IcUploadScheduler, acquire_lease, release_lease
from cloud_plane.nhiops.sequence import CardSequencer, check_in
from cloud_plane.services.clock import clinic_day

BOX = "box-demo-1"


async def _check(engine: AsyncEngine, visit_id: int) -> tuple[str, str | None, str]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(nhi_card_checks).where(nhi_card_checks.c.visit_id == visit_id)
            )
        ).one()
    return row.outcome, row.nhi_code, row.reason


async def test_sequence_from_card_service_once_per_visit(
    sandbox: Sandbox, clinic: Clinic, engine: AsyncEngine, session: aiohttp.ClientSession
) -> None:
    sequencer = CardSequencer(session, nhi_settings(sandbox.url))
    card = card_of(sandbox.patients("active")[3])
    now = set_clock(sandbox, sandbox_now(sandbox) + timedelta(seconds=5))
    async with engine.begin() as conn:
        visit = await check_in(conn, WEST, BOX, card, sequencer, now=now)
        again = await check_in(conn, WEST, BOX, card, sequencer, now=now)  # card re-inserted
        record = (
            await conn.execute(
                select(ic_upload_records).where(ic_upload_records.c.visit_id == visit.id)
            )
        ).one()
    assert visit.nhi_seq is not None and len(visit.nhi_seq) == 4 and visit.abnormal_code is None
    assert again.id == visit.id and again.nhi_seq == visit.nhi_seq
    assert (await _check(engine, visit.id))[0] == "obtained"
    assert len(record.signature) == 256 and len(record.treatment_id) == 20
    assert record.sam_id == "000035012000" and record.status == Status.PENDING.value


async def test_unreachable_service_falls_back_to_abnormal_code(
    sandbox: Sandbox, clinic: Clinic, engine: AsyncEngine, session: aiohttp.ClientSession
) -> None:
    people = sandbox.patients("active")
    cases = [
        (nhi_settings(f"http://127.0.0.1:{free_port()}"), "A020"),  # nothing listens: network
        (nhi_settings(sandbox.url, secret="not-the-secret"), "A030"),  # SAM refused (9020)
    ]
    for n, (settings, code) in enumerate(cases):
        now = set_clock(sandbox, sandbox_now(sandbox) + timedelta(seconds=5))
        visit_id = await card_visit(
            engine, clinic, CardSequencer(session, settings), card_of(people[5 + n]), now
        )
        async with engine.connect() as conn:
            abnormal = (
                await conn.execute(
                    select(nhi_card_checks.c.abnormal_code).where(
                        nhi_card_checks.c.visit_id == visit_id
                    )
                )
            ).scalar_one()
        outcome, _nhi_code, reason = await _check(engine, visit_id)
        assert (outcome, abnormal) == ("fallback", code) and reason  # the clinic kept working


async def test_refused_card_gets_no_number(
    sandbox: Sandbox, clinic: Clinic, engine: AsyncEngine, session: aiohttp.ClientSession
) -> None:
    sequencer = CardSequencer(session, nhi_settings(sandbox.url))
    now = set_clock(sandbox, sandbox_now(sandbox) + timedelta(seconds=5))
    async with engine.begin() as conn:
        visit = await check_in(
            conn, WEST, BOX, card_of(sandbox.patients("cancelled")[0]), sequencer, now=now
        )
    assert visit.nhi_seq is None and visit.abnormal_code is None
    outcome, nhi_code, reason = await _check(engine, visit.id)
    assert (outcome, nhi_code) == ("refused", "5002") and reason


async def test_stranded_batch_is_sent_by_the_next_tick(
    sandbox: Sandbox, clinic: Clinic, engine: AsyncEngine, session: aiohttp.ClientSession
) -> None:
    nhi = nhi_settings(sandbox.url)
    sequencer = CardSequencer(session, nhi)
    day = sandbox_now(sandbox).date() + timedelta(days=2)
    now = set_clock(sandbox, datetime.combine(day, time(9), TAIPEI))
    card = card_of(sandbox.patients("active")[8])
    visit_id = await card_visit(engine, clinic, sequencer, card, now)
    scheduler = IcUploadScheduler(engine, nhi, session, holder="cloud-a")
    actor = system_actor(clinic.tenant_id)
    adapters = nhi.for_hospital("3501200000")
    assert adapters is not None
    async with engine.begin() as conn:  # a process built and marked the batch, then died
        await queue_ic_records_for_day(conn, actor, clinic_day(now))
    await sign_orders(engine, actor, clinic_day(now), CardServiceClient(session, adapters))
    async with engine.begin() as conn:
        await build_upload(conn, actor, clinic_day(now))
    later = set_clock(sandbox, datetime.combine(day, time(12), TAIPEI))
    assert later - now > RECOVER_AFTER
    assert await acquire_lease(engine, f"ic_upload:{clinic.tenant_id}", "cloud-b", later)
    assert await scheduler.tick(later) == []  # cloud-b holds the clinic's lease
    await release_lease(engine, f"ic_upload:{clinic.tenant_id}", "cloud-b", later)
    outcomes = await scheduler.tick(later)  # recovered (lost → pending), then sent again
    [outcome] = [o for o in outcomes if o.day == clinic_day(now)]
    assert (outcome.sent, outcome.accepted) == (1, 1)
    async with engine.connect() as conn:
        status = (
            await conn.execute(
                select(ic_upload_records.c.status).where(ic_upload_records.c.visit_id == visit_id)
            )
        ).scalar_one()
    assert status == Status.ACCEPTED.value
