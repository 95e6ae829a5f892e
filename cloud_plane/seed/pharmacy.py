"""Demo stock of the demo pharmacy: two lots per formulary drug (one expiring within months,
one next year, so FEFO has a choice), a reorder level on each, and one drug already low.

Expiry dates are relative to the day of seeding so the demo never starts with expired stock.
Idempotent: nothing is added once the pharmacy has any lot.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from cloud_plane.db.tables_clinic import tenants
from cloud_plane.db.tables_pharmacy import stock_levels, stock_lots, stock_moves
from cloud_plane.seed.formulary import FormularyItem

NEAR_DAYS = 60
FAR_DAYS = 420
REORDER_LEVEL = Decimal(200)


async def seed_pharmacy_stock(conn: AsyncConnection, slug: str, items: list[FormularyItem]) -> None:
    tid = (await conn.execute(select(tenants.c.id).where(tenants.c.slug == slug))).scalar()
    if tid is None or not items:
        return
    if (await conn.execute(select(stock_lots.c.id).where(stock_lots.c.tenant_id == tid))).first():
        return
    now = datetime.now(UTC)
    today = now.date()
    for n, item in enumerate(items):
        low = n == len(items) - 1  # the last drug starts below its reorder level
        lots = [
            (f"D{n:03d}A", today + timedelta(days=NEAR_DAYS), Decimal(40 if low else 300)),
            (f"D{n:03d}B", today + timedelta(days=FAR_DAYS), Decimal(0 if low else 500)),
        ]
        for lot_no, expiry, qty in lots:
            lot_id = (
                await conn.execute(
                    stock_lots.insert().returning(stock_lots.c.id),
                    {
                        "tenant_id": tid,
                        "code": item.code,
                        "lot_no": lot_no,
                        "expiry": expiry,
                        "on_hand": qty,
                        "unit_cost": Decimal("1.20"),
                        "received_at": now,
                    },
                )
            ).scalar_one()
            await conn.execute(
                stock_moves.insert(),
                {
                    "tenant_id": tid,
                    "lot_id": lot_id,
                    "kind": "receipt",
                    "quantity": qty,
                    "reason": "demo opening stock",
                    "override": False,
                    "visit_id": None,
                    "staff_id": None,
                    "at": now,
                },
            )
        await conn.execute(
            stock_levels.insert(),
            {"tenant_id": tid, "code": item.code, "reorder_level": REORDER_LEVEL},
        )
