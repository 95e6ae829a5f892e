"""Field and cross-field checks of IC upload records, reported with NHI's own check codes.

Sources: 1.0 spec 1041116 §三 (檢核流程: required per 資料格式 × 就醫類別, length, type, cross
fields), 附件一 (V / ~ / * table), 附件三 (codes); 2.0 codes from
data/nhi-card/ic-upload-2.0-check-error-codes.csv (their text states each rule, e.g. AD01 "就醫類別
(M07)為01~09，就醫序號(M13)需為0001~1500"). Checks against NHI's master files (08 醫事機構, 10 藥品,
13 醫事人員 …) and signature verification (04, 16) need NHI's data and are not done here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from clinicbox_core.nhi.ic_upload.codes import (
    COUNTED_TYPES,
    DISPENSING_V2,
    ORDER_CLASSES,
    OUTPATIENT_TYPES,
    PAYMENT_CATEGORIES,
    V1_CLASS_TO_A78,
    VISIT_TYPES,
    is_abnormal_seq,
)
from clinicbox_core.nhi.ic_upload.fields import FIELDS, Version
from clinicbox_core.nhi.ic_upload.model import IcRecord, Profile
from clinicbox_core.nhi.ic_upload.xml_io import BIG5
from clinicbox_core.nhi.roc_date import parse_roc_date

__all__ = ["Issue", "parse_roc_datetime", "validate_record"]

MAX_ORDERS = 500  # AG: 健保就醫資料 MB2 筆數上限 (2.0 check code AG)
_DIGITS = re.compile(r"^[0-9]+$")
_SIGNED = re.compile(r"^-?[0-9]+$")
_DECIMAL = re.compile(r"^-?[0-9]{1,5}(\.[0-9])?$")
_ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z]{1,5}$")
_TREATMENT_ID = re.compile(r"^[0-9A-Z]{20}$")


@dataclass(frozen=True, slots=True)
class Issue:
    code: str  # NHI check code
    field: str | None
    order: int | None = None  # 0-based MB2 index, None for MSH/MB1
    detail: str = ""


def parse_roc_datetime(text: str) -> datetime:
    """``YYYMMDDHHMMSS`` (13 digits) → naive local datetime; ValueError when not a real time."""
    if len(text) != 13 or not text.isdigit():
        raise ValueError(f"ROC date-time must be 13 digits, got {text!r}")
    day = parse_roc_date(text[:7])
    return datetime(day.year, day.month, day.day, int(text[7:9]), int(text[9:11]), int(text[11:]))


def _as_date(text: str) -> date | None:
    try:
        return parse_roc_datetime(text).date() if len(text) == 13 else parse_roc_date(text)
    except ValueError:
        return None


def _shape(version: Version, fid: str, value: str, order: int | None) -> Iterator[Issue]:
    spec = FIELDS[version].get(fid)
    if spec is None:
        return
    if spec.width is not None and len(value.encode(BIG5, errors="replace")) > spec.width:
        yield Issue("AC", fid, order, f"長度 {len(value)} > {spec.width}")
    pattern = {"9": _DIGITS, "S": _SIGNED, "D": _DECIMAL}.get(spec.kind)
    if pattern is not None and not pattern.match(value):
        yield Issue("AB", fid, order, value)


def _required(rec: IcRecord, p: Profile) -> list[str]:
    v, vtype = rec.version, rec.get(p.visit_type) or ""
    need = [p.id_number, p.birth_date, p.hospital, p.doctor, p.visit_type, p.visit_time]
    need.append(p.after_check)
    if p.treatment_id is not None:
        need.append(p.treatment_id)
    if not rec.kind.abnormal:
        need += [p.sam, p.card_no, p.signature]
    if rec.kind.abnormal or vtype in COUNTED_TYPES[v] or vtype == "AC":
        need.append(p.seq)
    if vtype in OUTPATIENT_TYPES[v] and (v is Version.V1 or rec.orders):
        need.append(p.fee)  # AH01
        if v is Version.V1:
            need.append(p.copay)
    return need


def _check_seq(rec: IcRecord, p: Profile) -> Iterator[Issue]:
    v, vtype, seq = rec.version, rec.get(p.visit_type) or "", rec.get(p.seq)
    if rec.kind.abnormal:
        if seq is not None and not is_abnormal_seq(seq):
            yield Issue("AD02", p.seq, None, seq)
        return
    if vtype in COUNTED_TYPES[v]:
        if seq is not None and not (seq.isdigit() and len(seq) == 4 and 1 <= int(seq) <= 1500):
            yield Issue("AE01" if is_abnormal_seq(seq) else "AD01", p.seq, None, seq)
    elif vtype == "AC":
        if seq is not None and not (len(seq) == 4 and seq.startswith("IC")):
            yield Issue("AD13", p.seq, None, seq)
    elif seq is not None and seq != "IC08":
        yield Issue("AE01" if is_abnormal_seq(seq) else "AD14", p.seq, None, seq)


def _check_mb1(rec: IcRecord, p: Profile) -> Iterator[Issue]:
    v = rec.version
    for fid in _required(rec, p):
        if not rec.get(fid):
            yield Issue("AA", fid)
    if rec.kind.abnormal:
        for fid in p.never_when_abnormal:
            if rec.get(fid):
                yield Issue("AF", fid)
    for fid, value in rec.mb1.items():
        yield from _shape(v, fid, value, None)
    vtype = rec.get(p.visit_type)
    if vtype and vtype not in VISIT_TYPES[v]:
        yield Issue("AE", p.visit_type, None, vtype)
    after = rec.get(p.after_check)
    if after and after not in (("1", "2") if v is Version.V1 else ("1", "2", "3", "4")):
        yield Issue("AD", p.after_check, None, after)
    yield from _check_seq(rec, p)
    birth = _as_date(rec.get(p.birth_date) or "")
    vtime_text = rec.get(p.visit_time) or ""
    vdate = _as_date(vtime_text) if len(vtime_text) == 13 else None
    for fid in (p.birth_date, p.newborn_birth, p.actual_date):
        text = rec.get(fid)
        if text and _DIGITS.match(text) and _as_date(text) is None:
            yield Issue("AD", fid, None, text)
    if vtime_text and vdate is None:
        yield Issue("AD", p.visit_time, None, vtime_text)
    if birth and vdate and vdate < birth:
        yield Issue("BG", p.visit_time, None, "就診日期小於出生日期")
    yield from _check_newborn(rec, p, vdate)
    yield from _check_fees(rec, p)
    for i, fid in enumerate(p.diagnoses):
        code = rec.get(fid)
        if code and v is Version.V2 and not _ICD10.match(code):
            yield Issue("15", fid, None, code)
        if i == 0 and not code and vtype in OUTPATIENT_TYPES[v] and rec.orders:
            yield Issue("AH05", fid)
    tid = rec.get(p.treatment_id)
    if tid and not _TREATMENT_ID.match(tid):
        yield Issue("AD", p.treatment_id, None, tid)
    if v is Version.V2:
        yield from _check_v2_mb1(rec, p)


def _check_newborn(rec: IcRecord, p: Profile, vdate: date | None) -> Iterator[Issue]:
    mark, twins, nb = rec.get(p.newborn_mark), rec.get(p.newborn_twins), rec.get(p.newborn_birth)
    if mark and (not twins or not nb):
        yield Issue("BB", p.newborn_mark)
    if twins and twins.isdigit() and not 1 <= int(twins) <= (5 if rec.version is Version.V2 else 9):
        yield Issue("BB01" if rec.version is Version.V2 else "AD", p.newborn_twins, None, twins)
    nb_date = _as_date(nb) if nb else None
    if nb_date and vdate and nb_date > vdate:
        yield Issue("BE", p.newborn_birth, None, "新生兒出生日期大於就診日期")


def _check_fees(rec: IcRecord, p: Profile) -> Iterator[Issue]:
    vtype = rec.get(p.visit_type) or ""
    if vtype in OUTPATIENT_TYPES[rec.version]:
        fee = rec.get(p.fee)
        zero_fee = fee is not None and _SIGNED.match(fee) is not None and int(fee) == 0
        if fee is not None and zero_fee and (rec.version is Version.V1 or rec.orders):
            yield Issue("AH01", p.fee, None, fee)
        inpatient = rec.get(p.inpatient_fee)
        if inpatient and _SIGNED.match(inpatient) and int(inpatient) != 0:
            yield Issue("AH03", p.inpatient_fee, None, inpatient)


def _check_v2_mb1(rec: IcRecord, p: Profile) -> Iterator[Issue]:
    vtype, m23, m20 = rec.get("M07") or "", rec.get("M23"), rec.get("M20")
    if m23 and m23 not in DISPENSING_V2:
        yield Issue("AE", "M23", None, m23)
    if m23 in ("1", "2", "C", "D") and m20 and m20.isdigit() and int(m20) != 0:
        yield Issue("D036", "M20", None, m20)
    if m20 and m20.isdigit() and int(m20) > 1 and m23 in ("2", "E", "F"):
        yield Issue("D011", "M23", None, m23)
    m51 = rec.get("M51")
    if m51 and m51 not in PAYMENT_CATEGORIES:
        yield Issue("AD42", "M51", None, m51)
    if rec.get("M13") == "G000" and rec.get("M12") not in (None, "1"):
        yield Issue("D020", "M12", None, rec.get("M12") or "")
    if vtype in ("AE", "AF", "AG", "BC") and not rec.orders:
        yield Issue("Y012", None, None, vtype)
    if vtype == "AI" and rec.orders:
        yield Issue("Y013", None, None, vtype)


def _check_orders(rec: IcRecord, p: Profile) -> Iterator[Issue]:
    v = rec.version
    if len(rec.orders) > MAX_ORDERS:
        yield Issue("AG", None, None, f"{len(rec.orders)} 筆醫令")
    vtime = rec.get(p.visit_time)
    seen_seq: set[str] = set()
    m20 = rec.get("M20")
    for i, order in enumerate(rec.orders):
        f = order.fields
        for fid, value in f.items():
            yield from _shape(v, fid, value, i)
        if rec.kind.abnormal:
            for fid in p.never_when_abnormal_order:
                if f.get(fid):
                    yield Issue("AF", fid, i)
        cls = f.get(p.order_class)
        if v is Version.V1 and cls is None and f.get("A80"):
            continue  # 過敏藥物-only MB2 (附件四 example)
        if not cls:
            yield Issue("AA", p.order_class, i)
            continue
        if cls not in ORDER_CLASSES[v]:
            yield Issue("AE", p.order_class, i, cls)
        if not f.get(p.order_code):
            yield Issue("AA", p.order_code, i)
        otime = f.get(p.order_time)
        if otime and vtime and otime != vtime:
            yield Issue("BE", p.order_time, i, "醫令時間與就診日期時間不一致")
        # 1.0 附件一: A79 V for 資料格式 1/3; 2.0 by analogy, except 虛擬醫令 (public code).
        signed = v is Version.V1 or cls not in ("G", "H", "J", "K")
        if not rec.kind.abnormal and signed and not f.get(p.order_signature):
            yield Issue("AA", p.order_signature, i)
        yield from (_order_v1(f, cls, i) if v is Version.V1 else _order_v2(f, cls, i, m20))
        seq = f.get("D03") if v is Version.V2 else None
        if seq is not None:
            if seq in seen_seq:
                yield Issue("D028", "D03", i, seq)
            seen_seq.add(seq)


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and _DIGITS.match(text) else None


def _order_v1(f: Mapping[str, str], cls: str, i: int) -> Iterator[Issue]:
    get = f.get
    if cls in ("1", "2", "A", "B"):
        if not get("A75"):
            yield Issue("AA", "A75", i)
        days = _int(get("A76"))
        if get("A76") is None:
            yield Issue("AA", "A76", i)
        elif days is not None and not 0 < days <= 92:
            yield Issue("AA01" if days == 0 else "AD", "A76", i, str(days))
    if get("A77") is None:
        yield Issue("AA", "A77", i)  # 總量: "0" for virtual orders (項次 42), never absent
    pair = V1_CLASS_TO_A78.get(cls)
    a78 = get("A78")
    if pair is not None and a78 is not None and a78 not in pair[0]:
        yield Issue(pair[1], "A78", i, a78)


def _order_v2(f: Mapping[str, str], cls: str, i: int, m20: str | None) -> Iterator[Issue]:
    get = f.get
    if cls in ("1", "M"):
        days = _int(get("D09"))
        if get("D09") is None:
            yield Issue("AA04", "D09", i)
        elif days is not None and not 0 < days <= 90:
            yield Issue("D040", "D09", i, str(days))
        qty = get("D10")
        if qty is None or (_DECIMAL.match(qty) and float(qty) <= 0):
            yield Issue("AA04", "D10", i, qty or "")
        total = _int(m20)
        if cls == "1" and days is not None and total is not None and days > total:
            yield Issue("D041", "D09", i, f"{days} > M20 {total}")


def validate_record(rec: IcRecord) -> list[Issue]:
    """Every problem of one record (MSH, MB1, MB2), in field order; empty = passes."""
    p = rec.profile
    issues: list[Issue] = []
    if rec.header.get(p.data_type, "1") != "1":
        issues.append(Issue("01", p.data_type, None, rec.header.get(p.data_type, "")))
    if p.upload_version is not None and rec.header.get(p.upload_version, "1.0") != "1.0":
        issues.append(Issue("03", p.upload_version, None, rec.header[p.upload_version]))
    issues.extend(_check_mb1(rec, p))
    issues.extend(_check_orders(rec, p))
    return issues
