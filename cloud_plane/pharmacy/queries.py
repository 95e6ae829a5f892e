"""Reading prescriptions with their items and fills (tenant-scoped)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Row, and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import NotFound
from cloud_plane.db.tables_clinic import bills, orders, patients, tenant_drugs
from cloud_plane.db.tables_pharmacy import pharmacy_fills, pharmacy_rx, pharmacy_rx_items
from cloud_plane.pharmacy.models import Fill, Rx, RxItem
from cloud_plane.services.actor import Actor

_RX = (
    select(pharmacy_rx, patients.c.name, patients.c.national_id, patients.c.birth_date)
    .join(patients, patients.c.id == pharmacy_rx.c.patient_id)
    .where(pharmacy_rx.c.tenant_id == bindparam("tenant_id"))
)
_ITEMS = (
    select(pharmacy_rx_items, tenant_drugs.c.name_zh)
    .outerjoin(
        tenant_drugs,
        and_(
            tenant_drugs.c.tenant_id == pharmacy_rx_items.c.tenant_id,
            tenant_drugs.c.code == pharmacy_rx_items.c.code,
        ),
    )
    .where(pharmacy_rx_items.c.rx_id.in_(bindparam("rx_ids", expanding=True)))
    .order_by(pharmacy_rx_items.c.rx_id, pharmacy_rx_items.c.ordinal)
)
_FILLS = (
    select(
        pharmacy_fills.c.rx_id,
        pharmacy_fills.c.fill_no,
        pharmacy_fills.c.visit_id,
        pharmacy_fills.c.dispensed_on,
        bills.c.copay,
        select(orders.c.code)
        .where(orders.c.visit_id == pharmacy_fills.c.visit_id, orders.c.kind == "pharmacy_fee")
        .limit(1)
        .scalar_subquery()
        .label("fee_code"),
    )
    .outerjoin(bills, bills.c.visit_id == pharmacy_fills.c.visit_id)
    .where(pharmacy_fills.c.rx_id.in_(bindparam("rx_ids", expanding=True)))
    .order_by(pharmacy_fills.c.rx_id, pharmacy_fills.c.fill_no)
)


def _rx(r: Row[Any], items: list[RxItem], fills: list[Fill]) -> Rx:
    return Rx(
        id=r.id,
        patient_id=r.patient_id,
        patient_name=r.name,
        national_id=r.national_id,
        birth_date=r.birth_date,
        source=r.source,
        origin_nhi_code=r.origin_nhi_code,
        origin_case_type=r.origin_case_type,
        origin_seq=r.origin_seq,
        department=r.department,
        prescribed_on=r.prescribed_on,
        doctor_id_no=r.doctor_id_no,
        diagnoses=tuple(r.diagnoses or ()),
        chronic=bool(r.chronic),
        fills_allowed=r.fills_allowed,
        days=r.days,
        created_at=r.created_at,
        items=tuple(items),
        fills=tuple(fills),
    )


async def _assemble(conn: AsyncConnection, rows: list[Row[Any]]) -> list[Rx]:
    if not rows:
        return []
    ids = [r.id for r in rows]
    items: dict[int, list[RxItem]] = {i: [] for i in ids}
    for it in (await conn.execute(_ITEMS, {"rx_ids": ids})).all():
        items[it.rx_id].append(
            RxItem(
                ordinal=it.ordinal,
                code=it.code,
                name=it.name_zh or it.code,
                dose=it.dose,
                frequency=it.frequency,
                route=it.route,
                days=it.days,
                total_quantity=it.total_quantity,
            )
        )
    fills: dict[int, list[Fill]] = {i: [] for i in ids}
    for f in (await conn.execute(_FILLS, {"rx_ids": ids})).all():
        fills[f.rx_id].append(
            Fill(
                fill_no=f.fill_no,
                visit_id=f.visit_id,
                dispensed_on=f.dispensed_on,
                copay=int(f.copay or 0),
                fee_code=f.fee_code,
            )
        )
    return [_rx(r, items[r.id], fills[r.id]) for r in rows]


async def load_rx(conn: AsyncConnection, actor: Actor, rx_id: int) -> Rx:
    stmt = _RX.where(pharmacy_rx.c.id == rx_id)
    row = (await conn.execute(stmt, {"tenant_id": actor.tenant_id})).first()
    if row is None:
        raise NotFound("error.rx.not_found", id=rx_id)
    return (await _assemble(conn, [row]))[0]


async def recent_rx(conn: AsyncConnection, actor: Actor, since: date, limit: int = 50) -> list[Rx]:
    """Slips received or still open for refills since ``since``, newest first."""
    stmt = (
        _RX.where(pharmacy_rx.c.prescribed_on >= since)
        .order_by(pharmacy_rx.c.id.desc())
        .limit(limit)
    )
    rows = list((await conn.execute(stmt, {"tenant_id": actor.tenant_id})).all())
    return await _assemble(conn, rows)


async def rx_of_patient(conn: AsyncConnection, actor: Actor, national_id: str) -> list[Rx]:
    return await rx_of_national_id(conn, actor.tenant_id, national_id)


async def rx_of_national_id(conn: AsyncConnection, tenant_id: int, national_id: str) -> list[Rx]:
    """A patient's slips at one pharmacy, newest first (also for the public pick-up page)."""
    stmt = _RX.where(patients.c.national_id == national_id.upper()).order_by(
        pharmacy_rx.c.id.desc()
    )
    rows = list((await conn.execute(stmt, {"tenant_id": tenant_id})).all())
    return await _assemble(conn, rows)
