"""Records the IC upload cannot send yet: completing 異常 records later, and backing off the rest.

A visit registered with an 異常就醫代碼 (A020 no answer from the card service, E000 service
error, A030 SAM refused: :mod:`.sequence`) has no 就醫識別碼, yet format 2.0 requires one on 異常
records too (M15; 2.0 check codes D069/D070 name the identifiers allowed on H01=B). The NHI's
answer for a visit without a usable card is the no-card 就醫識別碼 (``hisGetTreatNumNoICCard``,
6.0 ``/api/v1/TreatmentNumber/NoCard``, nhi.md §1). The IDC decodes the visit time from the number
and compares it with M11 (D005), so :func:`complete_abnormal` asks for it **stamped with the
visit's 就診日期時間**, once the card service is reachable again, and keeps it on the record with
the instant it arrived (``treatment_id_late_at``: 補登 — format 2.0 has no field for it; the record
stays 資料格式 B 異常). The IDC refuses a time in the future or beyond the 3-month upload window.

A record our validator still holds back (no number yet, a refusal, missing 處方簽章, …) must not
make the scheduler retry its day every tick: :func:`note_holds` counts the holds and sets
``retry_at`` with a doubling delay (:func:`backoff`); ``hold_reason`` says why, and the 健保作業
page lists it as needing attention. A manual "upload now" clears the delays of the day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clinicbox_core.errors import ClinicboxError
from clinicbox_core.nhi.ic_upload.deadline import to_taipei
from clinicbox_core.nhi.ic_upload.status import Status
from clinicbox_core.nhi.ic_upload.validate import parse_roc_datetime
from cloud_plane.db.tables_clinic import patients, visits
from cloud_plane.db.tables_icupload import ic_upload_records
from cloud_plane.icupload.assemble import UPLOADABLE_VISIT_STATUSES
from cloud_plane.nhi.card_service import CardServiceClient
from cloud_plane.nhi.errors import NhiError, NhiUnavailable
from cloud_plane.services import audit
from cloud_plane.services.actor import Actor
from cloud_plane.services.clock import utc_now

__all__ = ["HOLD_BASE", "HOLD_CAP", "backoff", "clear_holds", "complete_abnormal", "note_holds"]

R = ic_upload_records
HOLD_BASE = timedelta(minutes=10)  # the scheduler's default tick
HOLD_CAP = timedelta(hours=6)
_OPEN = (Status.PENDING.value, Status.CORRECTED.value)
_ABNORMAL = ("abnormal", "correction_abnormal")


def backoff(holds: int) -> timedelta:
    """Delay before retrying a record held ``holds`` times in a row (10 min, doubling, ≤ 6 h)."""
    if holds <= 0:
        return timedelta(0)
    delay: timedelta = HOLD_BASE * (2 ** min(holds - 1, 16))
    return min(delay, HOLD_CAP)


def _due(now: datetime) -> Any:
    return or_(R.c.retry_at.is_(None), R.c.retry_at <= now)


async def complete_abnormal(
    engine: AsyncEngine, actor: Actor, day: date, card_api: CardServiceClient, now: datetime
) -> list[tuple[int, str]]:
    """Get the no-card 就醫識別碼 of the day's 異常 records that lack one (module docstring);
    failures as (visit id, reason), the reason also kept as the record's ``hold_reason``: the
    NHI's code and message, or a catalogue key (``nhiops.hold.*``) for our own reasons."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(R.c.id, R.c.visit_id, R.c.patient_id, R.c.visit_time,
                       patients.c.national_id)
                .join(visits, visits.c.id == R.c.visit_id)
                .join(patients, patients.c.id == visits.c.patient_id)
                .where(
                    R.c.tenant_id == actor.tenant_id, R.c.visit_date == day,
                    R.c.kind.in_(_ABNORMAL), R.c.status.in_(_OPEN), R.c.treatment_id.is_(None),
                    visits.c.status.in_(UPLOADABLE_VISIT_STATUSES), _due(now),
                )
                .order_by(R.c.id)
            )
        ).all()  # fmt: skip
    failures = []
    for row in rows:
        local = to_taipei(row.visit_time).replace(tzinfo=None, microsecond=0)
        reason = None
        if not row.national_id:
            reason = "nhiops.hold.no_national_id"
        else:
            try:
                got = await card_api.treatment_number_no_card(row.national_id, local)
            except NhiUnavailable:
                reason = "nhiops.hold.unreachable"
            except ClinicboxError as exc:
                code = exc.nhi_code if isinstance(exc, NhiError) else None
                text = str(exc.params.get("nhi_message") or "")
                reason = f"{code} {text}".strip() if code else exc.message_key
            else:
                if parse_roc_datetime(got.treatment_datetime) != local:
                    reason = "nhiops.hold.time_mismatch"
        async with engine.begin() as conn:
            values: dict[str, Any] = {"hold_reason": reason, "updated_at": utc_now()}
            if reason is None:
                values |= {"treatment_id": got.treatment_number, "treatment_id_late_at": now}
            await conn.execute(update(R).where(R.c.id == row.id).values(**values))
            if reason is None:
                await audit.record(
                    conn, actor, "update", "ic_upload", row.id, patient_id=row.patient_id,
                    treatment_id_late=True,
                )  # fmt: skip
        if reason is not None:
            failures.append((row.visit_id, reason))
    return failures


async def note_holds(
    conn: AsyncConnection, tenant_id: int, day: date, held_ids: list[int], now: datetime
) -> None:
    """Count one more hold (and push ``retry_at`` out) for the held records that were due."""
    if held_ids:
        rows = (
            await conn.execute(
                select(R.c.id, R.c.hold_count).where(
                    R.c.tenant_id == tenant_id, R.c.id.in_(held_ids), _due(now)
                )
            )
        ).all()
        for row in rows:
            holds = row.hold_count + 1
            await conn.execute(
                update(R)
                .where(R.c.id == row.id)
                .values(hold_count=holds, retry_at=now + backoff(holds))
            )
    await conn.execute(  # sent since: no longer held
        update(R)
        .where(
            R.c.tenant_id == tenant_id, R.c.visit_date == day, R.c.status.not_in(_OPEN),
            R.c.hold_count > 0,
        )
        .values(hold_count=0, retry_at=None, hold_reason=None)
    )  # fmt: skip


async def clear_holds(conn: AsyncConnection, tenant_id: int, day: date) -> None:
    """A person asked for the day now: retry its held records at once."""
    await conn.execute(
        update(R)
        .where(R.c.tenant_id == tenant_id, R.c.visit_date == day, R.c.status.in_(_OPEN))
        .values(retry_at=None)
    )
