"""慢箋 refill reminders on SQLite and PostgreSQL: sent once, from three days before the refill
window opens, by SMS through the real HTTP adapter to a gateway stand-in on a real port."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine
from test_pharmacy_flow import codes, new_id, slip

from cloud_plane.db.tables_clinic import patients
from cloud_plane.notify.sms import SmsNotifier
from cloud_plane.pharmacy.dispense import DispenseInput, dispense
from cloud_plane.pharmacy.receive import receive_prescription
from cloud_plane.pharmacy.reminders import RefillReminderJob
from cloud_plane.services.actor import Actor
from cloud_plane.services.clock import clinic_day
from cloud_plane.web.i18n import Catalogue


async def test_refill_reminder_goes_out_once_before_the_window(
    engine: AsyncEngine, actors: dict[str, Actor]
) -> None:
    received: list[dict[str, Any]] = []

    async def gateway(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/sms", gateway)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        ph = actors["pharmacy.pharmacist"]
        pid = new_id()
        data = slip(pid, (await codes(engine, ph))[:1], seq="0202")
        async with engine.begin() as conn:
            rx = await receive_prescription(conn, ph, data, "typed")
            await conn.execute(
                update(patients).where(patients.c.id == rx.patient_id).values(phone="0912000111")
            )
        day1 = datetime.now(UTC)
        async with engine.begin() as conn:
            await dispense(conn, ph, rx.id, DispenseInput(card_id=pid), now=day1)
        job = RefillReminderJob(
            engine,
            SmsNotifier(str(server.make_url("/sms")), "t0k"),
            Catalogue.load(),
            interval_s=60,
        )
        assert await job.run_once(day1 + timedelta(days=14)) == 0  # window opens on day 19
        assert await job.run_once(day1 + timedelta(days=15)) == 1
        assert await job.run_once(day1 + timedelta(days=16)) == 0  # once only
        mine = [r for r in received if r["to"] == "0912000111"]
        assert len(mine) == 1
        opens = (clinic_day(day1) + timedelta(days=18)).isoformat()
        assert "第 2 次" in mine[0]["text"] and opens in mine[0]["text"]
        assert "全民健康保險醫療辦法第24條" in mine[0]["text"]
    finally:
        await server.close()
