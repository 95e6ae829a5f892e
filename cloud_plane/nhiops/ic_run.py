"""One clinic day's IC-card data upload (健保卡資料上傳), end to end, through the adapters.

Steps, each in its own short transaction (no database transaction is held across an NHI call):

1. queue the day's billed / dispensed visits (``queue_ic_records_for_day``); 異常 records get
   their no-card 就醫識別碼 stamped with the visit time (:func:`.holds.complete_abnormal`);
2. 處方簽章: orders of normal records that have none yet are written to the card through the card
   service (``/api/v1/Prescription/Write``) and their signatures kept on the record. The card is
   named by the patient's card number and ID (the card service signs with them; see docs/nhi.md
   for what a box with the card in the reader would do instead);
3. build the file (our validator holds back what it rejects, with its codes) and mark it sent;
4. send it with :class:`~cloud_plane.nhi.ic_upload.IcUploadClient` and keep the NHI's upload id
   (``ic_upload_sends``), then record every record's verdict (accepted, or rejected with the NHI
   code and message). A whole-file refusal or an unreachable service puts the batch's records
   back to be sent again, with the reason kept. Records our validator held back are retried
   after a growing delay (:func:`.holds.note_holds`), not every tick.

:func:`recover_batches` finishes batches a crashed process left without a verdict: it asks the
NHI for the result when the upload id is known, else sends the records again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clinicbox_core.errors import ClinicboxError, Conflict
from clinicbox_core.nhi.ic_upload.check import CheckError, RecordResult
from clinicbox_core.nhi.ic_upload.deadline import to_taipei
from clinicbox_core.nhi.ic_upload.fields import Version
from clinicbox_core.nhi.ic_upload.status import Status
from cloud_plane.db.tables_clinic import orders, patients, tenants, visits
from cloud_plane.db.tables_icupload import ic_upload_batches, ic_upload_records
from cloud_plane.db.tables_nhiops import ic_upload_sends
from cloud_plane.icupload.assemble import UPLOADABLE_VISIT_STATUSES
from cloud_plane.icupload.service import (
    apply_upload_result,
    build_upload,
    queue_ic_records_for_day,
)
from cloud_plane.nhi.card_service import CardServiceClient, PrescriptionItem
from cloud_plane.nhi.errors import NHI_ERRORS, NhiError, NhiRejected
from cloud_plane.nhi.ic_upload import IcUploadClient, IcUploadResult
from cloud_plane.nhi.settings import NhiSettings
from cloud_plane.nhi.signer import CardIdentity
from cloud_plane.nhiops.holds import clear_holds, complete_abnormal, note_holds
from cloud_plane.services.actor import Actor, Role
from cloud_plane.services.clock import utc_now

__all__ = ["IcRunOutcome", "RejectedRecord", "recover_batches", "run_ic_upload", "system_actor"]

log = logging.getLogger(__name__)
R = ic_upload_records
RECOVER_AFTER = timedelta(minutes=10)  # a batch older than this without a verdict is stranded
_NHI_KINDS = ("drug", "procedure")


@dataclass(frozen=True, slots=True)
class RejectedRecord:
    record_id: int
    visit_id: int
    codes: tuple[str, ...]
    messages: tuple[str, ...]


@dataclass(slots=True)
class IcRunOutcome:
    """What one run did for one clinic day."""

    day: date
    batch_id: int | None = None
    file_name: str | None = None
    sent: int = 0
    accepted: int = 0
    rejected: list[RejectedRecord] = field(default_factory=list)
    held: list[RejectedRecord] = field(default_factory=list)  # our validator kept them back
    error_code: str | None = None  # whole-file refusal or transport failure
    error: str | None = None
    signing_failures: list[str] = field(default_factory=list)
    # 異常 records whose no-card 就醫識別碼 could not be had: (visit id, reason), see .holds
    no_card_failures: list[tuple[int, str]] = field(default_factory=list)


def system_actor(tenant_id: int) -> Actor:
    return Actor(tenant_id=tenant_id, staff_id=None, roles=frozenset({Role.SYSTEM}))


def _rejected(row: Any) -> RejectedRecord:
    return RejectedRecord(
        row.id,
        row.visit_id,
        tuple(r["code"] for r in row.rejections),
        tuple(r["message"] for r in row.rejections),
    )


async def _unsigned(conn: AsyncConnection, tenant_id: int, day: date) -> list[Any]:
    """Normal records of ``day`` ready to send whose NHI orders lack 處方簽章."""
    rows = (
        await conn.execute(
            select(
                R.c.id, R.c.visit_id, R.c.visit_time, R.c.order_signatures,
                visits.c.visit_type, patients.c.nhi_card_no, patients.c.national_id,
            )
            .join(visits, visits.c.id == R.c.visit_id)
            .join(patients, patients.c.id == visits.c.patient_id)
            .where(
                R.c.tenant_id == tenant_id, R.c.visit_date == day, R.c.kind == "normal",
                R.c.status.in_((Status.PENDING.value, Status.CORRECTED.value)),
                visits.c.status.in_(UPLOADABLE_VISIT_STATUSES),
            )
        )
    ).all()  # fmt: skip
    out = []
    for row in rows:
        nhi_orders = (
            await conn.execute(
                select(orders)
                .where(
                    orders.c.visit_id == row.visit_id,
                    orders.c.kind.in_(_NHI_KINDS),
                    orders.c.self_pay.is_(False),
                )
                .order_by(orders.c.ordinal)
            )
        ).all()
        if nhi_orders and len(row.order_signatures or []) < len(nhi_orders):
            out.append((row, nhi_orders))
    return out


def _item(o: Any) -> PrescriptionItem:
    drug = o.kind == "drug"
    return PrescriptionItem(
        code=o.code,
        days=(o.days or 0) if drug else 0,
        total_quantity=str(Decimal(o.total_quantity).quantize(Decimal("0.1"))),
        usage=(o.frequency or "") if drug else "",
        position=(o.route or "") if drug else "",
    )


async def sign_orders(
    engine: AsyncEngine, actor: Actor, day: date, card_api: CardServiceClient
) -> list[str]:
    """Get and keep the 處方簽章 of the day's unsigned orders; failures as text (held later)."""
    async with engine.connect() as conn:
        todo = await _unsigned(conn, actor.tenant_id, day)
    failures = []
    for row, nhi_orders in todo:
        if not row.nhi_card_no or not row.national_id:
            failures.append(f"visit {row.visit_id}: no card number")
            continue
        local = to_taipei(row.visit_time).replace(tzinfo=None)
        try:
            signs = await card_api.write_prescriptions(
                CardIdentity(row.nhi_card_no, row.national_id),
                local,
                row.visit_type,
                [_item(o) for o in nhi_orders],
            )
        except ClinicboxError as exc:
            code = exc.nhi_code if isinstance(exc, NhiError) else None
            failures.append(f"visit {row.visit_id}: {code or exc.message_key}")
            continue
        async with engine.begin() as conn:
            await conn.execute(
                update(R)
                .where(R.c.id == row.id, R.c.tenant_id == actor.tenant_id)
                .values(order_signatures=list(signs), updated_at=utc_now())
            )
    return failures


def _results(answer: IcUploadResult) -> list[RecordResult]:
    return [
        RecordResult(
            index=r.index,
            key=None,
            kind=None,
            accepted=r.status == "accepted",
            errors=tuple(CheckError(e.code, e.field, e.message, e.order) for e in r.errors),
        )
        for r in answer.results
    ]


def _lost(code: str, message: str) -> list[RecordResult]:
    return [RecordResult(None, None, None, False, (CheckError(code, None, message),))]


async def _record_send(
    engine: AsyncEngine, actor: Actor, batch_id: int, name: str, now: datetime, **values: Any
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            insert(ic_upload_sends).values(
                batch_id=batch_id, tenant_id=actor.tenant_id, file_name=name, sent_at=now, **values
            )
        )


async def _verdicts(
    engine: AsyncEngine, actor: Actor, batch_id: int, results: list[RecordResult], now: datetime
) -> list[Any]:
    async with engine.begin() as conn:
        await apply_upload_result(conn, actor, batch_id, results, now=now)
        return list(
            (await conn.execute(select(R).where(R.c.batch_id == batch_id).order_by(R.c.id))).all()
        )


async def send_batch(
    engine: AsyncEngine, actor: Actor, out: IcRunOutcome, data: bytes, client: IcUploadClient
) -> None:
    """Send a built batch, keep the NHI's answer and apply it to ``out``'s records."""
    assert out.batch_id is not None and out.file_name is not None
    now = utc_now()
    try:
        answer = await client.upload(out.file_name, data)
    except NHI_ERRORS as exc:
        code = exc.nhi_code or ("Y001" if isinstance(exc, NhiRejected) else "NHI_UNAVAILABLE")
        message = str(exc.params.get("nhi_message") or exc.params.get("reason") or "")
        out.error_code, out.error = code, message
        await _record_send(
            engine, actor, out.batch_id, out.file_name, now, error_code=code, error=message
        )
        await _verdicts(engine, actor, out.batch_id, _lost(code, message), now)
        return
    await _record_send(engine, actor, out.batch_id, out.file_name, now, remote_id=answer.upload_id)
    for row in await _verdicts(engine, actor, out.batch_id, _results(answer), now):
        if row.status == Status.ACCEPTED.value:
            out.accepted += 1
        elif row.status == Status.REJECTED.value:
            out.rejected.append(_rejected(row))


async def run_ic_upload(
    engine: AsyncEngine,
    session: aiohttp.ClientSession,
    settings: NhiSettings,
    tenant_id: int,
    day: date,
    *,
    version: Version = Version.V2,
    force: bool = False,
    now: datetime | None = None,
) -> IcRunOutcome:
    """Queue, complete, sign, build, validate, send and record the IC upload of ``day`` for a
    clinic. ``force`` (a person asked): retry held records now instead of after their back-off
    (:mod:`.holds`)."""
    actor = system_actor(tenant_id)
    out = IcRunOutcome(day=day)
    now = now or utc_now()
    async with engine.begin() as conn:
        await queue_ic_records_for_day(conn, actor, day)
        if force:
            await clear_holds(conn, tenant_id, day)
    card_api = CardServiceClient(session, settings)
    out.no_card_failures = await complete_abnormal(engine, actor, day, card_api, now)
    out.signing_failures = await sign_orders(engine, actor, day, card_api)
    async with engine.begin() as conn:
        try:
            batch = await build_upload(conn, actor, day, version=version)
        except Conflict as exc:
            if exc.message_key != "error.ic_upload.nothing_to_upload":
                raise
            batch = None
        held = (
            await conn.execute(
                select(R)
                .join(visits, visits.c.id == R.c.visit_id)
                .where(
                    R.c.tenant_id == tenant_id, R.c.visit_date == day,
                    R.c.status == Status.PENDING.value,
                    visits.c.status.in_(UPLOADABLE_VISIT_STATUSES),
                )
                .order_by(R.c.id)
            )
        ).all()  # fmt: skip
        out.held = [_rejected(r) for r in held if r.rejections]
        await note_holds(conn, tenant_id, day, [h.record_id for h in out.held], now)
        nhi_code = (
            await conn.execute(select(tenants.c.nhi_code).where(tenants.c.id == tenant_id))
        ).scalar_one()
    if batch is None:
        return out
    out.batch_id, out.sent = batch.batch_id, batch.sent
    out.file_name = f"{nhi_code}_{day:%Y%m%d}_{batch.batch_id}.xml"
    await send_batch(engine, actor, out, batch.data, IcUploadClient(session, settings))
    log.info(
        "IC upload %s %s: sent %d, accepted %d, rejected %d, held %d",
        nhi_code, day, out.sent, out.accepted, len(out.rejected), len(out.held),
    )  # fmt: skip
    return out


async def recover_batches(
    engine: AsyncEngine,
    session: aiohttp.ClientSession,
    settings: NhiSettings,
    tenant_id: int,
    now: datetime,
) -> int:
    """Finish batches left without a verdict for longer than :data:`RECOVER_AFTER`."""
    actor = system_actor(tenant_id)
    b, s = ic_upload_batches, ic_upload_sends
    async with engine.connect() as conn:
        stranded = (
            await conn.execute(
                select(b.c.id, s.c.remote_id, s.c.error_code)
                .outerjoin(s, s.c.batch_id == b.c.id)
                .where(
                    b.c.tenant_id == tenant_id,
                    b.c.result_at.is_(None),
                    b.c.created_at < now - RECOVER_AFTER,
                )
            )
        ).all()
    client = IcUploadClient(session, settings)
    for row in stranded:
        if row.remote_id:
            try:
                answer = await client.result(row.remote_id)
            except NHI_ERRORS:
                continue  # ask again next time
            await _verdicts(engine, actor, row.id, _results(answer), now)
        else:
            await _verdicts(engine, actor, row.id, _lost("LOST", "上傳未確認，重新上傳"), now)
    return len(stranded)
