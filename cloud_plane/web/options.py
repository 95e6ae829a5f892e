"""Choices for the pages' selects, from the NHI code tables in :mod:`clinicbox_core.nhi`."""

from __future__ import annotations

from clinicbox_core.nhi.frequency import FREQUENCIES, ROUTES
from clinicbox_core.nhi.visit_codes import ABNORMAL_CODES, DEPARTMENTS, VISIT_TYPES
from cloud_plane.services.models import Session
from cloud_plane.web.i18n import Catalogue

Options = list[tuple[str, str]]

#: 就醫類別 a clinic's front desk picks from (the rest are inpatient or hospital codes).
CLINIC_VISIT_TYPES = ("01", "02", "03", "04", "06", "07", "AA", "AB", "AC", "AD", "AE", "AH", "AI")
#: Routes offered first on the drug order form (the rest follow).
COMMON_ROUTES = ("PO", "EXT", "TOPI", "SL", "INHL", "OD", "OS", "OU", "IM", "IV", "SC")


def visit_types() -> Options:
    return [(c, f"{c} {VISIT_TYPES[c].zh}") for c in CLINIC_VISIT_TYPES if c in VISIT_TYPES]


def departments() -> Options:
    return [(c, f"{c} {d.zh}") for c, d in DEPARTMENTS.items()]


def abnormal_codes(catalogue: Catalogue) -> Options:
    before = catalogue.t("desk.abnormal.before_seq")
    after = catalogue.t("desk.abnormal.after_seq")
    out: Options = []
    for row in ABNORMAL_CODES.values():
        if row.after_seq is None:
            out.append((row.before_seq, f"{row.before_seq} {row.zh}"))
        else:
            out.append((row.before_seq, f"{row.before_seq} {row.zh}（{before}）"))
            out.append((row.after_seq, f"{row.after_seq} {row.zh}（{after}）"))
    return out


def abnormal_causes() -> Options:
    """異常就醫 causes with when to pick them; the code follows from the rules
    (:func:`clinicbox_core.nhi.visit_codes.abnormal_code`) and whether a 序號 was obtained."""
    return [(row.cause.value, f"{row.zh}（{row.when}）") for row in ABNORMAL_CODES.values()]


def sessions(catalogue: Catalogue) -> Options:
    return [(s.value, catalogue.t(f"session.{s.value}")) for s in Session]


def frequencies() -> Options:
    return [(c, f"{c} {f.zh}") for c, f in FREQUENCIES.items()]


def routes() -> Options:
    first = [(c, f"{c} {ROUTES[c].zh}") for c in COMMON_ROUTES if c in ROUTES]
    rest = [(c, f"{c} {r.zh}") for c, r in ROUTES.items() if c not in COMMON_ROUTES]
    return first + rest


def visit_type_name(code: str) -> str:
    row = VISIT_TYPES.get(code)
    return row.zh if row else code


def department_name(code: str) -> str:
    row = DEPARTMENTS.get(code)
    return row.zh if row else code
