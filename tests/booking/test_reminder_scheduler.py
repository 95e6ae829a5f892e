"""Reminders are derived from the database: due ones go out once through a real SMTP server,
a pass after a restart neither loses nor repeats them, a claim left by a crashed process is
retried after its lease, and a failing channel is retried then given up with the reason kept."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from booking_helpers import private_session, tenant_id, verified
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox.runtime.mailsink import MailSink
from clinicbox.runtime.ports import free_port
from cloud_plane.booking.service import Booking, book
from cloud_plane.db.tables_frontdesk import bookings
from cloud_plane.notify.registry import Notifiers
from cloud_plane.notify.scheduler import CLAIM_TTL, MAX_ATTEMPTS, ReminderScheduler
from cloud_plane.notify.settings import NotifySettings
from cloud_plane.services.clock import TAIPEI
from cloud_plane.web.i18n import Catalogue

HOURS = 24


def scheduler(engine: AsyncEngine, smtp_url: str) -> ReminderScheduler:
    """A fresh scheduler, as a (re)started cloud process builds it."""
    settings = NotifySettings(smtp_url=smtp_url, timeout_s=3)
    return ReminderScheduler(
        engine, Notifiers(settings), Catalogue.load(), hours_before=HOURS,
        base_url="https://clinic.example", interval_s=30,
    )  # fmt: skip


async def booked(engine: AsyncEngine, days_ahead: int, contact: str) -> tuple[Booking, datetime]:
    """A booking at 18:00 on a day far ahead, made two days before; (booking, made at)."""
    day = datetime.now(TAIPEI).date() + timedelta(days=days_ahead)
    made = datetime.combine(day - timedelta(days=2), time(9), TAIPEI)
    async with engine.begin() as conn:
        tid = await tenant_id(conn)
        sid = await private_session(conn, tid, day, limit=5, starts="18:00", ends="21:00")
        who = await verified(conn, tid, made, contact=contact)
        return await book(conn, who, session_id=sid, day=day, now=made), made


async def state(engine: AsyncEngine, booking_id: int) -> tuple[str, int, str | None]:
    async with engine.connect() as conn:
        r = (await conn.execute(select(bookings).where(bookings.c.id == booking_id))).one()
    return r.reminder_state, r.reminder_attempts, r.reminder_error


async def test_due_reminder_is_sent_once_across_restarts(
    engine: AsyncEngine, sink: MailSink
) -> None:
    contact = "reminder-once@example.com"
    b, made = await booked(engine, 400, contact)
    due = b.expected_at - timedelta(hours=HOURS)
    assert due > made
    await scheduler(engine, sink.url).run_once(due - timedelta(minutes=1))
    assert sink.messages(contact) == [] and (await state(engine, b.id))[0] == "pending"
    await scheduler(engine, sink.url).run_once(due + timedelta(minutes=1))
    [msg] = sink.messages(contact)
    body = msg.get_payload(decode=True).decode("utf-8")
    assert f"看診號 {b.number}" in body and "18:00" in body
    assert "https://clinic.example/book/demo-west/mine" in body
    assert (await state(engine, b.id))[0] == "sent"
    # a restarted process scans again: nothing is sent twice
    await scheduler(engine, sink.url).run_once(due + timedelta(minutes=2))
    assert len(sink.messages(contact)) == 1


async def test_claim_of_a_crashed_process_is_retried_after_its_lease(
    engine: AsyncEngine, sink: MailSink
) -> None:
    contact = "reminder-crash@example.com"
    b, _ = await booked(engine, 410, contact)
    due = b.expected_at - timedelta(hours=HOURS)
    claimed = due + timedelta(minutes=1)
    async with engine.begin() as conn:  # a process claimed it, then died before sending
        await conn.execute(
            update(bookings)
            .where(bookings.c.id == b.id)
            .values(reminder_state="sending", reminder_claimed_at=claimed)
        )
    await scheduler(engine, sink.url).run_once(claimed + CLAIM_TTL / 2)
    assert sink.messages(contact) == []
    await scheduler(engine, sink.url).run_once(claimed + CLAIM_TTL + timedelta(seconds=1))
    assert len(sink.messages(contact)) == 1
    assert (await state(engine, b.id))[0] == "sent"


async def test_failing_channel_is_retried_then_given_up(engine: AsyncEngine) -> None:
    b, _ = await booked(engine, 420, "reminder-down@example.com")
    due = b.expected_at - timedelta(hours=HOURS)
    dead = f"smtp://127.0.0.1:{free_port()}"
    for attempt in range(1, MAX_ATTEMPTS + 1):
        sent = await scheduler(engine, dead).run_once(due + timedelta(minutes=attempt))
        assert sent == 0
        reminder, attempts, error = await state(engine, b.id)
        assert attempts == attempt
        assert reminder == ("failed" if attempt == MAX_ATTEMPTS else "pending")
        assert error and "通知無法送出" in error


async def test_cancelled_and_no_show_bookings_get_no_reminder(
    engine: AsyncEngine, sink: MailSink
) -> None:
    contact = "reminder-none@example.com"
    b, _ = await booked(engine, 430, contact)
    # after the session ended without check-in: no-show, and no reminder any more
    await scheduler(engine, sink.url).run_once(b.expected_at + timedelta(hours=4))
    async with engine.connect() as conn:
        r = (await conn.execute(select(bookings).where(bookings.c.id == b.id))).one()
    assert (r.status, r.reminder_state) == ("no_show", "none")
    assert sink.messages(contact) == []
