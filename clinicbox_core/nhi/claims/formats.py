"""The two file formats as data: element structure, code lists and 總表 grouping rules.

門診 (t1=10), spec 1040409 pp.1-3 and 註3: each count/points pair of the 總表段 sums the cases
of some 案件分類 (points = Σ d41, 申請點數 net of copay); subtotals and totals sum pairs.
Assumption (see docs/nhi-claims.md): B7 (行政協助門診戒菸) is listed both in 註3(1) 西醫專案
and, since 104.01.01, in t21 牙醫專案; we count it in t21/t22 when the case's 就醫科別 d8 is 40
(牙科) and in t9/t10 otherwise, so that no case is counted twice.

藥局 (t1=30), 交付機構 spec 1040409 p.1: t7/t8 = 案件分類 1, 3, 4, 5, D; t9/t10 = 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from clinicbox_core.nhi.claims.model import Case, OrderLine, Totals
from clinicbox_core.nhi.claims.model_pharmacy import PharmacyCase, PharmacyOrderLine, PharmacyTotals
from clinicbox_core.nhi.copay import COPAY_RULES
from clinicbox_core.nhi.visit_codes import CASE_TYPES, DEPARTMENTS

__all__ = ["OUTPATIENT", "PHARMACY", "ClaimsFormat", "TotalsGroup", "format_for"]


@dataclass(frozen=True, slots=True)
class TotalsGroup:
    """A count/points pair: either the sum over ``case_types`` or the sum of other pairs."""

    count: str
    points: str
    case_types: frozenset[str] = frozenset()
    parts: tuple[str, ...] = ()  # count field ids of the pairs this one adds up
    required: bool = False


@dataclass(frozen=True, slots=True, eq=False)  # compared and hashed by identity
class ClaimsFormat:
    """What differs between the 門診 and the 藥局 file."""

    name: str
    root: str
    t1: str
    totals: type[BaseModel]
    case: type[BaseModel]
    order: type[BaseModel]
    head_fields: frozenset[str]
    groups: tuple[TotalsGroup, ...]
    codes: dict[str, frozenset[str]] = field(default_factory=dict)
    # field ids of the roles the generic code needs
    case_type: str = "d1"
    serial: str = "d2"
    patient_id: str = "d3"
    case_date: str = "d9"
    name_field: str = "d49"
    order_seq: str = "p13"
    order_code: str = "p4"
    order_points: str = "p12"
    order_category: str = "p3"
    lower_case_ok: frozenset[str] = frozenset()


def _f(*codes: str) -> frozenset[str]:
    return frozenset(codes)


_EXEMPT = frozenset().union(*(row.params.exemption_codes for row in COPAY_RULES))
# 註10(3) code table (p.38-41) as printed; A12 is printed where A10 would follow the pattern, so
# both are accepted. D13 is the 2023 EMPD PartCode addition (copay.py).
_COPAY_LEVEL_CODES = _f(
    "A00", "A10", "A12", "A13", "A20", "A23", "A30", "A40", "B00", "B10", "B13", "B20", "B23",
    "B30", "B40", "C00", "C10", "C13", "C20", "C23", "C30", "C40", "D00", "D10", "D13", "D20",
    "E00", "E10", "E13", "F00", "F10", "F13", "G00", "G10", "H00", "H10", "N10", "N20", "Q10",
    "Q20", "R10", "R20", "S10", "S20", "L00", "L20", "K00", "Z00",
)  # fmt: skip
_PAYMENT_TYPES = _f("1", "2", "3", "4", "8", "9", "A", "B", "Z")  # d14 / pharmacy d5

_WESTERN_PROJECT = _f("02", "03", "04", "09", "B1", "B6", "B8", "B9", "BA", "C1", "D1", "D4", "E1")
SMOKING_CESSATION = "B7"  # t9 or t21, see the module docstring

OUTPATIENT = ClaimsFormat(
    name="outpatient",
    root="outpatient",
    t1="10",
    totals=Totals,
    case=Case,
    order=OrderLine,
    head_fields=_f("d1", "d2"),
    groups=(
        TotalsGroup("t7", "t8", _f("01")),
        TotalsGroup("t9", "t10", _WESTERN_PROJECT),
        TotalsGroup("t11", "t12", _f("05")),
        TotalsGroup("t13", "t14", _f("A2")),
        TotalsGroup("t15", "t16", _f("06", "C4")),
        TotalsGroup("t17", "t18", parts=("t7", "t9", "t11", "t15")),
        TotalsGroup("t19", "t20", _f("11")),
        TotalsGroup("t21", "t22", _f("12", "13", "14", "15", "16", "19")),
        TotalsGroup("t23", "t24", parts=("t19", "t21")),
        TotalsGroup("t25", "t26", _f("21")),
        TotalsGroup("t27", "t28", _f("22", "23", "24", "25", "29", "30")),
        TotalsGroup("t29", "t30", parts=("t25", "t27")),
        TotalsGroup("t31", "t32", _f("A3", "D2")),
        TotalsGroup("t33", "t34", _f("08", "28")),
        TotalsGroup("t35", "t36", _f("A1", "A5", "A6", "A7")),
        TotalsGroup(
            "t37", "t38", parts=("t13", "t17", "t23", "t29", "t31", "t33", "t35"), required=True
        ),
    ),
    codes={
        "t1": _f("10"),
        "t4": _f("1", "2", "3"),
        "t5": _f("1", "2"),
        "d1": frozenset(CASE_TYPES),
        "d8": frozenset(DEPARTMENTS),
        "d12": _f("1", "2"),
        "d13": _f("A", "B", "D", "E", "K", "L", "M"),
        "d14": _PAYMENT_TYPES,
        "d15": _COPAY_LEVEL_CODES | _EXEMPT,
        "d16": _f("1", "2", "3", "4", "5", "6", "7", "8"),
        "d18": _f("Y", "N"),
        "d28": _f("0", "1", "2", "6", "A", "B", "C", "D", "E", "F"),
        "d52": _f("01", "02"),
        "p2": _f("0", "1", "2", "3"),
        "p3": _f("0", "1", "2", "3", "4", "5", "6", "8", "9", "A", "D", "E", "F", "G"),
        "p17": _f("1", "2", "3"),
        "p18": _f("1", "2", "3", "9"),
        "p20": frozenset(DEPARTMENTS),
    },
    lower_case_ok=_f("d49", "d51"),
)

PHARMACY = ClaimsFormat(
    name="pharmacy",
    root="pharmacy",
    t1="30",
    totals=PharmacyTotals,
    case=PharmacyCase,
    order=PharmacyOrderLine,
    head_fields=frozenset(f"d{i}" for i in range(1, 26)),
    groups=(
        TotalsGroup("t7", "t8", _f("1", "3", "4", "5", "D"), required=True),
        TotalsGroup("t9", "t10", _f("2")),
        TotalsGroup("t11", "t12", parts=("t7", "t9"), required=True),
    ),
    codes={
        "t1": _f("30"),
        "t4": _f("2", "3"),
        "t5": _f("1", "2"),
        "d1": _f("1", "2", "3", "4", "5", "D"),
        "d4": _f("1", "2"),
        "d5": _PAYMENT_TYPES,
        "d13": frozenset(DEPARTMENTS),
        "d15": _EXEMPT | _f("I20", "I21", "I22", "Z00"),
        "d22": frozenset(CASE_TYPES),
        "d39": _f("1", "2", "3", "4"),
        "d40": _f("1", "2", "3", "4"),
        "d46": _f("01"),
        "p1": _f("1", "2", "3", "4", "9", "D", "E", "F"),
    },
    case_date="d23",
    name_field="d20",
    order_seq="p10",
    order_code="p2",
    order_points="p9",
    order_category="p1",
    lower_case_ok=_f("d20"),
)


def format_for(root_tag: str, t1: str | None) -> ClaimsFormat | None:
    """The format of a file from its root element (or, failing that, its t1)."""
    for fmt in (OUTPATIENT, PHARMACY):
        if root_tag == fmt.root or t1 == fmt.t1:
            return fmt
    return None


def outpatient_group(case_type: str, department: str | None) -> str | None:
    """The t-count field a 門診 case is summed into (``None``: no group takes it)."""
    if case_type == SMOKING_CESSATION:
        return "t21" if department == "40" else "t9"
    for group in OUTPATIENT.groups:
        if case_type in group.case_types:
            return group.count
    return None


def pharmacy_group(case_type: str) -> str | None:
    """The t-count field a 藥局 case is summed into."""
    for group in PHARMACY.groups:
        if case_type in group.case_types:
            return group.count
    return None
