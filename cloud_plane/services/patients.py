"""Patients of a clinic: create from an NHI card or by hand, look up, search."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import Conflict
from clinicbox_core.nhi.card import NhiCardBasic
from clinicbox_core.nhi.id_number import validate_national_id
from clinicbox_core.nhi.roc_date import parse_roc_date
from cloud_plane.db.tables_clinic import patients
from cloud_plane.services import audit, mappers
from cloud_plane.services.actor import STAFF_ROLES, Actor, Role, require_role
from cloud_plane.services.clock import utc_now
from cloud_plane.services.counters import next_value
from cloud_plane.services.models import Patient, PatientInput
from cloud_plane.services.tenancy import get_row

_PATIENT_ROLES = (*STAFF_ROLES, Role.SYSTEM)
_ID_PREFIX = re.compile(r"^[A-Za-z][0-9]{0,9}$")


_BY_NATIONAL_ID = select(patients).where(
    patients.c.tenant_id == bindparam("tenant_id"),
    patients.c.national_id == bindparam("national_id"),
)
_INSERT = patients.insert().returning(*patients.c)
# A card seen for the first time by two check-ins at once: the second insert does nothing and
# reads the first one's row (no savepoint, one round trip).
_INSERT_FROM_CARD = {
    name: dialect.insert(patients)
    .on_conflict_do_nothing(index_elements=[patients.c.tenant_id, patients.c.national_id])
    .returning(*patients.c)
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}
_UPDATE = update(patients).where(patients.c.id == bindparam("patient_id")).returning(*patients.c)


async def _by_national_id(conn: AsyncConnection, actor: Actor, national_id: str) -> Row[Any] | None:
    params = {"tenant_id": actor.tenant_id, "national_id": national_id}
    return (await conn.execute(_BY_NATIONAL_ID, params)).first()


async def _new_values(conn: AsyncConnection, actor: Actor, **values: Any) -> dict[str, Any]:
    now = utc_now()
    chart_no = f"{await next_value(conn, actor.tenant_id, 'chart_no'):06d}"
    defaults = {"phone": "", "address": "", "allergies": "", "nhi_card_no": None}
    return {
        **defaults,
        "tenant_id": actor.tenant_id,
        "chart_no": chart_no,
        "created_at": now,
        "updated_at": now,
        **values,
    }


async def _insert(conn: AsyncConnection, actor: Actor, **values: Any) -> Row[Any]:
    params = await _new_values(conn, actor, **values)
    async with conn.begin_nested():
        return (await conn.execute(_INSERT, params)).one()


async def upsert_from_card(conn: AsyncConnection, actor: Actor, card: NhiCardBasic) -> Patient:
    """The patient of this card, created on first sight, name/birth/card no. kept up to date."""
    require_role(actor, *_PATIENT_ROLES)
    national_id = card.id_no.upper()
    row = await _by_national_id(conn, actor, national_id)
    card_values = {
        "name": card.name,
        "sex": card.sex,
        "birth_date": card.birth_date,
        "nhi_card_no": card.card_no,
    }
    if row is None:
        params = await _new_values(conn, actor, national_id=national_id, **card_values)
        stmt = _INSERT_FROM_CARD[conn.dialect.name]
        new = (await conn.execute(stmt, params)).first()
        if new is not None:
            await audit.record(
                conn, actor, "create", "patient", new.id, patient_id=new.id, source="card"
            )
            return mappers.patient(new)
        row = await _by_national_id(conn, actor, national_id)  # a concurrent insert won
        if row is None:
            raise Conflict("error.patient.duplicate_national_id", field="national_id")
    changed = {k: v for k, v in card_values.items() if getattr(row, k) != v}
    if changed:
        params = {"patient_id": row.id, "updated_at": utc_now(), **changed}
        row = (await conn.execute(_UPDATE, params)).one()
        await audit.record(
            conn, actor, "update", "patient", row.id, patient_id=row.id, fields=sorted(changed)
        )
    else:
        await audit.record(conn, actor, "read", "patient", row.id, patient_id=row.id, via="card")
    return mappers.patient(row)


_CREATE_ROLES = (Role.FRONT_DESK, Role.DOCTOR, Role.CLINIC_ADMIN)


async def create_patient(
    conn: AsyncConnection,
    actor: Actor,
    data: PatientInput,
    *,
    roles: tuple[Role, ...] = _CREATE_ROLES,
) -> Patient:
    """A new patient typed in at the front desk; the national ID is checked when given.
    ``roles``: who may do it here (receiving a slip at a pharmacy passes the pharmacist)."""
    require_role(actor, *roles)
    national_id = data.national_id.strip().upper() if data.national_id else None
    if national_id:
        validate_national_id(national_id, field="national_id")
        if await _by_national_id(conn, actor, national_id) is not None:
            raise Conflict("error.patient.duplicate_national_id", field="national_id")
    try:
        row = await _insert(
            conn,
            actor,
            national_id=national_id,
            name=data.name.strip(),
            sex=data.sex,
            birth_date=data.birth_date,
            phone=re.sub(r"\D", "", data.phone),
            address=data.address.strip(),
            nhi_card_no=data.nhi_card_no,
            allergies=data.allergies.strip(),
        )
    except IntegrityError as exc:
        raise Conflict("error.patient.duplicate_national_id", field="national_id") from exc
    await audit.record(conn, actor, "create", "patient", row.id, patient_id=row.id, source="manual")
    return mappers.patient(row)


async def get_patient(conn: AsyncConnection, actor: Actor, patient_id: int) -> Patient:
    require_role(actor, *_PATIENT_ROLES)
    row = await get_row(conn, actor, patients, patient_id, key="error.patient.not_found")
    await audit.record(conn, actor, "read", "patient", patient_id, patient_id=patient_id)
    return mappers.patient(row)


def _birthday(q: str) -> date | None:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", q):
            return date.fromisoformat(q)
        if re.fullmatch(r"\d{8}", q):
            return date(int(q[:4]), int(q[4:6]), int(q[6:]))
        if re.fullmatch(r"\d{6,7}", q):
            return parse_roc_date(q)
    except ValueError:
        return None
    return None


async def search_patients(
    conn: AsyncConnection, actor: Actor, q: str, limit: int = 50
) -> list[Patient]:
    """Patients whose national ID starts with, chart no. equals, name contains, phone contains,
    or birthday (YYYY-MM-DD, YYYYMMDD, ROC YYYMMDD) equals ``q``. Each hit is audited."""
    require_role(actor, *STAFF_ROLES)
    q = q.strip()
    if not q:
        return []
    conds: list[ColumnElement[bool]] = [
        patients.c.name.contains(q, autoescape=True),
        patients.c.chart_no == q,
    ]
    if _ID_PREFIX.match(q):
        conds.append(patients.c.national_id.startswith(q.upper(), autoescape=True))
    digits = re.sub(r"\D", "", q)
    if len(digits) >= 4 and len(digits) == len(q.replace("-", "").replace(" ", "")):
        conds.append(patients.c.phone.contains(digits, autoescape=True))
    born = _birthday(q)
    if born is not None:
        conds.append(patients.c.birth_date == born)
    stmt = (
        select(patients)
        .where(patients.c.tenant_id == actor.tenant_id, or_(*conds))
        .order_by(patients.c.name, patients.c.id)
        .limit(limit)
    )
    rows = (await conn.execute(stmt)).all()
    await audit.record_reads(conn, actor, "patient", [(r.id, r.id) for r in rows], via="search")
    return [mappers.patient(r) for r in rows]
