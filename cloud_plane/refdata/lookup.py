"""Effective-dated look-ups in the reference tables: the row in force on a date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Table, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from cloud_plane.db.tables_refdata import drugs, fee_codes, icd10


def _in_force(table: Table, code: str, on: date) -> Any:
    return (
        select(table)
        .where(
            table.c.code == code,
            table.c.effective_from <= on,
            or_(table.c.effective_to.is_(None), table.c.effective_to >= on),
        )
        .order_by(table.c.effective_from.desc())
        .limit(1)
    )


async def drug_row(conn: AsyncConnection, code: str, on: date) -> Row[Any] | None:
    return (await conn.execute(_in_force(drugs, code, on))).first()


async def drug_price(conn: AsyncConnection, code: str, on: date) -> Decimal | None:
    """支付價 (points per unit) of drug ``code`` on ``on``; None if unknown or unpriced."""
    row = await drug_row(conn, code, on)
    return None if row is None else row.price_points


async def fee_row(conn: AsyncConnection, code: str, on: date) -> Row[Any] | None:
    return (await conn.execute(_in_force(fee_codes, code, on))).first()


async def fee_points(conn: AsyncConnection, code: str, on: date) -> int | None:
    """Points of fee code ``code`` in the schedule edition in force on ``on``."""
    row = await fee_row(conn, code, on)
    return None if row is None else int(row.points)


async def icd10_row(conn: AsyncConnection, code: str) -> Row[Any] | None:
    return (await conn.execute(select(icd10).where(icd10.c.code == code))).first()
