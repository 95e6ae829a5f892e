"""Dispensing one fill of a received slip: identity by NHI card (or an 異常就醫代碼), the 慢箋
refill window, 藥事服務費 by days and the pharmacy's count of the day, copay, stock by lot.

A fill is stored as a visit of the pharmacy (就醫類別 AF 藥局調劑, AE for a 慢箋 refill;
案件分類 1 一般 / 2 慢箋) with its drug and fee orders and a settled bill, so the existing print
path (drug bag, receipt), reports and the claims builder read it like any other visit; the
``pharmacy_fills`` row ties it to the slip and its fill number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.consult_fee import (
    PharmacySetting,
    PrescriptionKind,
    pharmacy_service_fee_code,
)
from clinicbox_core.nhi.copay import CopayInput, VisitKind, compute_copay
from clinicbox_core.nhi.visit_codes import lookup_abnormal
from clinicbox_core.pharmacy.refill import check_refill_date
from cloud_plane.db.tables_clinic import bills, tenants, visits
from cloud_plane.db.tables_pharmacy import pharmacy_fills, pharmacy_rx
from cloud_plane.pharmacy.models import Rx
from cloud_plane.pharmacy.queries import load_rx
from cloud_plane.pharmacy.receive import PHARMACY_ROLES
from cloud_plane.pharmacy.stock import deduct
from cloud_plane.services import audit, refcache
from cloud_plane.services.actor import Actor, require_role
from cloud_plane.services.billing import LEVEL_OF_CLINIC
from cloud_plane.services.clock import clinic_day, session_at, utc_now
from cloud_plane.services.counters import next_value
from cloud_plane.services.finish import (
    GENERAL_MAX_DAYS,
    PHARMACY_FEES_OF_DAY,
    fee_order_values,
)
from cloud_plane.services.orders import amount_points, insert_order_rows

_TENANT = select(tenants.c.clinic_type, tenants.c.default_department).where(
    tenants.c.id == bindparam("tenant_id")
)
_LOCK_RX = (
    select(pharmacy_rx.c.id)
    .where(pharmacy_rx.c.id == bindparam("rx_id"), pharmacy_rx.c.tenant_id == bindparam("tid"))
    .with_for_update()
)


@dataclass(frozen=True, slots=True)
class DispenseInput:
    """What the pharmacist confirms: the card read (or why not), an exemption, an override."""

    card_id: str | None = None  # ID number read from the NHI card in the box's reader
    abnormal_code: str | None = None  # 異常就醫代碼 when the card cannot be used
    exemption_code: str | None = None  # 部分負擔 exemption (001 重大傷病 ...)
    override_stock: bool = False  # dispense although stock would go below zero (audited)


def _identity(rx: Rx, given: DispenseInput) -> str | None:
    """The abnormal code, if any; the card must be the patient's (ID numbers compared)."""
    card = (given.card_id or "").strip().upper()
    abnormal = (given.abnormal_code or "").strip().upper() or None
    if card:
        if card != (rx.national_id or ""):
            raise ValidationFailed("error.dispense.card_mismatch", field="card_id")
        return None
    if abnormal is None:
        raise ValidationFailed("error.dispense.card_required", field="card_id")
    lookup_abnormal(abnormal)
    return abnormal


def _refill_check(rx: Rx, fill_no: int, day: Any) -> None:
    if fill_no > rx.fills_allowed:
        raise ValidationFailed(
            "error.refill.no_more_fills", field="fill_no", allowed=rx.fills_allowed
        )
    if fill_no >= 2:
        previous = rx.fills[-1]
        check_refill_date(previous.dispensed_on, rx.days, fill_no, day, field="fill_no")


async def _drug_orders(conn: AsyncConnection, rx: Rx, day: Any) -> list[dict[str, Any]]:
    out = []
    for n, item in enumerate(rx.items, start=1):
        ref = await refcache.drug_row(conn, item.code, day)
        if ref is None or ref.price_points is None:
            raise ValidationFailed(
                "error.order.not_nhi_priced", field=f"item{n}_code", code=item.code
            )
        unit = Decimal(ref.price_points)
        out.append(
            {
                "kind": "drug",
                "code": item.code,
                "name": item.name,
                "dose": item.dose,
                "frequency": item.frequency,
                "route": item.route,
                "days": item.days,
                "total_quantity": item.total_quantity,
                "unit_points": unit,
                "amount_points": amount_points(item.total_quantity, unit),
                "self_pay": False,
            }
        )
    return out


async def dispense(
    conn: AsyncConnection,
    actor: Actor,
    rx_id: int,
    given: DispenseInput,
    *,
    now: datetime | None = None,
) -> int:
    """Dispense the next fill of slip ``rx_id``; the new visit's id (drug bag, receipt)."""
    require_role(actor, *PHARMACY_ROLES)
    assert actor.staff_id is not None
    now = now or utc_now()
    day = clinic_day(now)
    await conn.execute(_LOCK_RX, {"rx_id": rx_id, "tid": actor.tenant_id})
    rx = await load_rx(conn, actor, rx_id)
    fill_no = len(rx.fills) + 1
    _refill_check(rx, fill_no, day)
    abnormal = _identity(rx, given)
    tenant = (await conn.execute(_TENANT, {"tenant_id": actor.tenant_id})).one()
    setting: PharmacySetting = (
        "pharmacy" if tenant.clinic_type == "pharmacy" else "clinic_pharmacist"
    )
    kind: PrescriptionKind = "chronic" if rx.chronic or rx.days > GENERAL_MAX_DAYS else "general"
    dispensed = int(
        (
            await conn.execute(
                PHARMACY_FEES_OF_DAY, {"tenant_id": actor.tenant_id, "visit_date": day}
            )
        ).scalar_one()
    )
    fee_code = pharmacy_service_fee_code(day, setting, kind, rx.days, dispensed + 1)
    drug_values = await _drug_orders(conn, rx, day)
    fees = [] if fee_code is None else [await fee_order_values(conn, day, fee_code, "pharmacy_fee")]
    session = session_at(now)
    visit_no = await next_value(
        conn, actor.tenant_id, f"visit_no:{day.isoformat()}:{actor.staff_id}:{session.value}"
    )
    # d7: the slip's own 就醫序號 on the first fill, IC02/IC03 on a 慢箋 refill (spec p.4)
    seq = rx.origin_seq if fill_no == 1 else f"IC0{fill_no}"
    visit_id = int(
        (
            await conn.execute(
                visits.insert().returning(visits.c.id),
                {
                    "tenant_id": actor.tenant_id,
                    "patient_id": rx.patient_id,
                    "visit_date": day,
                    "session": session.value,
                    "department": rx.department or tenant.default_department,
                    "doctor_id": actor.staff_id,
                    "visit_no": visit_no,
                    "visit_type": "AE" if fill_no >= 2 else "AF",
                    "nhi_seq": seq,
                    "abnormal_code": abnormal,
                    "case_type": "2" if rx.chronic else "1",
                    "status": "dispensed",
                    "chief_complaint": "",
                    "source": "card" if abnormal is None else "manual",
                    "registered_at": now,
                    "started_at": now,
                    "finished_at": now,
                    "updated_at": now,
                },
            )
        ).scalar_one()
    )
    rows = [*drug_values, *fees]
    await insert_order_rows(
        conn, actor, visit_id, [{**v, "ordinal": i} for i, v in enumerate(rows, start=1)]
    )
    for n, item in enumerate(rx.items, start=1):
        await deduct(
            conn, actor, code=item.code, quantity=item.total_quantity, on=day,
            visit_id=visit_id, patient_id=rx.patient_id, override=given.override_stock,
            field=f"item{n}_code",
        )  # fmt: skip
    drug_points = sum(int(v["amount_points"]) for v in drug_values)
    copay = compute_copay(
        CopayInput(
            on=day,
            institution_level=LEVEL_OF_CLINIC[tenant.clinic_type],
            visit_kind=VisitKind.CHRONIC_REFILL if rx.chronic else VisitKind.GENERAL,
            drug_points=drug_points,
            exemption_code=(given.exemption_code or "").strip() or None,
        )
    )
    nhi_points = drug_points + sum(int(v["amount_points"]) for v in fees)
    await conn.execute(
        bills.insert(),
        {
            "tenant_id": actor.tenant_id,
            "visit_id": visit_id,
            "registration_fee": 0,
            "copay": copay.total,
            "copay_basic": copay.basic,
            "copay_drug": copay.drug,
            "copay_code": copay.code_d15,
            "nhi_points": nhi_points,
            "self_pay_total": 0,
            "amount_due": copay.total,
            "paid": copay.total,
            "computed_at": now,
            "settled_at": now,
        },
    )
    await conn.execute(
        visits.update().where(visits.c.id == visit_id).values(copay_code=copay.code_d15)
    )
    await conn.execute(
        pharmacy_fills.insert(),
        {
            "tenant_id": actor.tenant_id,
            "rx_id": rx_id,
            "fill_no": fill_no,
            "visit_id": visit_id,
            "dispensed_on": day,
            "pharmacist_id": actor.staff_id,
            "created_at": now,
        },
    )
    await audit.record(
        conn, actor, "create", "pharmacy_fill", visit_id, patient_id=rx.patient_id,
        rx_id=rx_id, fill_no=fill_no, fee_code=fee_code, copay=copay.total,
        override_stock=given.override_stock, abnormal_code=abnormal,
    )  # fmt: skip
    return visit_id
