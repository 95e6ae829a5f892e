"""Receiving a prescription slip at the pharmacy (from its QR code, the patient's NHI card plus
typing, or typed in): the patient is found or created, the slip stored once.

A slip is identified by 原處方機構 + 處方日期 + the patient + 原就醫序號 (``slip_key``), so
scanning the same slip again, for its 2nd or 3rd fill, finds the stored one instead of adding a
second copy.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.id_number import validate_national_id
from cloud_plane.db.tables_clinic import patients, tenant_drugs
from cloud_plane.db.tables_pharmacy import pharmacy_rx, pharmacy_rx_items
from cloud_plane.pharmacy.models import Rx, RxInput, RxSource
from cloud_plane.pharmacy.queries import load_rx
from cloud_plane.services import audit, refcache
from cloud_plane.services.actor import Actor, Role, require_role
from cloud_plane.services.clock import clinic_day, utc_now
from cloud_plane.services.models import PatientInput
from cloud_plane.services.patients import create_patient

PHARMACY_ROLES = (Role.PHARMACIST, Role.CLINIC_ADMIN)

_PATIENT = select(patients).where(
    patients.c.tenant_id == bindparam("tenant_id"),
    patients.c.national_id == bindparam("national_id"),
)
_SLIP = select(pharmacy_rx.c.id).where(
    pharmacy_rx.c.tenant_id == bindparam("tenant_id"),
    pharmacy_rx.c.slip_key == bindparam("slip_key"),
)
_LOCAL_DRUG = select(tenant_drugs.c.code).where(
    tenant_drugs.c.tenant_id == bindparam("tenant_id"), tenant_drugs.c.code == bindparam("code")
)


def slip_key(data: RxInput) -> str:
    return "|".join(
        (
            data.origin_nhi_code,
            data.prescribed_on.strftime("%Y%m%d"),
            data.national_id.upper(),
            data.origin_seq or "",
        )
    )


async def _check(conn: AsyncConnection, actor: Actor, data: RxInput) -> None:
    validate_national_id(data.national_id.upper(), field="national_id")
    if len(data.origin_nhi_code) != 10 or not data.origin_nhi_code.isalnum():
        raise ValidationFailed("error.rx.bad_origin", field="origin_nhi_code")
    seq = data.origin_seq or ""
    if len(seq) != 4 or not seq.isalnum():
        raise ValidationFailed("error.rx.bad_origin_seq", field="origin_seq")
    if data.prescribed_on > clinic_day(utc_now()):
        raise ValidationFailed("error.rx.prescribed_in_future", field="prescribed_on")
    if data.chronic and data.fills_allowed < 2:
        raise ValidationFailed("error.rx.chronic_needs_fills", field="fills_allowed")
    if not data.items:
        raise ValidationFailed("error.rx.no_items", field="item1_code")
    for n, item in enumerate(data.items, start=1):
        code = item.code.strip().upper()
        params = {"tenant_id": actor.tenant_id, "code": code}
        local = (await conn.execute(_LOCAL_DRUG, params)).first()
        ref = await refcache.drug_row(conn, code, data.prescribed_on)
        if local is None and ref is None:
            raise ValidationFailed("error.rx.unknown_drug", field=f"item{n}_code", code=code)


async def _patient_id(conn: AsyncConnection, actor: Actor, data: RxInput) -> int:
    national_id = data.national_id.upper()
    params = {"tenant_id": actor.tenant_id, "national_id": national_id}
    row = (await conn.execute(_PATIENT, params)).first()
    if row is not None:
        return int(row.id)
    created = await create_patient(
        conn,
        actor,
        PatientInput(
            national_id=national_id, name=data.name, sex=data.sex, birth_date=data.birth_date
        ),
        roles=PHARMACY_ROLES,
    )
    return created.id


async def receive_prescription(
    conn: AsyncConnection, actor: Actor, data: RxInput, source: RxSource
) -> Rx:
    """Store the slip (or find it when it was received before) and return it with its fills."""
    require_role(actor, *PHARMACY_ROLES)
    await _check(conn, actor, data)
    key = slip_key(data)
    found = (await conn.execute(_SLIP, {"tenant_id": actor.tenant_id, "slip_key": key})).first()
    if found is not None:
        rx = await load_rx(conn, actor, int(found.id))
        await audit.record(conn, actor, "read", "pharmacy_rx", rx.id, patient_id=rx.patient_id)
        return rx
    patient_id = await _patient_id(conn, actor, data)
    days = max(item.days for item in data.items)
    values: dict[str, Any] = {
        "tenant_id": actor.tenant_id,
        "patient_id": patient_id,
        "slip_key": key,
        "source": source,
        "origin_nhi_code": data.origin_nhi_code,
        "origin_case_type": data.origin_case_type,
        "origin_seq": data.origin_seq,
        "department": data.department,
        "prescribed_on": data.prescribed_on,
        "doctor_id_no": data.doctor_id_no,
        "diagnoses": [d.replace(".", "").upper() for d in data.diagnoses],
        "chronic": data.chronic,
        "fills_allowed": data.fills_allowed if data.chronic else 1,
        "days": days,
        "created_by": actor.staff_id,
        "created_at": utc_now(),
    }
    rx_id = int(
        (await conn.execute(pharmacy_rx.insert().returning(pharmacy_rx.c.id), values)).scalar_one()
    )
    await conn.execute(
        pharmacy_rx_items.insert(),
        [
            {
                "tenant_id": actor.tenant_id,
                "rx_id": rx_id,
                "ordinal": n,
                "code": item.code.strip().upper(),
                "dose": item.dose,
                "frequency": item.frequency,
                "route": item.route,
                "days": item.days,
                "total_quantity": item.total_quantity,
            }
            for n, item in enumerate(data.items, start=1)
        ],
    )
    await audit.record(
        conn, actor, "create", "pharmacy_rx", rx_id, patient_id=patient_id, source=source
    )
    return await load_rx(conn, actor, rx_id)


async def known_name(conn: AsyncConnection, actor: Actor, national_id: str) -> str | None:
    """The stored name of the patient with ``national_id``, when the pharmacy knows them."""
    params = {"tenant_id": actor.tenant_id, "national_id": national_id.strip().upper()}
    row = (await conn.execute(_PATIENT, params)).first()
    return None if row is None else str(row.name)
