"""What the 看診 page shows beyond the visit itself: the patient's history, allergy conflicts,
the doctor's 組套, and what a 中醫 or 牙醫 visit adds (treatments, the tooth chart); whether a
prescription slip can be printed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.nhi.dental import PERMANENT_TEETH, PRIMARY_TEETH, REGION_CODES
from clinicbox_core.nhi.tcm import TCM_TREATMENT_PAIRS
from cloud_plane.services import refcache
from cloud_plane.services.actor import Actor, Role
from cloud_plane.services.history import allergy_conflicts, patient_history
from cloud_plane.services.models import VisitDetail
from cloud_plane.services.order_sets import list_order_sets
from cloud_plane.services.visit_context import load_context

__all__ = ["TCM_TREATMENTS", "doctor_context"]

#: 針灸 / 傷科 choices offered on a TCM visit (the with-herbs code; finishing picks the
#: without-herbs code when no herbs were prescribed).
TCM_TREATMENTS = (
    ("B41", "針灸"),
    ("B43", "電針"),
    ("B45", "複雜性針灸"),
    ("B53", "傷科（推拿）"),
    ("B55", "複雜性傷科"),
    ("B80", "針灸合併傷科"),
)
assert {c for c, _ in TCM_TREATMENTS} <= {p[0] for p in TCM_TREATMENT_PAIRS}


def _teeth_rows() -> list[list[str]]:
    """The chart as the dentist faces the patient: upper right 18→11 | upper left 21→28, then
    lower right 48→41 | lower left 31→38; primary teeth likewise."""
    perm = PERMANENT_TEETH
    prim = PRIMARY_TEETH
    return [
        [*reversed(perm[0:8]), *perm[8:16]],
        [*reversed(prim[0:5]), *prim[5:10]],
        [*reversed(prim[15:20]), *prim[10:15]],
        [*reversed(perm[24:32]), *perm[16:24]],
    ]


async def doctor_context(
    conn: AsyncConnection, actor: Actor, detail: VisitDetail
) -> dict[str, Any]:
    """What the 看診 page shows beyond the visit itself."""
    ctx = await load_context(conn, actor, detail.visit.id)
    clinic_type = ctx.t_clinic_type
    history = []
    sets: list[tuple[int, str, int]] = []
    if actor.has(Role.DOCTOR, Role.PHARMACIST, Role.CLINIC_ADMIN):
        history = await patient_history(
            conn, actor, detail.patient.id, except_visit=detail.visit.id
        )
    if actor.has(Role.DOCTOR):
        sets = await list_order_sets(conn, actor)
    names: dict[str, str] = {}
    for o in detail.orders:
        if o.kind == "drug":
            editions = await refcache.drug_editions(conn, o.code)
            if editions:
                names[o.code] = editions[0].name_en
    finished = detail.visit.status.value in ("to_bill", "billed", "dispensed")
    return {
        "clinic_type": clinic_type,
        "history": history,
        "order_sets": sets,
        "order_sets_options": [(str(i), f"{name}（{n}）") for i, name, n in sets],
        "conflicts": allergy_conflicts(detail.patient.allergies, detail.orders, names),
        "tcm_treatments": TCM_TREATMENTS,
        "teeth_rows": _teeth_rows(),
        "regions": list(REGION_CODES.items()),
        "rx_possible": finished
        and (ctx.t_dispensing == "deliver" or bool(detail.visit.refill_fills)),
        "delegated": ctx.t_dispensing == "deliver",
    }
