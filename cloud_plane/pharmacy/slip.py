"""From a scanned prescription code (:mod:`clinicbox_core.prescription`, format CBRX1) to the
slip the pharmacy stores (:class:`~cloud_plane.pharmacy.models.RxInput`).

The code carries no names (a keyboard-wedge scanner can only be trusted with ASCII): the
patient's name comes from the pharmacy's own records, the NHI card read at the counter, or
what the pharmacist types; sex comes from the ID number's second digit (1 male, 2 female).
"""

from __future__ import annotations

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.prescription.payload import RxKind, RxPayload
from cloud_plane.pharmacy.models import RxInput, RxItemInput


def sex_of(national_id: str) -> str:
    digit = national_id[1:2]
    if digit not in ("1", "2"):  # resident certificates carry a letter: the card must say
        raise ValidationFailed("error.rx.sex_unknown", field="name")
    return "M" if digit == "1" else "F"


def rx_input(payload: RxPayload, name: str) -> RxInput:
    """The slip of ``payload`` for a patient called ``name``."""
    return RxInput(
        national_id=payload.patient_id,
        name=name,
        birth_date=payload.patient_birth,
        sex="M" if sex_of(payload.patient_id) == "M" else "F",
        origin_nhi_code=payload.institution_code,
        origin_case_type=payload.case_type,
        origin_seq=payload.nhi_seq,
        prescribed_on=payload.visit_date,
        doctor_id_no=payload.doctor_id,
        diagnoses=payload.diagnoses,
        chronic=payload.kind is RxKind.CHRONIC,
        fills_allowed=payload.fills_total,
        items=tuple(
            RxItemInput(
                code=item.code,
                dose=item.dose,
                frequency=item.frequency,
                route=item.route,
                days=item.days,
                total_quantity=item.total,
            )
            for item in payload.items
        ),
    )
