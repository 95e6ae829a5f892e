"""Booking reminders and no-show marking, derived from the database on every pass.

Nothing is kept in memory between passes, so a restarted process (or another cloud process)
carries on where the last one stopped. A pass (:meth:`ReminderScheduler.run_once`, clock passed
in):

1. bookings whose session ended without check-in become ``no_show``;
2. claims older than :data:`CLAIM_TTL` go back to ``pending`` (the process that claimed them
   died between claim and send: the reminder may go out twice, never zero times);
3. every ``pending`` reminder whose due time has come is claimed (``pending → sending`` by a
   conditional UPDATE, so two processes never both send it), sent, and marked ``sent``, or put
   back to ``pending`` with the error (``failed`` after :data:`MAX_ATTEMPTS`).

Due time: :func:`clinicbox_core.booking.reminder_due_at` (``reminder_hours_before`` before the
estimated time, not before the booking was made).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.booking import reminder_due_at
from cloud_plane.booking.service import mark_no_shows
from cloud_plane.db.tables_clinic import staff, tenants
from cloud_plane.db.tables_frontdesk import bookings
from cloud_plane.notify.base import Notice, Notifier, NotifyError
from cloud_plane.services.clock import TAIPEI, utc_now
from cloud_plane.web.i18n import Catalogue

log = logging.getLogger(__name__)

CLAIM_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 3


def reminder_notice(catalogue: Catalogue, r: Any, base_url: str) -> Notice:
    """The reminder text of one booking row (joined with its clinic and doctor)."""
    when = r.expected_at.astimezone(TAIPEI)
    params = {
        "clinic": r.clinic_name, "doctor": r.doctor_name, "number": r.number,
        "day": when.strftime("%Y-%m-%d"), "time": when.strftime("%H:%M"),
        "session": catalogue.t(f"session.{r.session}"),
        "link": f"{base_url.rstrip('/')}/book/{r.slug}/mine",
    }  # fmt: skip
    return Notice(
        channel=r.channel,
        to=r.contact,
        subject=catalogue.t("notify.reminder.subject", **params),
        body=catalogue.t("notify.reminder.body", **params),
    )


class ReminderScheduler:
    def __init__(
        self, engine: AsyncEngine, notifier: Notifier, catalogue: Catalogue, *,
        hours_before: int, base_url: str, interval_s: float,
    ) -> None:  # fmt: skip
        self.engine = engine
        self.notifier = notifier
        self.catalogue = catalogue
        self.hours_before = hours_before
        self.base_url = base_url
        self.interval_s = interval_s

    async def run_once(self, now: datetime) -> int:
        """One pass; returns how many reminders were sent."""
        async with self.engine.begin() as conn:
            await mark_no_shows(conn, now)
            await conn.execute(
                update(bookings)
                .where(
                    bookings.c.reminder_state == "sending",
                    bookings.c.reminder_claimed_at < now - CLAIM_TTL,
                )
                .values(reminder_state="pending")
            )
            horizon = now + timedelta(hours=self.hours_before)
            rows = (
                await conn.execute(
                    select(
                        bookings, tenants.c.name.label("clinic_name"), tenants.c.slug,
                        staff.c.display_name.label("doctor_name"),
                    )
                    .join(tenants, tenants.c.id == bookings.c.tenant_id)
                    .join(staff, staff.c.id == bookings.c.doctor_id)
                    .where(
                        bookings.c.reminder_state == "pending",
                        bookings.c.status == "booked",
                        bookings.c.expected_at <= horizon,
                    )
                    .order_by(bookings.c.expected_at)
                )
            ).all()  # fmt: skip
        sent = 0
        for r in rows:
            if reminder_due_at(r.expected_at, self.hours_before, r.created_at) > now:
                continue
            if await self._claim(r.id, now):
                sent += await self._send(r, now)
        return sent

    async def _claim(self, booking_id: int, now: datetime) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(bookings)
                .where(bookings.c.id == booking_id, bookings.c.reminder_state == "pending")
                .values(reminder_state="sending", reminder_claimed_at=now)
            )
        return bool(result.rowcount)

    async def _send(self, r: Any, now: datetime) -> int:
        attempts = r.reminder_attempts + 1
        try:
            await self.notifier.send(reminder_notice(self.catalogue, r, self.base_url))
        except NotifyError as err:
            state = "failed" if attempts >= MAX_ATTEMPTS else "pending"
            values: dict[str, Any] = {
                "reminder_state": state, "reminder_attempts": attempts,
                "reminder_error": self.catalogue.t(err.message_key, **err.params)[:200],
            }  # fmt: skip
            log.warning("reminder of booking %s not sent: %s", r.id, err)
            ok = 0
        else:
            values = {"reminder_state": "sent", "reminder_sent_at": now,
                      "reminder_attempts": attempts, "reminder_error": None}  # fmt: skip
            ok = 1
        async with self.engine.begin() as conn:
            await conn.execute(update(bookings).where(bookings.c.id == r.id).values(**values))
        return ok

    async def run(self, stop: asyncio.Event) -> None:
        """Pass every ``interval_s`` until ``stop`` is set (a failed pass is logged, not fatal)."""
        while not stop.is_set():
            try:
                await self.run_once(utc_now())
            except Exception:
                log.exception("reminder pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval_s)
