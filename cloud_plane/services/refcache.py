"""Per-process cache of the global reference tables (ICD-10, NHI drug codes, fee codes).

The services look the same few codes up on every visit (J06.9, the 診察費 code, the drugs of
the formulary), and those tables only change when an operator reloads them. This cache keeps,
per database (one entry per ``Engine``), every edition of each code that was looked up, and
picks the edition in force on the asked date in Python exactly as
:mod:`cloud_plane.refdata.lookup` does in SQL (``effective_from <= on <= effective_to``, the
latest ``effective_from`` wins), so a cached code stays correct for any date.

Only found codes are cached (an unknown code is asked again, so a code loaded later is seen),
and entries expire after :data:`TTL_SECONDS`, which bounds how long a reload done by another
process (``python -m cloud_plane.seed``) stays invisible.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from cloud_plane.db.tables_refdata import drugs, fee_codes, icd10

__all__ = ["TTL_SECONDS", "clear", "drug_editions", "drug_row", "fee_row", "icd10_row"]

TTL_SECONDS = 300.0
MAX_CODES = 20_000  # per table and database; the whole cache is dropped when exceeded

_ICD10 = select(icd10).where(icd10.c.code == bindparam("code"))
_DRUG_EDITIONS = (
    select(drugs).where(drugs.c.code == bindparam("code")).order_by(drugs.c.effective_from.desc())
)
_FEE_EDITIONS = (
    select(fee_codes)
    .where(fee_codes.c.code == bindparam("code"))
    .order_by(fee_codes.c.effective_from.desc())
)

_Entry = tuple[float, tuple[Row[Any], ...]]


@dataclass
class _Tables:
    icd10: dict[str, _Entry] = field(default_factory=dict)
    drugs: dict[str, _Entry] = field(default_factory=dict)
    fees: dict[str, _Entry] = field(default_factory=dict)


_CACHES: weakref.WeakKeyDictionary[Engine, _Tables] = weakref.WeakKeyDictionary()


def clear() -> None:
    """Forget everything (tests that reload reference data in-process call this)."""
    _CACHES.clear()


def _tables(conn: AsyncConnection) -> _Tables:
    engine = conn.sync_engine
    tables = _CACHES.get(engine)
    if tables is None:
        tables = _CACHES[engine] = _Tables()
    return tables


async def _editions(
    conn: AsyncConnection, cache: dict[str, _Entry], stmt: Any, code: str
) -> tuple[Row[Any], ...]:
    now = time.monotonic()
    hit = cache.get(code)
    if hit is not None and hit[0] > now:
        return hit[1]
    rows = tuple((await conn.execute(stmt, {"code": code})).all())
    if rows:
        if len(cache) >= MAX_CODES:
            cache.clear()
        cache[code] = (now + TTL_SECONDS, rows)
    return rows


def _in_force(editions: tuple[Row[Any], ...], on: date) -> Row[Any] | None:
    """The edition in force on ``on``; ``editions`` are newest ``effective_from`` first."""
    for r in editions:
        if r.effective_from <= on and (r.effective_to is None or r.effective_to >= on):
            return r
    return None


async def icd10_row(conn: AsyncConnection, code: str) -> Row[Any] | None:
    rows = await _editions(conn, _tables(conn).icd10, _ICD10, code)
    return rows[0] if rows else None


async def drug_row(conn: AsyncConnection, code: str, on: date) -> Row[Any] | None:
    """The NHI drug row of ``code`` in force on ``on`` (price in points per unit)."""
    return _in_force(await _editions(conn, _tables(conn).drugs, _DRUG_EDITIONS, code), on)


async def drug_editions(conn: AsyncConnection, code: str) -> tuple[Row[Any], ...]:
    """Every edition of NHI drug ``code``, newest first (empty: never listed)."""
    return await _editions(conn, _tables(conn).drugs, _DRUG_EDITIONS, code)


async def fee_row(conn: AsyncConnection, code: str, on: date) -> Row[Any] | None:
    """The fee schedule row of ``code`` in force on ``on``."""
    return _in_force(await _editions(conn, _tables(conn).fees, _FEE_EDITIONS, code), on)
