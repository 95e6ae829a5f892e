"""慢箋 refill reminders: a scheduler job over the database (restart-safe, nothing in memory).

Each pass takes every pharmacy slip whose next fill (2 or 3) is not dispensed yet, asks the pure
rule :func:`clinicbox_core.pharmacy.reminders.due_reminders` which are due today (from
``lead_days`` before the window opens until it closes), and sends each one once by SMS to the
patient's phone through the notifier port (:mod:`cloud_plane.notify`), with a link to the
pharmacy's pick-up booking page (``/book/<pharmacy>/pickup``). The ``refill_reminders``
row is written before sending, under its unique (slip, fill) key: two cloud processes never both
send it, and a failed send is removed again so the next pass retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.pharmacy.refill import refill_window
from clinicbox_core.pharmacy.reminders import RefillDue, due_reminders
from cloud_plane.db.tables_clinic import patients, tenants
from cloud_plane.db.tables_pharmacy import pharmacy_fills, pharmacy_rx, refill_reminders
from cloud_plane.notify.base import Notice, Notifier, NotifyError
from cloud_plane.services.clock import clinic_day, utc_now
from cloud_plane.web.i18n import Catalogue

log = logging.getLogger(__name__)

LEAD_DAYS = 3

_FILLS = (
    select(
        pharmacy_rx.c.id, pharmacy_rx.c.tenant_id, pharmacy_rx.c.days, pharmacy_rx.c.fills_allowed,
        func.count(pharmacy_fills.c.id).label("filled"),
        func.max(pharmacy_fills.c.dispensed_on).label("last_on"),
    )
    .join(pharmacy_fills, pharmacy_fills.c.rx_id == pharmacy_rx.c.id)
    .where(pharmacy_rx.c.chronic.is_(True))
    .group_by(pharmacy_rx.c.id, pharmacy_rx.c.tenant_id, pharmacy_rx.c.days,
              pharmacy_rx.c.fills_allowed)
)  # fmt: skip
_CONTACT = (
    select(
        patients.c.name,
        patients.c.phone,
        tenants.c.name.label("pharmacy"),
        tenants.c.phone.label("pharmacy_phone"),
        tenants.c.slug,
    )
    .select_from(pharmacy_rx)
    .join(patients, patients.c.id == pharmacy_rx.c.patient_id)
    .join(tenants, tenants.c.id == pharmacy_rx.c.tenant_id)
)


class RefillReminderJob:
    def __init__(
        self,
        engine: AsyncEngine,
        notifier: Notifier,
        catalogue: Catalogue,
        *,
        interval_s: float,
        base_url: str = "",
    ) -> None:
        self.engine, self.notifier, self.catalogue = engine, notifier, catalogue
        self.interval_s = interval_s
        self.base_url = base_url.rstrip("/")  # links to the pick-up booking page when set

    async def run_once(self, now: datetime) -> int:
        """Send what is due on ``now``'s clinic day; the number sent."""
        today = clinic_day(now)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(_FILLS)).all()
            sent_keys = {
                (r.rx_id, r.fill_no) for r in (await conn.execute(select(refill_reminders))).all()
            }
        pending = [
            RefillDue(r.id, r.filled + 1, r.last_on, r.days, (r.id, r.filled + 1) in sent_keys)
            for r in rows
            if r.filled < r.fills_allowed and r.days >= 2
        ]
        tenant_of = {r.id: r.tenant_id for r in rows}
        sent = 0
        for item in due_reminders(pending, today, lead_days=LEAD_DAYS):
            if await self._send(item, tenant_of[item.rx_id], now):
                sent += 1
        return sent

    async def _send(self, item: RefillDue, tenant_id: int, now: datetime) -> bool:
        async with self.engine.connect() as conn:
            c = (await conn.execute(_CONTACT.where(pharmacy_rx.c.id == item.rx_id))).one()
        if not c.phone:
            return False
        key = {"tenant_id": tenant_id, "rx_id": item.rx_id, "fill_no": item.fill_no}
        try:
            async with self.engine.begin() as conn:  # the claim: one sender per (slip, fill)
                await conn.execute(
                    refill_reminders.insert(), {**key, "channel": "sms", "sent_at": now}
                )
        except IntegrityError:
            return False
        try:
            await self.notifier.send(self._notice(c, item))
        except NotifyError as exc:
            log.warning("refill reminder for slip %d not sent: %s", item.rx_id, exc)
            async with self.engine.begin() as conn:
                await conn.execute(
                    delete(refill_reminders).where(
                        refill_reminders.c.rx_id == item.rx_id,
                        refill_reminders.c.fill_no == item.fill_no,
                    )
                )
            return False
        return True

    def _notice(self, c: Any, item: RefillDue) -> Notice:
        w = refill_window(item.previous_fill_on, item.previous_days, item.fill_no)
        body = self.catalogue.t(
            "refill.reminder.body", name=c.name, n=item.fill_no, opens=w.opens.isoformat(),
            closes=w.closes.isoformat(), pharmacy=c.pharmacy, phone=c.pharmacy_phone or "",
        )  # fmt: skip
        if self.base_url:
            url = f"{self.base_url}/book/{c.slug}/pickup"
            body = f"{body} {self.catalogue.t('pickup.reminder.link', url=url)}"
        return Notice("sms", c.phone, self.catalogue.t("refill.reminder.subject"), body)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once(utc_now())
            except Exception:
                log.exception("refill reminder pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval_s)
