"""Shared sample visits and hypothesis strategies for the IC upload tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from clinicbox_core.nhi.ic_upload.build import IcVisit, IcVisitOrder
from clinicbox_core.nhi.ic_upload.codes import ABNORMAL_SEQ

DRUG = IcVisitOrder("1", "A040011100", Decimal("9"), 3, "TIDPC", "PO", None, "A", "S" * 40)
TREAT = IcVisitOrder("2", "00110C", Decimal("1"), signature="T" * 40)


def sample_visit(**changes: object) -> IcVisit:
    base: dict[str, object] = {
        "hospital_id": "3501200000",
        "id_number": "A123456789",
        "birth_date": date(1990, 2, 15),
        "doctor_id": "A223456788",
        "visit_type": "01",
        "visit_time": datetime(2024, 5, 15, 9, 30, 0),
        "seq": "0001",
        "fee": 450,
        "copay": 50,
        "card_no": "339926420000",
        "sam_id": "SAM000000001",
        "signature": "F" * 256,
        "treatment_id": "AB12345678901234567C",
        "diagnoses": ("J06.9", "E11.9"),
        "drug_days": 3,
        "payment_category": "4",
        "orders": (DRUG, TREAT),
    }
    base.update(changes)
    return IcVisit(**base)  # type: ignore[arg-type]


_ICD = st.from_regex(r"[A-DF-UW-Z][0-9][0-9A-Z]{1,5}", fullmatch=True)
_ALNUM = st.text(alphabet="0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=1, max_size=12)


@st.composite
def orders(draw: st.DrawFn, max_days: int) -> IcVisitOrder:
    cls = draw(st.sampled_from(["1", "2", "G"]))
    qty = Decimal(draw(st.integers(1, 99999))) / 10 if cls != "G" else Decimal(0)
    days = draw(st.integers(1, max_days)) if cls == "1" else None
    return IcVisitOrder(
        cls,
        draw(_ALNUM),
        qty,
        days,
        draw(st.sampled_from(["QD", "BID", "TIDPC", "QID"])) if cls == "1" else None,
        "PO" if cls == "1" else None,
        None,
        "A" if cls == "1" else None,
        draw(st.text(alphabet="0123456789ABCDEF", min_size=40, max_size=40)),
    )


@st.composite
def visits(draw: st.DrawFn) -> IcVisit:
    birth = draw(st.dates(date(1912, 1, 1), date(2023, 12, 31)))
    start = max(datetime(2015, 1, 2), datetime(birth.year, birth.month, birth.day) + timedelta(1))
    visit_time = draw(st.datetimes(start, datetime(2030, 12, 31))).replace(microsecond=0)
    vtype = draw(st.sampled_from(["01", "02", "03", "04", "09", "AC", "AE", "AF", "CA"]))
    abnormal = draw(st.booleans())
    if abnormal:
        seq: str | None = draw(st.sampled_from(sorted(ABNORMAL_SEQ)))
    elif vtype == "AC":
        seq = "IC" + draw(st.from_regex(r"[0-9]{2}", fullmatch=True))
    elif vtype in ("AE", "AF", "CA"):
        seq = None
    else:
        seq = f"{draw(st.integers(1, 1500)):04d}"
    drug_days = draw(st.integers(1, 90))
    need_orders = vtype in ("AE", "AF")
    orders_ = tuple(draw(st.lists(orders(drug_days), min_size=int(need_orders), max_size=6)))
    return IcVisit(
        hospital_id=draw(st.from_regex(r"[0-9]{10}", fullmatch=True)),
        id_number=draw(st.from_regex(r"[A-Z][12][0-9]{8}", fullmatch=True)),
        birth_date=birth,
        doctor_id=draw(st.from_regex(r"[A-Z][12][0-9]{8}", fullmatch=True)),
        visit_type=vtype,
        visit_time=visit_time,
        seq=seq,
        fee=draw(st.integers(1, 99_999_999)),
        copay=draw(st.integers(0, 9_999)),
        card_no=draw(st.from_regex(r"[0-9]{12}", fullmatch=True)),
        sam_id=draw(st.from_regex(r"[0-9A-Z]{12}", fullmatch=True)),
        signature=draw(st.text(alphabet="0123456789ABCDEF", min_size=1, max_size=128)),
        treatment_id=draw(st.from_regex(r"[0-9A-Z]{20}", fullmatch=True)),
        diagnoses=tuple(draw(st.lists(_ICD, min_size=1, max_size=6))),
        drug_days=drug_days,
        payment_category=draw(st.sampled_from([None, "4", "3", "1"])),
        orders=orders_,
    )
