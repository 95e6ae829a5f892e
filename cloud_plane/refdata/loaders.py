"""Bulk loaders for the global reference tables from shared/data (idempotent).

Each loader replaces the whole table's content from its CSV in one transaction when the stored
row count differs from the file, so re-running is a cheap no-op. Rows are inserted in batches
with ``executemany`` (96,802 ICD-10 rows load in a few seconds on both databases).
"""

from __future__ import annotations

import asyncio
import csv
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Table, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.nhi.drug_prices import DrugPriceRow, is_price_list_header, parse_price_list
from cloud_plane.db.tables_refdata import atc_codes, drugs, fee_codes, herbs, icd10

REPO_ROOT = Path(__file__).resolve().parents[2]
# Overridable with CLINICBOX_DATA_DIR; every loader also takes the directory as an argument.
DEFAULT_DATA_DIR = Path(
    os.environ.get("CLINICBOX_DATA_DIR") or REPO_ROOT.parent / "shared" / "data"
)

ICD10_FILE = Path("icd10/icd-10-cm-2023-tw.csv")
DRUG_FILE = Path("drugs/nhi-drug-codes-1150701.csv")
FEE_FILE = Path("nhi-fee/nhi-fee-schedule-1060501.csv")
HERB_FILE = Path("drugs/nhi-chinese-herbal-drug-codes-1130601.csv")
ATC_FILE = Path("atc/atc-tfda-tw-1111024.csv")
PRICE_SOURCE_NOTE = "NHI drug price list (健保用藥品項, 20 columns)"

# 健保用藥品項 115年7月查詢檔: the list's own date; the source has no per-code dates or prices.
DRUG_LIST_DATE = date(2026, 7, 1)
DRUG_SOURCE_NOTE = "NHI drug code list 115.07.01 (TWNHIFHIR/empd): code and English name"
FEE_SCHEDULE = "106.05.01"
OPEN_END = "29101231"
BATCH = 5000


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def _ymd(text: str) -> date | None:
    text = text.strip()
    if not text or text == OPEN_END:
        return None
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


async def _copy_postgres(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    """COPY FROM STDIN on the connection's own transaction (10x faster than INSERTs), with
    whichever driver the engine uses (asyncpg or psycopg)."""
    columns = [c.name for c in table.columns]
    processors = [table.c[c].type.bind_processor(conn.dialect) for c in columns]

    def values(row: dict[str, Any]) -> list[Any]:
        return [
            p(row[c]) if p is not None else row[c] for c, p in zip(columns, processors, strict=True)
        ]

    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    assert driver is not None
    if conn.dialect.driver == "asyncpg":
        await driver.copy_records_to_table(
            table.name, records=[values(r) for r in rows], columns=columns
        )
        return
    sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    async with driver.cursor() as cur, cur.copy(sql) as copy:
        for row in rows:
            await copy.write_row(values(row))


async def _replace(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> int:
    count = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
    if count == len(rows):
        return 0
    await conn.execute(delete(table))
    if conn.dialect.name == "postgresql":
        await _copy_postgres(conn, table, rows)
        return len(rows)
    for start in range(0, len(rows), BATCH):
        await conn.execute(table.insert(), rows[start : start + BATCH])
    return len(rows)


def icd10_rows(data_dir: Path) -> list[dict[str, Any]]:
    """Parse the ICD-10-CM CSV (blocking: run it in a thread)."""
    return [
        {
            "code": r["code"].strip(),
            "name_en": r["name_en"],
            "name_zh": r["name_zh"],
            "billable": r["use"].strip() == "1",
        }
        for r in _rows(data_dir / ICD10_FILE)
    ]


def price_row_values(r: DrugPriceRow) -> dict[str, Any]:
    """A 20-column price-list row as a ``drugs`` row (one per code and 有效起日)."""
    return {
        "code": r.code,
        "effective_from": r.valid_from,
        "effective_to": r.valid_to,
        "name_en": r.name_en,
        "name_zh": r.name_zh or None,
        "price_points": r.price,
        "source_note": PRICE_SOURCE_NOTE,
        "demo_value": False,
        "atc_code": r.atc_code or None,
    }


def drug_rows(data_dir: Path) -> list[dict[str, Any]]:
    """Parse the drug file: the 20-column price list (every dated row; a later line with the same
    code and 有效起日 replaces an earlier one) when its header says so, else the 2-column code
    list (code and English name; the first row of a repeated code wins)."""
    path = data_dir / DRUG_FILE
    text = path.read_text(encoding="utf-8-sig")
    if is_price_list_header(text.split("\n", 1)[0]):
        dated = {(r.code, r.valid_from): r for r in parse_price_list(text)}
        return [price_row_values(r) for r in dated.values()]
    seen: dict[str, dict[str, Any]] = {}
    for r in _rows(data_dir / DRUG_FILE):
        code = r["drug_code"].strip()
        seen.setdefault(
            code,
            {
                "code": code,
                "effective_from": DRUG_LIST_DATE,
                "effective_to": None,
                "name_en": r["name_en"].strip(),
                "name_zh": None,
                "price_points": None,
                "source_note": DRUG_SOURCE_NOTE,
                "demo_value": False,
                "atc_code": None,
            },
        )
    return list(seen.values())


def fee_rows(data_dir: Path) -> list[dict[str, Any]]:
    """Parse the fee schedule; rows without a start date are skipped."""
    seen: dict[tuple[str, date], dict[str, Any]] = {}
    for r in _rows(data_dir / FEE_FILE):
        start = _ymd(r["start_date"])
        if start is None:
            continue
        key = (r["code"].strip(), start)
        seen[key] = {
            "code": key[0],
            "effective_from": start,
            "effective_to": _ymd(r["end_date"]),
            "points": int(r["points"]),
            "name_zh": r["name_zh"].strip(),
            "name_en": r["name_en"].strip() or None,
            "schedule": FEE_SCHEDULE,
        }
    return list(seen.values())


def herb_rows(data_dir: Path) -> list[dict[str, Any]]:
    """Parse the NHI Chinese herbal code list (a repeated code keeps its first name)."""
    seen: dict[str, dict[str, Any]] = {}
    for r in _rows(data_dir / HERB_FILE):
        code = r["drug_code"].strip()
        seen.setdefault(code, {"code": code, "name_zh": r["name_zh"].strip()[:200]})
    return list(seen.values())


def atc_rows(data_dir: Path) -> list[dict[str, Any]]:
    """Parse the ATC list (TFDA codes as published in TW Core); a repeated code keeps its first."""
    seen: dict[str, dict[str, Any]] = {}
    for r in _rows(data_dir / ATC_FILE):
        code = r["atc_code"].strip()
        if code:
            seen.setdefault(
                code,
                {"code": code, "name_en": r["name_en"].strip(), "code_system": r["code_system"]},
            )
    return list(seen.values())


async def load_icd10(conn: AsyncConnection, data_dir: Path = DEFAULT_DATA_DIR) -> int:
    """ICD-10-CM 2023 TW; ``use = 1`` rows are billable. Returns rows written (0 = up to date)."""
    return await _replace(conn, icd10, await asyncio.to_thread(icd10_rows, data_dir))


async def load_drug_codes(conn: AsyncConnection, data_dir: Path = DEFAULT_DATA_DIR) -> int:
    """NHI drug codes with English names, valid from the list date, no price (source has none)."""
    return await _replace(conn, drugs, await asyncio.to_thread(drug_rows, data_dir))


async def load_fee_codes(conn: AsyncConnection, data_dir: Path = DEFAULT_DATA_DIR) -> int:
    """The 106.05.01 fee schedule with its points (2017 values, labelled by ``schedule``)."""
    return await _replace(conn, fee_codes, await asyncio.to_thread(fee_rows, data_dir))


async def load_herbs(conn: AsyncConnection, data_dir: Path = DEFAULT_DATA_DIR) -> int:
    """NHI Chinese herbal codes (中藥, 科學中藥) with their zh names."""
    return await _replace(conn, herbs, await asyncio.to_thread(herb_rows, data_dir))


async def load_atc(conn: AsyncConnection, data_dir: Path = DEFAULT_DATA_DIR) -> int:
    """ATC codes with English names (TFDA 2022-10-24 list)."""
    return await _replace(conn, atc_codes, await asyncio.to_thread(atc_rows, data_dir))


async def load_all(conn: AsyncConnection, data_dir: Path = DEFAULT_DATA_DIR) -> dict[str, int]:
    return {
        "herbs": await load_herbs(conn, data_dir),
        "atc": await load_atc(conn, data_dir),
        "icd10": await load_icd10(conn, data_dir),
        "drugs": await load_drug_codes(conn, data_dir),
        "fee_codes": await load_fee_codes(conn, data_dir),
    }
