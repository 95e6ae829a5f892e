"""Seed the demo: reference data, clinic "demo-west" (staff, box, drug master, doctor sessions,
a few online bookings), a second clinic "demo-east" so tenant isolation can be shown, and the
pharmacy "demo-pharmacy" (特約藥局) with drug stock by lot. Idempotent: a second run changes
nothing.

Institution codes, names, addresses, passwords and national IDs are made up for the demo.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clinicbox_core.nhi.id_number import check_digit
from cloud_plane.db.tables_clinic import boxes, staff, tenant_drugs, tenants
from cloud_plane.db.tables_refdata import drugs
from cloud_plane.refdata.loaders import DEFAULT_DATA_DIR, load_all
from cloud_plane.seed.doctor_demo import seed_delisted_drug
from cloud_plane.seed.formulary import FormularyItem, pick_formulary
from cloud_plane.seed.pharmacy import seed_pharmacy_stock
from cloud_plane.seed.pharmacy_hours import seed_pharmacy_hours
from cloud_plane.seed.schedule import seed_bookings, seed_schedule
from cloud_plane.services.auth import hash_password


class DemoLogin(BaseModel):
    model_config = ConfigDict(frozen=True)
    username: str
    password: str
    display_name: str
    roles: tuple[str, ...]


class DemoClinic(BaseModel):
    model_config = ConfigDict(frozen=True)
    slug: str
    nhi_code: str
    name: str
    box_id: str
    logins: tuple[DemoLogin, ...]


class DemoInfo(BaseModel):
    model_config = ConfigDict(frozen=True)
    clinics: tuple[DemoClinic, ...]
    formulary_size: int
    reference_rows: dict[str, int]
    #: an NHI drug code whose (DEMO) listing ended before today: orders are refused
    delisted_drug: str | None = None

    def clinic(self, slug: str) -> DemoClinic:
        return next(c for c in self.clinics if c.slug == slug)


@dataclass(frozen=True, slots=True)
class _Person:
    username: str
    display_name: str
    roles: tuple[str, ...]
    id_prefix: str | None  # 9 chars; the check digit is computed


def _national_id(prefix: str | None) -> str | None:
    return None if prefix is None else prefix + check_digit(prefix)


_WEST = (
    _Person("frontdesk", "林櫃台", ("front_desk",), None),
    _Person("doctor1", "王大明醫師", ("doctor",), "A12345678"),
    _Person("doctor2", "陳美玲醫師", ("doctor",), "B22345678"),
    _Person("pharmacist", "張藥師", ("pharmacist",), "C22345679"),
    _Person("admin", "李院長", ("clinic_admin", "doctor"), "D12345670"),
)
_EAST = (
    _Person("frontdesk", "黃櫃台", ("front_desk",), None),
    _Person("doctor1", "吳醫師", ("doctor",), "E12345671"),
    _Person("admin", "周管理", ("clinic_admin",), None),
)
_PHARMACY = (
    _Person("pharmacist", "許藥師", ("pharmacist",), "F22345671"),
    _Person("pharmacist2", "蔡藥師", ("pharmacist",), "F12345672"),
    _Person("admin", "鄭藥局長", ("clinic_admin", "pharmacist"), "F22345673"),
)
_TCM = (
    _Person("frontdesk", "劉櫃台", ("front_desk",), None),
    _Person("doctor1", "林中醫師", ("doctor",), "G12345678"),
    _Person("admin", "何院長", ("clinic_admin", "doctor"), "G22345678"),
)
_DENTAL = (
    _Person("frontdesk", "曾櫃台", ("front_desk",), None),
    _Person("doctor1", "謝牙醫師", ("doctor",), "H12345678"),
    _Person("admin", "馮院長", ("clinic_admin", "doctor"), "H22345678"),
)
CLINIC_TYPES = {
    "demo-pharmacy": "pharmacy",
    "demo-tcm": "tcm",
    "demo-dental": "dental",
}  # every other demo clinic is 西醫 (western)
#: Tenant settings that differ from a 西醫 clinic's: 就醫科別 60 中醫科 / 40 牙科; the TCM clinic
#: has a nurse at consultations (A01 column); the dental clinic delivers prescriptions (交付).
CLINIC_SETTINGS: dict[str, dict[str, object]] = {
    "demo-tcm": {"default_department": "60", "nurse_present": True},
    "demo-dental": {"default_department": "40", "dispensing": "deliver"},
}
CLINICS = (
    (
        "demo-west",
        "3501200000",
        "示範西區診所",
        "臺北市大安區示範路1號",
        "02-2700-0001",
        "box-demo-1",
        _WEST,
    ),
    (
        "demo-east",
        "3501200001",
        "示範東區診所",
        "臺北市信義區示範街2號",
        "02-2700-0002",
        "box-east-1",
        _EAST,
    ),
    (
        "demo-pharmacy",
        "5901200002",
        "示範健康藥局",
        "臺北市中山區示範巷3號",
        "02-2700-0003",
        "box-pharmacy-1",
        _PHARMACY,
    ),
    (
        "demo-tcm",
        "3501200003",
        "示範中醫診所",
        "臺北市松山區示範路4號",
        "02-2700-0004",
        "box-tcm-1",
        _TCM,
    ),
    (
        "demo-dental",
        "3501200004",
        "示範牙醫診所",
        "臺北市萬華區示範街5號",
        "02-2700-0005",
        "box-dental-1",
        _DENTAL,
    ),
)
PRINTER_ROLES = ["drugbag", "receipt", "slip"]


def demo_password(slug: str, username: str) -> str:
    """The printed demo password (never use these outside the demo)."""
    return f"{slug.split('-')[1]}-{username}-1234"


def _strength(item: FormularyItem) -> str:
    m = re.search(r"(\d+(?:\.\d+)?)\s*MG", item.name_en.upper())
    return f"{m.group(1)} mg" if m else "見藥名"


def _zh_name(item: FormularyItem) -> str:
    strength = _strength(item)
    return item.generic.zh if strength == "見藥名" else f"{item.generic.zh} {strength}"


def _side_effects(item: FormularyItem) -> str:
    parts = item.generic.warnings.split("；")
    return parts[1] if len(parts) > 1 else "少見；如有不適請回診"


async def _seed_formulary(
    conn: AsyncConnection, tenant_id: int, items: list[FormularyItem]
) -> None:
    existing = set(
        (
            await conn.execute(
                select(tenant_drugs.c.code).where(tenant_drugs.c.tenant_id == tenant_id)
            )
        ).scalars()
    )
    rows = [
        {
            "tenant_id": tenant_id,
            "code": it.code,
            "name_zh": _zh_name(it),
            "default_dose": it.generic.dose,
            "default_frequency": it.generic.frequency,
            "default_route": "PO",
            "unit": "粒",
            "indication": it.generic.indication,
            "strength": _strength(it),
            "warnings": it.generic.warnings.split("；")[0],
            "side_effects": _side_effects(it),
            "self_pay_price": it.generic.self_pay,
            "demo_value": True,
            "active": True,
        }
        for it in items
        if it.code not in existing
    ]
    if rows:
        await conn.execute(tenant_drugs.insert(), rows)


async def _price_formulary(conn: AsyncConnection, items: list[FormularyItem]) -> None:
    """Give the picked NHI codes a DEMO price (the public code list has no prices)."""
    stmt = (
        update(drugs)
        .where(drugs.c.code == bindparam("b_code"), drugs.c.price_points.is_(None))
        .values(
            price_points=bindparam("b_price", type_=drugs.c.price_points.type),
            name_zh=bindparam("b_name"),
            demo_value=True,
            source_note="code/name_en real (115.07 list); price and name_zh DEMO values",
        )
    )
    params = [
        {"b_code": it.code, "b_price": it.generic.price, "b_name": _zh_name(it)} for it in items
    ]
    await conn.execute(stmt, params)


async def _seed_clinic(
    conn: AsyncConnection,
    spec: tuple[str, str, str, str, str, str, tuple[_Person, ...]],
    items: list[FormularyItem],
) -> DemoClinic:
    slug, code, name, address, phone, box_id, people = spec
    now = datetime.now(UTC)
    tid = (await conn.execute(select(tenants.c.id).where(tenants.c.slug == slug))).scalar()
    if tid is None:
        tid = (
            await conn.execute(
                tenants.insert()
                .values(
                    slug=slug,
                    nhi_code=code,
                    name=name,
                    clinic_type=CLINIC_TYPES.get(slug, "western"),
                    address=address,
                    phone=phone,
                    created_at=now,
                    **{
                        "registration_fee": 150,
                        "default_department": "01",
                        "default_doctor_username": "doctor1",
                        "dispensing": "self",
                        **CLINIC_SETTINGS.get(slug, {}),
                    },
                )
                .returning(tenants.c.id)
            )
        ).scalar_one()
    logins = [
        DemoLogin(
            username=p.username,
            password=demo_password(slug, p.username),
            display_name=p.display_name,
            roles=p.roles,
        )
        for p in people
    ]
    existing = set(
        (await conn.execute(select(staff.c.username).where(staff.c.tenant_id == tid))).scalars()
    )
    missing = [p for p in people if p.username not in existing]
    hashes = await asyncio.gather(  # argon2 releases the GIL: hash in parallel threads
        *(asyncio.to_thread(hash_password, demo_password(slug, p.username)) for p in missing)
    )
    for p, password_hash in zip(missing, hashes, strict=True):
        await conn.execute(
            staff.insert().values(
                tenant_id=tid,
                username=p.username,
                display_name=p.display_name,
                roles=list(p.roles),
                password_hash=password_hash,
                national_id=_national_id(p.id_prefix),
                active=True,
                created_at=now,
            )
        )
    if (await conn.execute(select(boxes.c.box_id).where(boxes.c.box_id == box_id))).first() is None:
        await conn.execute(
            boxes.insert().values(
                box_id=box_id, tenant_id=tid, printer_roles=PRINTER_ROLES, created_at=now
            )
        )
    await _seed_formulary(conn, tid, items)
    await seed_schedule(conn, tid, slug)
    if slug == "demo-west":
        await seed_bookings(conn, tid)
    return DemoClinic(slug=slug, nhi_code=code, name=name, box_id=box_id, logins=tuple(logins))


async def seed_demo(engine: AsyncEngine, data_dir: Path = DEFAULT_DATA_DIR) -> DemoInfo:
    """Load reference data and the two demo clinics into a migrated database."""
    data_dir = Path(data_dir)
    async with engine.begin() as conn:
        loaded = await load_all(conn, data_dir)
    items = await asyncio.to_thread(pick_formulary, data_dir)
    async with engine.begin() as conn:
        await _price_formulary(conn, items)
        clinics = tuple([await _seed_clinic(conn, spec, items) for spec in CLINICS])
        await seed_pharmacy_stock(conn, "demo-pharmacy", items)
        await seed_pharmacy_hours(conn, "demo-pharmacy")
        delisted = await seed_delisted_drug(conn, {it.code for it in items})
    return DemoInfo(
        clinics=clinics,
        formulary_size=len(items),
        reference_rows=loaded,
        delisted_drug=delisted,
    )
