"""A deterministic demo clinic-month (西醫基層診所 and 特約藥局) for tests, bench and demos.

Every case is made the way the cloud makes one from a visit: 案件分類 by
:func:`~clinicbox_core.nhi.visit_codes.western_case_type`, 診察費 by
:func:`~clinicbox_core.nhi.consult_fee.consultation_fee_code` with the doctor's ordinal of the
day, 藥事服務費 by :func:`~clinicbox_core.nhi.consult_fee.pharmacy_service_fee_code`, copay by
:class:`~clinicbox_core.nhi.copay.CopayInput` (applied in build). Point values are the 106.05.01
fee schedule rows in data/nhi-fee (demo prices only; the cloud reads the table in force). Drug
codes and prices are illustrative. Pure: a seeded ``random.Random``, no clock.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from clinicbox_core.nhi.claims.build import BuildCase, BuildPharmacyCase, ClaimsHeader
from clinicbox_core.nhi.claims.model import Case, OrderLine
from clinicbox_core.nhi.claims.model_pharmacy import PharmacyCase, PharmacyOrderLine
from clinicbox_core.nhi.consult_fee import (
    RefillSlip,
    consultation_fee_code,
    pharmacy_service_fee_code,
)
from clinicbox_core.nhi.copay import CopayInput, InstitutionLevel, VisitKind
from clinicbox_core.nhi.id_number import LETTER_VALUES, check_digit
from clinicbox_core.nhi.roc_date import format_roc_date

__all__ = ["DEMO_POINTS", "demo_clinic_month", "demo_id", "demo_pharmacy_month"]

DEMO_POINTS: dict[str, int] = {
    "00109C": 352, "00110C": 352, "00223C": 250, "00224C": 250, "00111C": 220, "00112C": 220,
    "00113C": 160, "00114C": 160, "00115C": 70, "00116C": 70, "00117C": 50, "00118C": 50,
    "00139C": 355, "00140C": 330, "00141C": 275, "00142C": 250, "00143C": 215, "00144C": 190,
    "00145C": 125, "00146C": 100, "00147C": 105, "00148C": 80, "00158C": 555, "00159C": 530,
    "05202B": 48, "05223B": 48, "05206B": 59, "05210B": 69,
    "05203C": 33, "05224C": 33, "05207C": 35, "05211C": 45, "05234D": 18,
}  # fmt: skip
_DRUGS = (
    ("A000015421", Decimal("2.05"), "TID"),
    ("AC43718100", Decimal("1.50"), "TID"),
    ("AB47012100", Decimal("3.80"), "BID"),
    ("BC23453100", Decimal("0.98"), "QD"),
    ("AC38473100", Decimal("12.30"), "HS"),
)
_ICD = ("J069", "J029", "I10", "E119", "K219", "M545", "J209", "R51")
_NAMES = ("王小明", "陳美玲", "林志偉", "張淑芬", "李建宏", "黃雅婷", "吳家豪", "劉怡君")
_CLINIC, _PHARMACY = "3501200000", "5901200000"


def demo_id(rng: random.Random) -> str:
    """A random national ID number with a correct check digit."""
    head = rng.choice(sorted(LETTER_VALUES)) + rng.choice("12") + f"{rng.randrange(10**7):07d}"
    return head + check_digit(head)


def _drugs(rng: random.Random, days: int, delegated: bool) -> list[OrderLine]:
    orders = []
    for code, price, freq in rng.sample(_DRUGS, rng.randint(1, 3)):
        per_day = {"TID": 3, "BID": 2, "QD": 1, "HS": 1}[freq]
        orders.append(
            OrderLine(
                p1=days, p2="1" if delegated else "0", p3="4" if delegated else "1", p4=code,
                p5=Decimal(1), p7=freq, p9="PO", p10=Decimal(per_day * days),
                p11=Decimal(0) if delegated else price,
            )
        )  # fmt: skip
    return orders


def _fee(code: str, ratio: Decimal = Decimal("100.00")) -> OrderLine:
    category = "0" if code.startswith("00") else "9"
    return OrderLine(p3=category, p4=code, p8=ratio, p10=Decimal(1), p11=Decimal(DEMO_POINTS[code]))


def demo_clinic_month(
    n_visits: int, *, seed: int = 1, month: date = date(2024, 3, 1)
) -> tuple[ClaimsHeader, list[BuildCase]]:
    """``n_visits`` 門診 cases over the month's weekdays, two doctors, one pharmacist."""
    rng = random.Random(seed)
    doctors, pharmacist = (demo_id(rng), demo_id(rng)), demo_id(rng)
    days = [month + timedelta(d) for d in range(31) if (month + timedelta(d)).month == month.month]
    days = [d for d in days if d.weekday() < 6]
    ordinal: dict[tuple[str, date], int] = {}
    dispensed: dict[date, int] = {}
    cases: list[BuildCase] = []
    for i in range(n_visits):
        day, doctor = days[i * len(days) // n_visits], doctors[i % 2]
        age = rng.choice((1, 2, 8, 35, 52, 67, 80))
        birth = day.replace(year=day.year - age, day=min(day.day, 28))
        roll = rng.random()
        refill = roll < 0.08
        slip = not refill and roll < 0.2
        delegated = not refill and rng.random() < 0.3
        drug_days = 28 if (refill or slip) else rng.choice((3, 3, 5, 7))
        orders = _drugs(rng, drug_days, delegated)
        d1 = "08" if refill else "04" if slip else "09"
        if not refill:
            n = ordinal[(doctor, day)] = ordinal.get((doctor, day), 0) + 1
            fee = consultation_fee_code(
                day, n, "delegated" if delegated else "self", age,
                refill_slip=RefillSlip.SLIP if slip else RefillSlip.NONE,
            )  # fmt: skip
            orders.insert(0, _fee(fee.code, fee.ratio_p8))
        if not delegated:
            k = dispensed[day] = dispensed.get(day, 0) + 1
            kind: Literal["general", "chronic"] = "chronic" if (refill or slip) else "general"
            code = pharmacy_service_fee_code(day, "clinic_pharmacist", kind, drug_days, k)
            if code is not None and code in DEMO_POINTS:
                orders.append(_fee(code))
        exemption = rng.choice((None,) * 12 + ("001", "003"))
        if age < 3 and exemption is None:
            exemption = "902"
        visit_day = day - timedelta(days=28) if refill else day
        case = Case(
            d1=d1, d8="01", d9=format_roc_date(visit_day),
            d10=format_roc_date(day) if refill else None,
            d11=format_roc_date(birth), d3=demo_id(rng), d16="2" if refill else None,
            d17=_CLINIC if refill else "N", d18="N", d19=rng.choice(_ICD), d27=drug_days,
            d28=None if refill else "1" if delegated else "0",
            d29="IC02" if refill else f"{i % 9000 + 1:04d}",
            d30=doctor, d31=None if delegated else pharmacist,
            d44=84 if slip else None, d49=rng.choice(_NAMES), orders=tuple(orders),
        )  # fmt: skip
        copay = CopayInput(
            on=visit_day,
            institution_level=InstitutionLevel.WESTERN_PRIMARY,
            visit_kind=VisitKind.CHRONIC_REFILL if refill else VisitKind.GENERAL,
            exemption_code=None if refill else exemption,
        )
        cases.append(BuildCase(case=case, copay=copay))
    last = max(days)
    header = ClaimsHeader(
        institution=_CLINIC, fee_month=month, report_date=last + timedelta(days=5),
        period_from=month, period_to=last,
    )  # fmt: skip
    return header, cases


def demo_pharmacy_month(
    n_cases: int, *, seed: int = 2, month: date = date(2024, 3, 1)
) -> tuple[ClaimsHeader, list[BuildPharmacyCase]]:
    """``n_cases`` 藥局 dispensings: general prescriptions and 2nd/3rd chronic refills."""
    rng = random.Random(seed)
    pharmacist = demo_id(rng)
    per_day: dict[date, int] = {}
    cases: list[BuildPharmacyCase] = []
    for i in range(n_cases):
        day = month + timedelta(days=i * 28 // max(n_cases, 1))
        refill = rng.random() < 0.3
        drug_days = 28 if refill else rng.choice((3, 5, 7))
        k = per_day[day] = per_day.get(day, 0) + 1
        fee = pharmacy_service_fee_code(
            day, "pharmacy", "chronic" if refill else "general", drug_days, k
        )
        orders = []
        for code, price, freq in rng.sample(_DRUGS, rng.randint(1, 3)):
            n = {"TID": 3, "BID": 2, "QD": 1, "HS": 1}[freq] * drug_days
            orders.append(
                PharmacyOrderLine(
                    p1="1",
                    p2=code,
                    p3=Decimal(1),
                    p4=freq,
                    p5="PO",
                    p7=Decimal(n),
                    p8=price,
                    p11=drug_days,
                )
            )
        if fee is not None and fee in DEMO_POINTS:
            orders.append(
                PharmacyOrderLine(
                    p1="9", p2=fee, p6="100", p7=Decimal(1), p8=Decimal(DEMO_POINTS[fee])
                )
            )
        nth = rng.choice((2, 3)) if refill else None
        birth = day.replace(year=day.year - rng.randint(20, 85), day=min(day.day, 28))
        case = PharmacyCase(
            d1="2" if refill else "1", d3=demo_id(rng), d5=None if refill else "4",
            d6=format_roc_date(birth), d7=f"IC0{nth}" if nth else f"{i % 9000 + 1:04d}",
            d8=rng.choice(_ICD), d13="01",
            d14=format_roc_date(day - timedelta(days=56 if refill else 0)),
            d20=rng.choice(_NAMES), d21=_CLINIC, d22="04" if refill else "09",
            d23=format_roc_date(day),
            d24=_CLINIC, d25=pharmacist, d30=drug_days, d35=str(nth) if nth else None,
            d36="3" if refill else None, d43="0012" if nth else None, orders=tuple(orders),
        )  # fmt: skip
        copay = CopayInput(
            on=day,
            institution_level=InstitutionLevel.PHARMACY,
            visit_kind=VisitKind.CHRONIC_REFILL if refill else VisitKind.GENERAL,
        )
        cases.append(BuildPharmacyCase(case=case, copay=copay))
    last = month + timedelta(days=27)
    header = ClaimsHeader(
        institution=_PHARMACY, fee_month=month, report_date=last + timedelta(days=5),
        method="2", period_from=month, period_to=last,
    )  # fmt: skip
    return header, cases
