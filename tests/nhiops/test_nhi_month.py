"""The issue's "done when": a month of the demo clinic's visits, made through the services with
the 就醫序號 from the real sandbox process, uploads day by day through the scheduler and the IC
adapter, and its claims file goes through the claims adapter; the validator and the sandbox both
accept them. A planted bad record comes back rejected with the NHI code and is shown as such.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import aiohttp
from nhiops_helpers import (
    Clinic,
    card_of,
    card_visit,
    month_days,
    nhi_settings,
    sandbox_now,
    set_clock,
)
from sandbox_env import Sandbox
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.nhi.claims.validate import validate
from clinicbox_core.nhi.ic_upload.check import check_upload
from clinicbox_core.nhi.ic_upload.deadline import TAIPEI
from clinicbox_core.nhi.ic_upload.status import Status
from cloud_plane.db.tables_icupload import ic_upload_batches, ic_upload_records
from cloud_plane.db.tables_nhiops import claims_submissions, nhi_card_checks
from cloud_plane.nhiops.claims_run import run_claims
from cloud_plane.nhiops.cli import format_claims_outcome, format_ic_outcome
from cloud_plane.nhiops.scheduler import IcUploadScheduler
from cloud_plane.nhiops.sequence import CardSequencer

PER_DAY = 2
PLANT_DAY = 2  # index of the day whose first record gets a forged 安全簽章


async def test_month_of_visits_uploads_and_claims(
    sandbox: Sandbox, clinic: Clinic, engine: AsyncEngine, session: aiohttp.ClientSession
) -> None:
    nhi = nhi_settings(sandbox.url)
    adapters = nhi.for_hospital("3501200000")
    assert adapters is not None
    sequencer = CardSequencer(session, nhi)
    people = [card_of(p) for p in sandbox.patients("active")]
    start = (sandbox_now(sandbox).date().replace(day=1) + timedelta(days=32)).replace(day=1)
    days = month_days(start.replace(day=1))
    visits_by_day: dict[int, list[int]] = {}
    planted: int | None = None
    k = 0
    for n, day in enumerate(days):
        for i in range(PER_DAY):
            now = set_clock(sandbox, datetime.combine(day, time(9, 5 * i), TAIPEI))
            visit_id = await card_visit(engine, clinic, sequencer, people[k % len(people)], now)
            visits_by_day.setdefault(n, []).append(visit_id)
            k += 1
        if n == PLANT_DAY:
            planted = visits_by_day[n][0]
            async with engine.begin() as conn:
                await conn.execute(
                    update(ic_upload_records)
                    .where(ic_upload_records.c.visit_id == planted)
                    .values(signature="0" * 256)
                )
        # the day's upload, by a scheduler that remembers nothing (as after a restart)
        tick_at = set_clock(sandbox, datetime.combine(day, time(20, 0), TAIPEI))
        scheduler = IcUploadScheduler(engine, nhi, session, holder=f"test-{n}")
        [outcome] = [o for o in await scheduler.tick(tick_at) if o.day == day]
        assert outcome.day == day and outcome.error_code is None
        assert outcome.held == [] and outcome.signing_failures == []
        expected_rejected = 1 if n == PLANT_DAY else 0
        assert (outcome.sent, outcome.accepted) == (PER_DAY, PER_DAY - expected_rejected)
        if n == PLANT_DAY:
            [bad] = outcome.rejected
            assert bad.visit_id == planted and bad.codes == ("04",)
            assert bad.messages == ("安全簽章驗證不通過",)
            shown = format_ic_outcome(outcome)
            assert f"visit {planted}" in shown and "04 安全簽章驗證不通過" in shown
        assert [o for o in await scheduler.tick(tick_at) if o.day == day] == []  # all done

    total = len(days) * PER_DAY
    visit_ids = [v for vs in visits_by_day.values() for v in vs]
    async with engine.connect() as conn:
        checks = (
            (
                await conn.execute(
                    select(nhi_card_checks.c.outcome).where(
                        nhi_card_checks.c.visit_id.in_(visit_ids)
                    )
                )
            )
            .scalars()
            .all()
        )
        records = (
            await conn.execute(
                select(ic_upload_records).where(ic_upload_records.c.visit_id.in_(visit_ids))
            )
        ).all()
        batches = (
            (
                await conn.execute(
                    select(ic_upload_batches.c.data).where(
                        ic_upload_batches.c.upload_day >= days[0],
                        ic_upload_batches.c.upload_day <= days[-1],
                    )
                )
            )
            .scalars()
            .all()
        )
    assert checks == ["obtained"] * total  # every 就醫序號 came from the card service
    status = {r.visit_id: (Status(r.status), r.rejections) for r in records}
    assert status.pop(planted) == (
        Status.REJECTED,
        [{"code": "04", "field": "M14", "message": "安全簽章驗證不通過"}],
    )
    assert {s for s, _ in status.values()} == {Status.ACCEPTED} and len(status) == total - 1
    for data in batches:  # our own checker accepts every file we sent
        assert all(r.accepted for r in check_upload(data))

    report_day = days[-1] + timedelta(days=3)
    set_clock(sandbox, datetime.combine(report_day, time(10), TAIPEI))
    claims = await run_claims(
        engine, session, adapters, clinic.tenant_id, start,
        report_date=report_day,
    )  # fmt: skip
    assert claims.status == "accepted", claims.findings[:5]
    assert claims.cases == total and claims.receipt_no and claims.skipped == ()
    async with engine.connect() as conn:
        data = (
            await conn.execute(
                select(claims_submissions.c.data).where(
                    claims_submissions.c.id == claims.submission_id
                )
            )
        ).scalar_one()
    assert [f for f in validate(data) if f.severity == "error"] == []
    assert "已受理" in format_claims_outcome(claims)

    again = await run_claims(
        engine, session, adapters, clinic.tenant_id, start,
        report_date=report_day,
    )  # fmt: skip
    assert (again.status, again.nhi_code) == ("rejected", "SBX05")
    assert "SBX05" in format_claims_outcome(again)
