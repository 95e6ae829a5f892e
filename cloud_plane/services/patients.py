"""Patients of a clinic: create from an NHI card or by hand, look up, search."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, or_, select, update
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


async def _by_national_id(conn: AsyncConnection, actor: Actor, national_id: str) -> Row[Any] | None:
    stmt = select(patients).where(
        patients.c.tenant_id == actor.tenant_id, patients.c.national_id == national_id
    )
    return (await conn.execute(stmt)).first()


async def _insert(conn: AsyncConnection, actor: Actor, **values: Any) -> int:
    now = utc_now()
    chart_no = f"{await next_value(conn, actor.tenant_id, 'chart_no'):06d}"
    stmt = (
        patients.insert()
        .values(
            tenant_id=actor.tenant_id, chart_no=chart_no, created_at=now, updated_at=now, **values
        )
        .returning(patients.c.id)
    )
    async with conn.begin_nested():
        new_id = int((await conn.execute(stmt)).scalar_one())
    return new_id


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
        try:
            new_id = await _insert(conn, actor, national_id=national_id, **card_values)
        except IntegrityError:
            row = await _by_national_id(conn, actor, national_id)  # a concurrent insert won
            if row is None:
                raise
        else:
            await audit.record(
                conn, actor, "create", "patient", new_id, patient_id=new_id, source="card"
            )
            return mappers.patient(
                await get_row(conn, actor, patients, new_id, key="error.patient.not_found")
            )
    changed = {k: v for k, v in card_values.items() if getattr(row, k) != v}
    if changed:
        await conn.execute(
            update(patients).where(patients.c.id == row.id).values(updated_at=utc_now(), **changed)
        )
        await audit.record(
            conn, actor, "update", "patient", row.id, patient_id=row.id, fields=sorted(changed)
        )
        row = await get_row(conn, actor, patients, row.id, key="error.patient.not_found")
    else:
        await audit.record(conn, actor, "read", "patient", row.id, patient_id=row.id, via="card")
    return mappers.patient(row)


async def create_patient(conn: AsyncConnection, actor: Actor, data: PatientInput) -> Patient:
    """A new patient typed in at the front desk; the national ID is checked when given."""
    require_role(actor, Role.FRONT_DESK, Role.DOCTOR, Role.CLINIC_ADMIN)
    national_id = data.national_id.strip().upper() if data.national_id else None
    if national_id:
        validate_national_id(national_id, field="national_id")
        if await _by_national_id(conn, actor, national_id) is not None:
            raise Conflict("error.patient.duplicate_national_id", field="national_id")
    try:
        new_id = await _insert(
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
    await audit.record(conn, actor, "create", "patient", new_id, patient_id=new_id, source="manual")
    return mappers.patient(
        await get_row(conn, actor, patients, new_id, key="error.patient.not_found")
    )


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
    for r in rows:
        await audit.record(conn, actor, "read", "patient", r.id, patient_id=r.id, via="search")
    return [mappers.patient(r) for r in rows]
