"""Drug stock by lot: receiving, dispensing (first expiry first out), stock-take adjustment,
reorder levels and the low-stock list.

Every change of a lot's ``on_hand`` is one ``stock_moves`` row written in the same transaction
(receipt +, dispense −, adjust ±), so a lot's quantity always equals the sum of its moves.
Dispensing below zero is refused unless the pharmacist overrides it; the override is stored on
the move and in the audit log. Lots are locked (``FOR UPDATE``) while a dispensing reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import Conflict, NotFound, ValidationFailed
from clinicbox_core.pharmacy.fefo import InsufficientStock, LotBalance, LotTake, allocate_fefo
from cloud_plane.db.tables_clinic import orders, tenant_drugs
from cloud_plane.db.tables_pharmacy import stock_levels, stock_lots, stock_moves
from cloud_plane.pharmacy.models import Lot, StockLine
from cloud_plane.services import audit
from cloud_plane.services.actor import Actor, Role, require_role
from cloud_plane.services.clock import utc_now

STOCK_ROLES = (Role.PHARMACIST, Role.CLINIC_ADMIN)
MAX_REASON = 200

_DRUG = select(tenant_drugs.c.code, tenant_drugs.c.name_zh).where(
    tenant_drugs.c.tenant_id == bindparam("tenant_id"), tenant_drugs.c.code == bindparam("code")
)
_LOTS_OF = select(stock_lots).where(
    stock_lots.c.tenant_id == bindparam("tenant_id"), stock_lots.c.code == bindparam("code")
)
_LOT = select(stock_lots).where(
    stock_lots.c.tenant_id == bindparam("tenant_id"), stock_lots.c.id == bindparam("lot_id")
)
_SET_ON_HAND = update(stock_lots).where(stock_lots.c.id == bindparam("b_lot_id"))
_INSERT_MOVE = stock_moves.insert()


async def _drug_name(conn: AsyncConnection, actor: Actor, code: str, field: str) -> str:
    row = (await conn.execute(_DRUG, {"tenant_id": actor.tenant_id, "code": code})).first()
    if row is None:
        raise ValidationFailed("error.stock.unknown_drug", field=field, code=code)
    return str(row.name_zh)


async def _move(
    conn: AsyncConnection,
    actor: Actor,
    lot_id: int,
    kind: str,
    quantity: Decimal,
    *,
    reason: str = "",
    override: bool = False,
    visit_id: int | None = None,
) -> None:
    await conn.execute(
        _INSERT_MOVE,
        {
            "tenant_id": actor.tenant_id,
            "lot_id": lot_id,
            "kind": kind,
            "quantity": quantity,
            "reason": reason,
            "override": override,
            "visit_id": visit_id,
            "staff_id": actor.staff_id,
            "at": utc_now(),
        },
    )


async def receive_stock(
    conn: AsyncConnection,
    actor: Actor,
    *,
    code: str,
    lot_no: str,
    expiry: date,
    quantity: Decimal,
    unit_cost: Decimal,
    today: date,
) -> int:
    """Book a delivery into lot ``lot_no`` of ``code`` (created on first receipt); the lot id."""
    require_role(actor, *STOCK_ROLES)
    code = code.strip().upper()
    lot_no = lot_no.strip()
    await _drug_name(conn, actor, code, "code")
    if not lot_no or len(lot_no) > 40:
        raise ValidationFailed("error.stock.bad_lot", field="lot_no")
    if expiry < today:
        raise ValidationFailed("error.stock.expired_on_receipt", field="expiry")
    if quantity <= 0:
        raise ValidationFailed("error.field.not_positive", field="quantity")
    if unit_cost < 0:
        raise ValidationFailed("error.stock.negative_cost", field="unit_cost")
    params = {"tenant_id": actor.tenant_id, "code": code}
    existing = next(
        (r for r in (await conn.execute(_LOTS_OF.with_for_update(), params)).all()
         if r.lot_no == lot_no),
        None,
    )  # fmt: skip
    if existing is None:
        lot_id = int(
            (
                await conn.execute(
                    stock_lots.insert().returning(stock_lots.c.id),
                    {
                        **params,
                        "lot_no": lot_no,
                        "expiry": expiry,
                        "on_hand": quantity,
                        "unit_cost": unit_cost,
                        "received_at": utc_now(),
                    },
                )
            ).scalar_one()
        )
    else:
        if existing.expiry != expiry:
            raise ValidationFailed(
                "error.stock.lot_expiry_differs", field="expiry", stored=existing.expiry.isoformat()
            )
        lot_id = int(existing.id)
        await conn.execute(
            _SET_ON_HAND, {"b_lot_id": lot_id, "on_hand": existing.on_hand + quantity}
        )
    await _move(conn, actor, lot_id, "receipt", quantity)
    await audit.record(
        conn, actor, "create", "stock_receipt", lot_id, patient_id=None,
        code=code, lot_no=lot_no, quantity=str(quantity), unit_cost=str(unit_cost),
    )  # fmt: skip
    return lot_id


async def adjust_stock(
    conn: AsyncConnection, actor: Actor, lot_id: int, *, counted: Decimal, reason: str
) -> Decimal:
    """Stock-take: set the lot to the ``counted`` quantity; the difference (± moved) is returned.
    The reason is required and kept with the move and in the audit log."""
    require_role(actor, *STOCK_ROLES)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("error.stock.reason_required", field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationFailed("error.field.too_long", field="reason", max=MAX_REASON)
    if not counted.is_finite() or counted < 0:
        raise ValidationFailed("error.stock.bad_count", field="counted")
    params = {"tenant_id": actor.tenant_id, "lot_id": lot_id}
    lot = (await conn.execute(_LOT.with_for_update(), params)).first()
    if lot is None:
        raise NotFound("error.stock.lot_not_found", id=lot_id)
    delta: Decimal = counted - Decimal(lot.on_hand)
    if delta != 0:
        await conn.execute(_SET_ON_HAND, {"b_lot_id": lot_id, "on_hand": counted})
        await _move(conn, actor, lot_id, "adjust", delta, reason=reason)
    await audit.record(
        conn, actor, "update", "stock_lot", lot_id, patient_id=None,
        counted=str(counted), delta=str(delta), reason=reason,
    )  # fmt: skip
    return delta


async def deduct(
    conn: AsyncConnection,
    actor: Actor,
    *,
    code: str,
    quantity: Decimal,
    on: date,
    visit_id: int,
    patient_id: int,
    override: bool = False,
    field: str = "quantity",
) -> list[LotTake]:
    """Take ``quantity`` of ``code`` out of stock, first expiry first out (see
    :func:`clinicbox_core.pharmacy.fefo.allocate_fefo`)."""
    params = {"tenant_id": actor.tenant_id, "code": code}
    rows = (await conn.execute(_LOTS_OF.with_for_update(), params)).all()
    balances = [LotBalance(r.id, r.lot_no, r.expiry, r.on_hand) for r in rows]
    takes = allocate_fefo(code, balances, quantity, on=on, override=override, field=field)
    on_hand = {r.id: r.on_hand for r in rows}
    for take in takes:
        left = on_hand[take.lot_id] - take.quantity
        await conn.execute(_SET_ON_HAND, {"b_lot_id": take.lot_id, "on_hand": left})
        await _move(
            conn, actor, take.lot_id, "dispense", -take.quantity,
            override=override and left < 0, visit_id=visit_id,
            reason="override" if override and left < 0 else "",
        )  # fmt: skip
        if left < 0:
            await audit.record(
                conn, actor, "update", "stock_lot", take.lot_id, patient_id=patient_id,
                override="below_zero", on_hand=str(left), visit_id=visit_id,
            )  # fmt: skip
    return takes


async def list_lots(conn: AsyncConnection, actor: Actor, code: str | None = None) -> list[Lot]:
    require_role(actor, *STOCK_ROLES)
    stmt = (
        select(stock_lots, tenant_drugs.c.name_zh)
        .outerjoin(
            tenant_drugs,
            and_(
                tenant_drugs.c.tenant_id == stock_lots.c.tenant_id,
                tenant_drugs.c.code == stock_lots.c.code,
            ),
        )
        .where(stock_lots.c.tenant_id == actor.tenant_id)
        .order_by(stock_lots.c.code, stock_lots.c.expiry, stock_lots.c.lot_no)
    )
    if code:
        stmt = stmt.where(stock_lots.c.code == code.strip().upper())
    return [
        Lot(r.id, r.code, r.name_zh or r.code, r.lot_no, r.expiry, r.on_hand, r.unit_cost)
        for r in (await conn.execute(stmt)).all()
    ]


async def set_reorder_level(conn: AsyncConnection, actor: Actor, code: str, level: Decimal) -> None:
    require_role(actor, *STOCK_ROLES)
    code = code.strip().upper()
    await _drug_name(conn, actor, code, "code")
    if level < 0:
        raise ValidationFailed("error.stock.bad_count", field="reorder_level")
    key = {"tenant_id": actor.tenant_id, "code": code}
    done = await conn.execute(
        update(stock_levels)
        .where(stock_levels.c.tenant_id == actor.tenant_id, stock_levels.c.code == code)
        .values(reorder_level=level)
    )
    if done.rowcount == 0:
        await conn.execute(stock_levels.insert(), {**key, "reorder_level": level})


async def low_stock(conn: AsyncConnection, actor: Actor, on: date) -> list[StockLine]:
    """Drugs whose usable (unexpired) stock is at or below their reorder level."""
    require_role(actor, *STOCK_ROLES)
    levels = (
        await conn.execute(
            select(stock_levels, tenant_drugs.c.name_zh)
            .join(
                tenant_drugs,
                and_(
                    tenant_drugs.c.tenant_id == stock_levels.c.tenant_id,
                    tenant_drugs.c.code == stock_levels.c.code,
                ),
            )
            .where(stock_levels.c.tenant_id == actor.tenant_id)
        )
    ).all()
    lots = await list_lots(conn, actor)
    return _below(levels, lots, on)


def _below(levels: Sequence[Any], lots: Sequence[Lot], on: date) -> list[StockLine]:
    out: list[StockLine] = []
    for lv in levels:
        usable = [lot for lot in lots if lot.code == lv.code and lot.expiry >= on]
        total = sum((lot.on_hand for lot in usable), Decimal(0))
        if total <= lv.reorder_level:
            out.append(StockLine(lv.code, lv.name_zh, total, lv.reorder_level, len(usable)))
    return sorted(out, key=lambda s: (s.on_hand - s.reorder_level, s.code))


_TRACKED = (
    select(stock_lots.c.code)
    .where(stock_lots.c.tenant_id == bindparam("tenant_id"))
    .union(select(stock_levels.c.code).where(stock_levels.c.tenant_id == bindparam("tenant_id")))
)


async def deduct_visit_drugs(
    conn: AsyncConnection, actor: Actor, visit_id: int, patient_id: int, on: date
) -> None:
    """A clinic's own dispensary (自行調劑) hands over a visit's drugs: each drug it keeps stock
    of (any lot or a reorder level) is taken out first expiry first out; drugs it does not track
    are left alone, so a clinic that never set up stock dispenses as before. Short stock stops
    the dispensing with a message naming the drug (no override on this path)."""
    tracked = set((await conn.execute(_TRACKED, {"tenant_id": actor.tenant_id})).scalars())
    if not tracked:
        return
    rows = (
        await conn.execute(
            select(orders.c.code, orders.c.total_quantity).where(
                orders.c.visit_id == visit_id, orders.c.kind == "drug"
            )
        )
    ).all()
    for r in rows:
        if r.code in tracked:
            try:
                await deduct(
                    conn, actor, code=r.code, quantity=r.total_quantity, on=on,
                    visit_id=visit_id, patient_id=patient_id,
                )  # fmt: skip
            except InsufficientStock as exc:
                raise Conflict("error.stock.short_for_visit", **{
                    k: v for k, v in exc.params.items() if k != "field"
                }) from exc  # fmt: skip
