"""Orders of a visit (醫令): drugs from the NHI list or the clinic formulary, procedures from
the fee schedule, with points priced as of the visit date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Row, bindparam, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import NotFound, ValidationFailed
from clinicbox_core.nhi.dental import claim_position, parse_tooth_positions
from clinicbox_core.nhi.frequency import lookup_frequency, lookup_route, total_quantity
from cloud_plane.db.tables_clinic import orders, tenant_drugs
from cloud_plane.db.tables_refdata import drugs
from cloud_plane.services import audit, refcache
from cloud_plane.services.actor import STAFF_ROLES, Actor, require_role
from cloud_plane.services.clock import utc_now
from cloud_plane.services.consultation import _doctor_context
from cloud_plane.services.models import DrugHit, VisitDetail
from cloud_plane.services.visit_context import detail, items

MAX_DAYS = 90
MAX_DOSE = Decimal("9999.99")  # claims p5 單次劑量 9999.99
#: A dose above this many times the formulary's usual dose is refused as out of range.
MAX_DOSE_FACTOR = 4


def amount_points(quantity: Decimal, unit: Decimal) -> int:
    """p12 = total × unit price, rounded half up to an integer (claims spec p.18)."""
    return int((quantity * unit).quantize(Decimal(1), rounding=ROUND_HALF_UP))


_INSERT_ORDER = orders.insert().returning(*orders.c)
_DELETE_ORDER = delete(orders).where(
    orders.c.id == bindparam("order_id"),
    orders.c.visit_id == bindparam("of_visit"),
    orders.c.tenant_id == bindparam("tenant_id"),
)
_NEXT_ORDINAL = select(func.coalesce(func.max(orders.c.ordinal), 0)).where(
    orders.c.visit_id == bindparam("visit_id")
)
_FORMULARY = select(tenant_drugs).where(
    tenant_drugs.c.tenant_id == bindparam("tenant_id"),
    tenant_drugs.c.code == bindparam("code"),
    tenant_drugs.c.active.is_(True),
)


async def _next_ordinal(conn: AsyncConnection, visit_id: int) -> int:
    return int((await conn.execute(_NEXT_ORDINAL, {"visit_id": visit_id})).scalar_one()) + 1


def _order_params(actor: Actor, visit_id: int, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "dose": None,
        "frequency": None,
        "route": None,
        "days": None,
        "position": None,
        "dose_per": None,
        **values,
        "tenant_id": actor.tenant_id,
        "visit_id": visit_id,
        "created_at": utc_now(),
    }


async def insert_order_row(
    conn: AsyncConnection, actor: Actor, visit_id: int, ordinal: int, **values: Any
) -> Row[Any]:
    """Insert one order with a known 醫令序; the stored row (one round trip)."""
    params = _order_params(actor, visit_id, {**values, "ordinal": ordinal})
    return (await conn.execute(_INSERT_ORDER, params)).one()


async def insert_order_rows(
    conn: AsyncConnection, actor: Actor, visit_id: int, values: list[dict[str, Any]]
) -> list[Row[Any]]:
    """Insert orders (each with its ``ordinal``) in one statement; the stored rows by ordinal."""
    params = [_order_params(actor, visit_id, v) for v in values]
    rows = (await conn.execute(_INSERT_ORDER, params)).all()
    return sorted(rows, key=lambda r: int(r.ordinal))


async def insert_order(conn: AsyncConnection, actor: Actor, visit_id: int, **values: Any) -> int:
    ordinal = await _next_ordinal(conn, visit_id)
    return int((await insert_order_row(conn, actor, visit_id, ordinal, **values)).id)


def next_ordinal(rows: Sequence[Row[Any]]) -> int:
    """The 醫令序 after the visit's current order rows."""
    return max((r.ordinal for r in rows), default=0) + 1


async def _formulary(conn: AsyncConnection, actor: Actor, code: str) -> Any:
    params = {"tenant_id": actor.tenant_id, "code": code}
    return (await conn.execute(_FORMULARY, params)).first()


async def _add(conn: AsyncConnection, actor: Actor, ctx: Row[Any], **values: Any) -> VisitDetail:
    """Insert the order after the existing ones, audit it, and return the new detail."""
    dx, existing = await items(conn, ctx.id)
    row = await insert_order_row(conn, actor, ctx.id, next_ordinal(existing), **values)
    await audit.record(
        conn,
        actor,
        "create",
        "order",
        row.id,
        patient_id=ctx.patient_id,
        visit_id=ctx.id,
        code=values["code"],
    )
    return detail(ctx, dx, [*existing, row])


async def add_drug_order(
    conn: AsyncConnection,
    actor: Actor,
    visit_id: int,
    *,
    drug_code: str,
    dose: Decimal,
    frequency: str,
    route: str,
    days: int,
    total_quantity: Decimal | None = None,
    self_pay: bool = False,
) -> VisitDetail:
    """Prescribe a drug. The total is dose × doses per day × days (see
    :func:`clinicbox_core.nhi.frequency.total_quantity`) unless given; NHI drugs are priced at
    the 支付價 in force on the visit date, 自費 drugs at the clinic's self-pay price."""
    ctx = await _doctor_context(conn, actor, visit_id)
    code = drug_code.strip().upper()
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed("error.order.bad_days", field="days", max=MAX_DAYS)
    freq = lookup_frequency(frequency).code
    rte = lookup_route(route).code
    ref = await refcache.drug_row(conn, code, ctx.visit_date)
    local = await _formulary(conn, actor, code)
    if ref is None and local is None:
        await check_listed_on(conn, code, ctx.visit_date)
        raise ValidationFailed("error.order.unknown_drug", field="drug_code", code=code)
    check_dose(dose, local.default_dose if local is not None else None)
    qty = _total(dose, freq, days, total_quantity)
    name = (local.name_zh if local is not None else None) or (ref.name_en if ref else code)
    if self_pay:
        if local is None or local.self_pay_price is None:
            raise ValidationFailed("error.order.no_self_pay_price", field="self_pay", code=code)
        unit = Decimal(local.self_pay_price)
    else:
        if ref is None:
            await check_listed_on(conn, code, ctx.visit_date)
        if ref is None or ref.price_points is None:
            raise ValidationFailed("error.order.not_nhi_priced", field="drug_code", code=code)
        unit = ref.price_points
    return await _add(
        conn,
        actor,
        ctx,
        kind="drug",
        code=code,
        name=name,
        dose=dose,
        frequency=freq,
        route=rte,
        days=days,
        total_quantity=qty,
        unit_points=unit,
        amount_points=amount_points(qty, unit),
        self_pay=self_pay,
    )


def check_dose(dose: Decimal, usual: Decimal | None) -> None:
    """Refuse a dose outside p5's format or over :data:`MAX_DOSE_FACTOR` × the usual dose."""
    if dose <= 0 or dose > MAX_DOSE or dose != dose.quantize(Decimal("0.01")):
        raise ValidationFailed("error.order.dose_format", field="dose", max=str(MAX_DOSE))
    if usual is not None and usual > 0 and dose > usual * MAX_DOSE_FACTOR:
        raise ValidationFailed(
            "error.order.dose_out_of_range",
            field="dose",
            usual=str(usual.normalize()),
            max=str((usual * MAX_DOSE_FACTOR).normalize()),
        )


async def check_listed_on(conn: AsyncConnection, code: str, on: date) -> None:
    """Raise ``not_covered_on`` when ``code`` is an NHI drug with no edition in force ``on``
    (delisted, or not yet listed); return quietly when it was never listed at all."""
    editions = await refcache.drug_editions(conn, code)
    if not editions:
        return
    ends = [e.effective_to for e in editions if e.effective_to is not None and e.effective_to < on]
    starts = [e.effective_from for e in editions if e.effective_from > on]
    raise ValidationFailed(
        "error.order.not_covered_on",
        field="drug_code",
        code=code,
        on=on.isoformat(),
        until=max(ends).isoformat() if ends else "—",
        since=min(starts).isoformat() if starts else "—",
    )


def _total(dose: Decimal, frequency: str, days: int, given: Decimal | None) -> Decimal:
    return total_quantity(Decimal(dose), frequency, days, explicit_total=given)


async def add_procedure_order(
    conn: AsyncConnection, actor: Actor, visit_id: int, code: str, *, tooth: str | None = None
) -> VisitDetail:
    """A procedure (診療) from the fee schedule, at its points in force on the visit date. At a
    dental clinic the tooth positions (p6 牙位, FDI) are required ("牙科為必要欄位")."""
    ctx = await _doctor_context(conn, actor, visit_id)
    code = code.strip().upper()
    position = None
    if ctx.t_clinic_type == "dental" or (tooth or "").strip():
        position = claim_position(parse_tooth_positions(tooth or ""))
    ref = await refcache.fee_row(conn, code, ctx.visit_date)
    if ref is None:
        raise ValidationFailed("error.order.unknown_fee_code", field="code", code=code)
    return await _add(
        conn,
        actor,
        ctx,
        kind="procedure",
        code=code,
        position=position,
        name=ref.name_zh,
        total_quantity=Decimal(1),
        unit_points=Decimal(ref.points),
        amount_points=int(ref.points),
        self_pay=False,
    )


async def remove_order(
    conn: AsyncConnection, actor: Actor, visit_id: int, order_id: int
) -> VisitDetail:
    ctx = await _doctor_context(conn, actor, visit_id)
    result = await conn.execute(
        _DELETE_ORDER, {"order_id": order_id, "of_visit": visit_id, "tenant_id": actor.tenant_id}
    )
    if result.rowcount != 1:
        raise NotFound("error.order.not_found", id=order_id)
    await audit.record(
        conn, actor, "delete", "order", order_id, patient_id=ctx.patient_id, visit_id=visit_id
    )
    return detail(ctx, *await items(conn, visit_id))


async def search_drugs(
    conn: AsyncConnection, actor: Actor, q: str, on_date: date, limit: int = 20
) -> list[DrugHit]:
    """The clinic's formulary first (code prefix, zh or en name), then other NHI codes in
    force on ``on_date``."""
    require_role(actor, *STAFF_ROLES)
    q = q.strip()
    if not q:
        return []
    like_en = func.lower(drugs.c.name_en).contains(q.lower(), autoescape=True)
    in_force = (drugs.c.effective_from <= on_date) & or_(
        drugs.c.effective_to.is_(None), drugs.c.effective_to >= on_date
    )
    local_stmt = (
        select(tenant_drugs, drugs.c.name_en, drugs.c.price_points)
        .join(drugs, (drugs.c.code == tenant_drugs.c.code) & in_force, isouter=True)
        .where(
            tenant_drugs.c.tenant_id == actor.tenant_id,
            tenant_drugs.c.active.is_(True),
            or_(
                tenant_drugs.c.code.startswith(q.upper(), autoescape=True),
                tenant_drugs.c.name_zh.contains(q, autoescape=True),
                like_en,
            ),
        )
        .order_by(tenant_drugs.c.code)
        .limit(limit)
    )
    hits = [
        DrugHit(
            code=r.code,
            name_en=r.name_en or "",
            name_zh=r.name_zh,
            price_points=r.price_points,
            in_formulary=True,
            default_dose=r.default_dose,
            default_frequency=r.default_frequency,
            default_route=r.default_route,
            self_pay_price=r.self_pay_price,
            demo_value=r.demo_value,
        )
        for r in (await conn.execute(local_stmt)).all()
    ]
    if len(hits) < limit:
        seen = {h.code for h in hits}
        ref_stmt = (
            select(drugs)
            .where(in_force, or_(drugs.c.code.startswith(q.upper(), autoescape=True), like_en))
            .order_by(drugs.c.code)
            .limit(limit)
        )
        for r in (await conn.execute(ref_stmt)).all():
            if r.code in seen or len(hits) >= limit:
                continue
            hits.append(
                DrugHit(
                    code=r.code,
                    name_en=r.name_en,
                    name_zh=r.name_zh,
                    price_points=r.price_points,
                    in_formulary=False,
                    default_dose=None,
                    default_frequency=None,
                    default_route=None,
                    self_pay_price=None,
                    demo_value=r.demo_value,
                )
            )
    return hits


__all__ = [
    "MAX_DOSE",
    "MAX_DOSE_FACTOR",
    "add_drug_order",
    "add_procedure_order",
    "amount_points",
    "check_dose",
    "check_listed_on",
    "remove_order",
    "search_drugs",
]
