"""慢箋 pick-up booking on SQLite and PostgreSQL: the patient's open refill with its window, a
day outside the window refused citing the rule, closed hours, the per-slot limit, one booking
per fill, cancelling, the pharmacist's list of the day, and the reminder SMS linking here."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine
from test_pharmacy_flow import codes, new_id, slip

from clinicbox_core.errors import Conflict, NotFound, ValidationFailed
from clinicbox_core.pharmacy import RefillWindowError
from cloud_plane.booking.identity import Identity, request_code, verify_code
from cloud_plane.db.tables_clinic import patients
from cloud_plane.db.tables_pharmacy import pharmacy_hours
from cloud_plane.notify.sms import SmsNotifier
from cloud_plane.pharmacy.dispense import DispenseInput, dispense
from cloud_plane.pharmacy.pickup import book_pickup, cancel_pickup, day_pickups, open_refills
from cloud_plane.pharmacy.receive import receive_prescription
from cloud_plane.pharmacy.reminders import RefillReminderJob
from cloud_plane.services.actor import Actor
from cloud_plane.services.clock import clinic_day
from cloud_plane.web.i18n import Catalogue

BORN = date(1950, 2, 3)  # the birthday slip() puts on the chart


async def _patient_with_refill(
    engine: AsyncEngine, ph: Actor, first_fill: datetime, seq: str
) -> tuple[str, int]:
    pid = new_id()
    data = slip(pid, (await codes(engine, ph))[:1], seq=seq)
    async with engine.begin() as conn:
        rx = await receive_prescription(conn, ph, data, "typed")
    async with engine.begin() as conn:
        await dispense(conn, ph, rx.id, DispenseInput(card_id=pid), now=first_fill)
    return pid, rx.id


async def _identity(engine: AsyncEngine, tenant_id: int, pid: str, now: datetime) -> Identity:
    async with engine.begin() as conn:
        _, code, token = await request_code(
            conn, tenant_id, national_id=pid, birth_date=BORN, name="慢箋測試", channel="sms",
            contact="0912345678", now=now,
        )  # fmt: skip
    async with engine.begin() as conn:
        return await verify_code(conn, token, code, now)


def _weekday_in(days: list[date]) -> date:
    return next(d for d in days if d.weekday() < 5)  # Monday–Friday: the demo opens 09:00


async def test_book_a_pickup_inside_the_window(
    engine: AsyncEngine, actors: dict[str, Actor]
) -> None:
    ph = actors["pharmacy.pharmacist"]
    first = datetime.now(UTC) - timedelta(days=17)  # 28 days: fill 2 from day 18 to day 27
    pid, rx_id = await _patient_with_refill(engine, ph, first, "0301")
    now = datetime.now(UTC)
    today = clinic_day(now)
    who = await _identity(engine, ph.tenant_id, pid, now)

    async with engine.connect() as conn:
        [refill] = await open_refills(conn, who, today)
    assert refill.rx.id == rx_id and refill.window.fill_no == 2 and refill.booking is None
    assert refill.window.opens == clinic_day(first) + timedelta(days=18)
    assert refill.days[0] == refill.window.opens and refill.days[-1] == refill.window.closes

    async with engine.begin() as conn:  # the day before the window: refused, citing the rule
        with pytest.raises(RefillWindowError) as early:
            await book_pickup(conn, who, rx_id=rx_id, day=refill.window.opens - timedelta(days=1),
                              at=time(9), now=now)  # fmt: skip
    assert early.value.message_key == "error.pickup.too_early"
    assert early.value.params["field"] == "day"
    assert early.value.params["rule"] == "全民健康保險醫療辦法第24條"
    day = _weekday_in(refill.days)
    async with engine.begin() as conn:
        with pytest.raises(ValidationFailed) as closed:  # lunch break: no slot at 12:30
            await book_pickup(conn, who, rx_id=rx_id, day=day, at=time(12, 30), now=now)
    assert closed.value.params["field"] == "at"

    async with engine.begin() as conn:
        booked = await book_pickup(conn, who, rx_id=rx_id, day=day, at=time(9, 30), now=now)
    assert (booked.fill_no, booked.day, booked.at, booked.status) == (2, day, "09:30", "booked")
    async with engine.begin() as conn:
        with pytest.raises(Conflict):  # one booking per fill
            await book_pickup(conn, who, rx_id=rx_id, day=day, at=time(10), now=now)
    async with engine.connect() as conn:
        assert [p.id for p in await day_pickups(conn, ph, day)] == [booked.id]
        [refill] = await open_refills(conn, who, today)
    assert refill.booking is not None and refill.booking.id == booked.id

    async with engine.begin() as conn:
        await cancel_pickup(conn, who, booked.id, now)
    async with engine.connect() as conn:
        assert booked.id not in [p.id for p in await day_pickups(conn, ph, day)]
    async with engine.begin() as conn:
        with pytest.raises(Conflict):
            await cancel_pickup(conn, who, booked.id, now)
    async with engine.begin() as conn:  # cancelled: the fill can be booked again
        again = await book_pickup(conn, who, rx_id=rx_id, day=day, at=time(10), now=now)
    assert again.id != booked.id


async def test_slot_limit_and_strangers(engine: AsyncEngine, actors: dict[str, Actor]) -> None:
    ph = actors["pharmacy.pharmacist"]
    first = datetime.now(UTC) - timedelta(days=17)
    a_pid, a_rx = await _patient_with_refill(engine, ph, first, "0302")
    b_pid, b_rx = await _patient_with_refill(engine, ph, first, "0303")
    now = datetime.now(UTC)
    a = await _identity(engine, ph.tenant_id, a_pid, now)
    b = await _identity(engine, ph.tenant_id, b_pid, now)
    async with engine.connect() as conn:
        [refill] = await open_refills(conn, a, clinic_day(now))
    day = _weekday_in(refill.days)
    async with engine.begin() as conn:
        await conn.execute(
            update(pharmacy_hours)
            .where(pharmacy_hours.c.tenant_id == ph.tenant_id)
            .values(slot_limit=1)
        )
    try:
        async with engine.begin() as conn:
            mine = await book_pickup(conn, a, rx_id=a_rx, day=day, at=time(15), now=now)
        async with engine.begin() as conn:
            with pytest.raises(Conflict) as full:
                await book_pickup(conn, b, rx_id=b_rx, day=day, at=time(15), now=now)
        assert full.value.message_key == "error.pickup.slot_full"
        async with engine.begin() as conn:
            with pytest.raises(NotFound):  # b cannot book a's slip nor cancel a's booking
                await book_pickup(conn, b, rx_id=a_rx, day=day, at=time(16), now=now)
        async with engine.begin() as conn:
            with pytest.raises(NotFound):
                await cancel_pickup(conn, b, mine.id, now)
    finally:
        async with engine.begin() as conn:
            await conn.execute(
                update(pharmacy_hours)
                .where(pharmacy_hours.c.tenant_id == ph.tenant_id)
                .values(slot_limit=3)
            )


async def test_reminder_links_to_the_pickup_page(
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
        first = datetime.now(UTC) - timedelta(days=17)
        pid, _ = await _patient_with_refill(engine, ph, first, "0304")
        async with engine.begin() as conn:
            await conn.execute(
                update(patients)
                .where(patients.c.national_id == pid, patients.c.tenant_id == ph.tenant_id)
                .values(phone="0912000333")
            )
        job = RefillReminderJob(
            engine, SmsNotifier(str(server.make_url("/sms")), "t0k"), Catalogue.load(),
            interval_s=60, base_url="https://book.example.tw/",
        )  # fmt: skip
        await job.run_once(datetime.now(UTC))
        [mine] = [r for r in received if r["to"] == "0912000333"]
        assert "https://book.example.tw/book/demo-pharmacy/pickup" in mine["text"]
    finally:
        await server.close()
