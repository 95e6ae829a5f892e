"""Row → model conversions shared by the service modules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from cloud_plane.services.models import (
    Diagnosis,
    Order,
    Patient,
    Session,
    Staff,
    Tenant,
    Visit,
    VisitStatus,
)


class Prefixed:
    """Attribute access to the ``prefix``-ed columns of a joined row (``.name`` → ``p_name``)."""

    __slots__ = ("_m", "_p")

    def __init__(self, row: Row[Any], prefix: str) -> None:
        self._m = row._mapping
        self._p = prefix

    def __getattr__(self, name: str) -> Any:
        try:
            return self._m[self._p + name]
        except KeyError:
            raise AttributeError(name) from None


RowLike = Row[Any] | Prefixed


def tenant(r: RowLike) -> Tenant:
    return Tenant(
        id=r.id,
        slug=r.slug,
        nhi_code=r.nhi_code,
        name=r.name,
        clinic_type=r.clinic_type,
        address=r.address,
        phone=r.phone,
        registration_fee=r.registration_fee,
        default_department=r.default_department,
        dispensing=r.dispensing,
    )


def staff(r: RowLike) -> Staff:
    return Staff(
        id=r.id,
        username=r.username,
        display_name=r.display_name,
        roles=tuple(r.roles),
        national_id=r.national_id,
        active=r.active,
    )


def patient(r: RowLike) -> Patient:
    return Patient(
        id=r.id,
        chart_no=r.chart_no,
        national_id=r.national_id,
        name=r.name,
        sex=r.sex,
        birth_date=r.birth_date,
        phone=r.phone,
        address=r.address,
        nhi_card_no=r.nhi_card_no,
        allergies=r.allergies,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


def visit(r: RowLike) -> Visit:
    return Visit(
        id=r.id,
        patient_id=r.patient_id,
        visit_date=r.visit_date,
        session=Session(r.session),
        department=r.department,
        doctor_id=r.doctor_id,
        visit_no=r.visit_no,
        visit_type=r.visit_type,
        nhi_seq=r.nhi_seq,
        abnormal_code=r.abnormal_code,
        case_type=r.case_type,
        copay_code=r.copay_code,
        status=VisitStatus(r.status),
        chief_complaint=r.chief_complaint,
        source=r.source,
        box_id=r.box_id,
        registered_at=r.registered_at,
        started_at=r.started_at,
        finished_at=r.finished_at,
        refill_fills=getattr(r, "refill_fills", None),
        refill_days=getattr(r, "refill_days", None),
    )


def diagnosis(r: RowLike) -> Diagnosis:
    return Diagnosis(id=r.id, ordinal=r.ordinal, code=r.code, name=r.name)


def order(r: RowLike) -> Order:
    return Order(
        id=r.id,
        ordinal=r.ordinal,
        kind=r.kind,
        code=r.code,
        name=r.name,
        dose=r.dose,
        frequency=r.frequency,
        route=r.route,
        days=r.days,
        total_quantity=r.total_quantity,
        unit_points=r.unit_points,
        amount_points=r.amount_points,
        self_pay=r.self_pay,
        position=getattr(r, "position", None),
        dose_per=getattr(r, "dose_per", None),
    )
