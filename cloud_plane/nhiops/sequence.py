"""就醫序號 at card check-in: asked of the NHI card service, with the 異常就醫代碼 fallback.

A card visit needs a 就醫序號 (nhi.md §1: the control software / cloud SAM's ``SequelNumber``
call, which also returns the 安全簽章, the SAM id and the 就醫識別碼 the IC upload must carry).
When the service cannot be reached the clinic keeps working: the visit gets the 異常就醫代碼 of
the cause (門診申報格式 1040409 註9-1, before a 序號 was obtained):

* no answer (network down, time-out)           → A020 網路故障造成讀卡機無法使用
* the service answered 5xx / an unreadable body → E000 健保署資訊系統當機
* the SAM signature was refused (401/403)       → A030 安全模組故障造成讀卡機無法使用

A refusal on the merits (5002 註銷, 5003 過期, 5012 未在保, 9012 unknown ID, …) is not a failure
of the equipment, so no 異常 code applies: the visit keeps no 序號 and the refusal is recorded
(the front desk decides: self-pay, another card, …; the IC upload holds the visit back).

Every outcome is a ``nhi_card_checks`` row with the reason. The call (at most
:data:`CHECK_IN_TIMEOUTS`, 10 s) is made inside the check-in transaction, so the visit and its
序號 commit together; if that transaction then fails, the NHI has counted a visit we did not
keep (the real HIS answers that with 退掛 / rollback; not done yet — see docs/nhi.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import aiohttp
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.nhi.card import NhiCardBasic
from clinicbox_core.nhi.ic_upload.deadline import to_taipei
from clinicbox_core.nhi.ic_upload.validate import parse_roc_datetime
from clinicbox_core.nhi.visit_codes import AbnormalCause, abnormal_code
from cloud_plane.db.tables_clinic import tenants, visits
from cloud_plane.db.tables_nhiops import nhi_card_checks
from cloud_plane.icupload.service import record_card_write
from cloud_plane.nhi.card_service import CardServiceClient
from cloud_plane.nhi.errors import (
    NhiAuthFailed,
    NhiConflict,
    NhiNotFound,
    NhiRejected,
    NhiUnavailable,
)
from cloud_plane.nhi.settings import NhiTimeouts
from cloud_plane.nhi.signer import CardIdentity
from cloud_plane.nhiops.settings import NhiCloudSettings
from cloud_plane.services import audit, mappers
from cloud_plane.services.actor import Actor
from cloud_plane.services.clock import utc_now
from cloud_plane.services.models import Visit
from cloud_plane.services.registration import register_from_card, system_actor
from cloud_plane.services.visit_state import load_visit

__all__ = [
    "CardSequencer",
    "SeqOutcome",
    "already_checked",
    "apply_sequence",
    "check_in",
    "fallback_cause",
]

log = logging.getLogger(__name__)
CHECK_IN_TIMEOUTS = NhiTimeouts(connect_s=3.0, read_s=8.0, total_s=10.0)


@dataclass(frozen=True, slots=True)
class SeqOutcome:
    """What check-in got: a 序號 with the card-write data, a fallback code, or a refusal."""

    outcome: str  # obtained | fallback | refused
    nhi_seq: str | None = None
    abnormal_code: str | None = None
    treatment_at: datetime | None = None  # the IDC's 就診日期時間 (Taiwan local, aware)
    sam_id: str | None = None
    signature: str | None = None
    treatment_id: str | None = None  # 就醫識別碼
    nhi_code: str | None = None
    reason: str = ""


def fallback_cause(error: NhiUnavailable | NhiAuthFailed) -> AbnormalCause:
    """The 異常 cause of a failed call (module docstring)."""
    if isinstance(error, NhiAuthFailed):
        return AbnormalCause.SAM
    http = error.params.get("http")
    return AbnormalCause.NHI_SYSTEM_DOWN if http is not None else AbnormalCause.NETWORK


class CardSequencer:
    """Asks the card service of the clinic's NHI settings for the next 就醫序號."""

    def __init__(self, session: aiohttp.ClientSession, settings: NhiCloudSettings) -> None:
        self.session = session
        self.settings = settings

    def connected(self, nhi_code: str) -> bool:
        return self.settings.for_hospital(nhi_code) is not None

    async def obtain(self, nhi_code: str, card: NhiCardBasic, visit_type: str) -> SeqOutcome:
        settings = self.settings.for_hospital(nhi_code)
        assert settings is not None, "obtain() on a clinic without NHI credentials"
        # the check-in transaction waits for this call: keep it short, fall back instead
        settings = settings.model_copy(update={"timeouts": CHECK_IN_TIMEOUTS})
        client = CardServiceClient(self.session, settings)
        try:
            seq = await client.next_sequence(CardIdentity(card.card_no, card.id_no), visit_type)
        except (NhiUnavailable, NhiAuthFailed) as exc:
            code = abnormal_code(fallback_cause(exc), seq_obtained=False)
            reason = str(exc.params.get("reason") or exc.params.get("nhi_message") or exc)
            log.warning("card service failed for %s: %s → %s", nhi_code, reason, code)
            return SeqOutcome("fallback", abnormal_code=code, nhi_code=exc.nhi_code, reason=reason)
        except (NhiRejected, NhiNotFound, NhiConflict) as exc:  # a refusal on the merits
            message = str(exc.params.get("nhi_message") or "")
            return SeqOutcome("refused", nhi_code=exc.nhi_code, reason=message)
        return SeqOutcome(
            "obtained",
            nhi_seq=seq.sequence_number or None,
            treatment_at=to_taipei(parse_roc_datetime(seq.treatment_datetime)),
            sam_id=seq.sam_id,
            signature=seq.signature,
            treatment_id=seq.treatment_number,
        )


async def apply_sequence(
    conn: AsyncConnection, actor: Actor, visit: Visit, result: SeqOutcome
) -> None:
    """Keep ``result`` on the visit (序號 or 異常 code), its IC upload record, and the check row."""
    now = utc_now()
    if result.nhi_seq or result.abnormal_code:
        await conn.execute(
            update(visits)
            .where(visits.c.id == visit.id, visits.c.tenant_id == actor.tenant_id)
            .values(nhi_seq=result.nhi_seq, abnormal_code=result.abnormal_code, updated_at=now)
        )
    if result.outcome == "obtained":
        await record_card_write(
            conn, actor, visit.id, sam_id=result.sam_id, signature=result.signature,
            treatment_id=result.treatment_id, visit_time=result.treatment_at, now=now,
        )  # fmt: skip
    await conn.execute(
        insert(nhi_card_checks).values(
            tenant_id=actor.tenant_id, visit_id=visit.id, outcome=result.outcome,
            nhi_seq=result.nhi_seq, abnormal_code=result.abnormal_code,
            nhi_code=result.nhi_code, reason=result.reason[:2000], at=now,
        )
    )  # fmt: skip
    await audit.record(
        conn, actor, "update", "visit", visit.id, patient_id=visit.patient_id,
        nhi_seq=result.nhi_seq, abnormal_code=result.abnormal_code, nhi_outcome=result.outcome,
    )  # fmt: skip


async def already_checked(conn: AsyncConnection, visit_id: int) -> bool:
    row = await conn.execute(
        select(nhi_card_checks.c.id).where(nhi_card_checks.c.visit_id == visit_id)
    )
    return row.first() is not None


async def check_in(
    conn: AsyncConnection,
    tenant_slug: str,
    box_id: str,
    card: NhiCardBasic,
    sequencer: CardSequencer | None,
    now: datetime | None = None,
) -> Visit:
    """Card check-in at a box: the visit (:func:`register_from_card`) and, for a clinic connected
    to the NHI, its 就醫序號 or 異常就醫代碼, asked for once per visit, in the caller's
    transaction."""
    visit = await register_from_card(conn, tenant_slug, box_id, card, now=now)
    if sequencer is None or await already_checked(conn, visit.id):
        return visit
    actor = await system_actor(conn, tenant_slug, box_id)
    nhi_code = (
        await conn.execute(select(tenants.c.nhi_code).where(tenants.c.id == actor.tenant_id))
    ).scalar_one()
    if not sequencer.connected(nhi_code):
        return visit
    outcome = await sequencer.obtain(nhi_code, card, visit.visit_type)
    await apply_sequence(conn, actor, visit, outcome)
    return mappers.visit(await load_visit(conn, actor, visit.id))
