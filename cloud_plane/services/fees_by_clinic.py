"""The fee orders and 案件分類 a finished visit gets, by kind of clinic (西醫, 中醫, 牙醫).

Every code comes from a rule module of :mod:`clinicbox_core.nhi` (consult_fee, tcm, dental,
chronic_slip, visit_codes); points come from the fee schedule in force on the visit date. This
module only decides which rule applies to the visit in hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import Conflict
from clinicbox_core.nhi.chronic_slip import check_chronic_slip
from clinicbox_core.nhi.consult_fee import (
    Dispensing,
    RefillSlip,
    consultation_fee_code,
    pharmacy_service_fee_code,
)
from clinicbox_core.nhi.dental import dental_case_type, dental_consultation_fee_code
from clinicbox_core.nhi.tcm import (
    TCM_DAILY_DRUG_FEE,
    is_tcm_treatment,
    tcm_case_type,
    tcm_consultation_fee_code,
    tcm_dispensing_fee_code,
    tcm_treatment_code,
)
from clinicbox_core.nhi.visit_codes import western_case_type
from cloud_plane.services import refcache

__all__ = ["GENERAL_MAX_DAYS", "FeePlan", "fee_order_values", "plan_fees"]

GENERAL_MAX_DAYS = 7  # 一般處方 ≤ 7 天; longer is claimed as a chronic prescription


async def fee_order_values(
    conn: AsyncConnection,
    on: date,
    code: str,
    kind: str,
    ratio: Decimal = Decimal(100),
    quantity: Decimal = Decimal(1),
) -> dict[str, Any]:
    """The order values of fee ``code`` as of ``on`` (points × ``ratio`` % × ``quantity``)."""
    ref = await refcache.fee_row(conn, code, on)
    if ref is None:
        raise Conflict("error.fee.not_in_schedule", code=code, on=on.isoformat())
    unit = (Decimal(ref.points) * ratio / 100).quantize(Decimal("0.01"))
    return {
        "kind": kind,
        "code": code,
        "name": ref.name_zh,
        "total_quantity": quantity,
        "unit_points": unit,
        "amount_points": int((unit * quantity).quantize(Decimal(1), rounding=ROUND_HALF_UP)),
        "self_pay": False,
    }


@dataclass
class FeePlan:
    """What finishing adds: fee orders, code changes of existing orders, the case type."""

    fees: list[dict[str, Any]] = field(default_factory=list)
    recode: dict[int, dict[str, Any]] = field(default_factory=dict)  # order id → new values
    case_type: str = "09"
    consult_code: str = ""


async def plan_fees(
    conn: AsyncConnection,
    v: Row[Any],
    kept: list[Row[Any]],
    *,
    ordinal: int,
    dispensed_today: int,
    age: int,
) -> FeePlan:
    """The fee plan of visit ``v`` (context row) with its non-fee orders ``kept``."""
    on: date = v.visit_date
    drug_rows = [r for r in kept if r.kind == "drug" and not r.self_pay]
    dispensing: Dispensing = (
        "none" if not drug_rows else "delegated" if v.t_dispensing == "deliver" else "self"
    )
    slip = check_chronic_slip(on, v.refill_fills, v.refill_days) if v.refill_fills else None
    plan = FeePlan()
    kind = v.t_clinic_type
    if kind == "tcm":
        await _tcm(conn, v, kept, drug_rows, plan, ordinal, age, slip is not None)
        return plan
    if kind == "dental":
        fee = dental_consultation_fee_code(on, ordinal, dispensing)
        plan.consult_code = fee.code
        plan.fees.append(await fee_order_values(conn, on, fee.code, "consult_fee", fee.ratio_p8))
    else:
        column = slip.refill_slip if slip else RefillSlip.NONE
        fee = consultation_fee_code(on, ordinal, dispensing, age, refill_slip=column)
        plan.consult_code = fee.code
        plan.fees.append(await fee_order_values(conn, on, fee.code, "consult_fee", fee.ratio_p8))
    max_days = max((r.days or 1 for r in drug_rows), default=0)
    chronic = slip is not None or max_days > GENERAL_MAX_DAYS
    if dispensing == "self":
        code = pharmacy_service_fee_code(
            on,
            "clinic_pharmacist",
            "chronic" if chronic else "general",
            max_days,
            dispensed_today + 1,
        )
        if code is not None:
            plan.fees.append(await fee_order_values(conn, on, code, "pharmacy_fee"))
    if kind == "dental":
        total = sum(r.amount_points for r in kept if not r.self_pay)
        total += sum(f["amount_points"] for f in plan.fees)
        plan.case_type = dental_case_type(total_points=total)
    else:
        plan.case_type = western_case_type(
            issues_refill_slip=slip is not None, chronic_only=chronic
        )
    return plan


async def _tcm(
    conn: AsyncConnection,
    v: Row[Any],
    kept: list[Row[Any]],
    herb_rows: list[Row[Any]],
    plan: FeePlan,
    ordinal: int,
    age: int,
    refill_slip: bool,
) -> None:
    on: date = v.visit_date
    fee = tcm_consultation_fee_code(
        on, ordinal, age, nurse_present=bool(v.t_nurse_present), issues_refill_slip=refill_slip
    )
    plan.consult_code = fee.code
    plan.fees.append(await fee_order_values(conn, on, fee.code, "consult_fee", fee.ratio_p8))
    herb_days = max((r.days or 0 for r in herb_rows), default=0)
    if herb_days:
        plan.fees.append(
            await fee_order_values(
                conn, on, TCM_DAILY_DRUG_FEE, "drug", quantity=Decimal(herb_days)
            )
        )
        if v.t_dispensing != "deliver":
            code = tcm_dispensing_fee_code(by_pharmacist=False)
            plan.fees.append(await fee_order_values(conn, on, code, "pharmacy_fee"))
    treatment = False
    for r in kept:
        if r.kind != "procedure" or not is_tcm_treatment(r.code):
            continue
        treatment = True
        code = tcm_treatment_code(r.code, with_herbs=bool(herb_days))
        if code != r.code:
            ref = await fee_order_values(conn, on, code, "procedure")
            plan.recode[r.id] = {
                k: ref[k] for k in ("code", "name", "unit_points", "amount_points")
            }
    plan.case_type = tcm_case_type(
        treatment=treatment, issues_refill_slip=refill_slip, herb_days=herb_days
    )
