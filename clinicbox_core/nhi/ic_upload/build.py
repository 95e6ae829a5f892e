"""Build IC upload records from a visit-shaped input (no database types, no clock).

Which record: a 就醫序號 that is an 異常就醫代碼 (註9-1 / spec 1041116 A18 table) makes the record
異常 (資料格式 2 / ``B``); ``correction=True`` makes it the matching 補正 kind (3 / 4). Fields the
spec marks "~" for 異常 records (1.0: A16 SAM, A11 卡號, A22 安全簽章, A79 處方簽章; 2.0 by analogy:
M01, M02, M14, D11) are left out of 異常 records even when the visit carries them.

Order classes in :class:`IcVisitOrder` use the 2.0 D02 meaning (1 藥品, 2 診療/支付標準, 3 特材, G
虛擬醫令); 1.0 writes them as A72 1 / 3 / 4 / G (1.0 項次 37: 藥品主檔 1, 支付標準 3, 特材 4,
虛擬醫令 G) and derives A78 交付處方註記 from the visit's 調劑方式 (項次 43: 01 自行調劑, 02
交付調劑, 03 自行執行). ICD-10 codes go out uncompressed, without the dot (A25 / M35 X(9),
"版本同申報格式"); the 5-character card compression (:mod:`.icd_compress`) is for writing the card,
not the upload.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from clinicbox_core.nhi.ic_upload.codes import is_abnormal_seq
from clinicbox_core.nhi.ic_upload.deadline import to_taipei
from clinicbox_core.nhi.ic_upload.fields import Version
from clinicbox_core.nhi.ic_upload.model import (
    PROFILES,
    IcOrder,
    IcRecord,
    RecordKind,
    UploadFile,
    header_code,
)
from clinicbox_core.nhi.roc_date import format_roc_date, format_roc_datetime

__all__ = ["IcVisit", "IcVisitOrder", "build_file", "build_record", "record_kind"]

_V1_CLASS = {"1": "1", "2": "3", "3": "4", "G": "G", "H": "H", "J": "J", "K": "K"}
_V1_DELIVERY = {"0": "01", "1": "02", "2": "01"}  # visit 調劑方式 → A78 for drug orders


@dataclass(frozen=True, slots=True)
class IcVisitOrder:
    """One order to upload (MB2)."""

    order_class: str  # 2.0 D02: 1 藥品, 2 診療, 3 特材, G 虛擬醫令
    code: str  # 藥品代號 / 支付標準代碼 / R00x
    quantity: Decimal  # 總量
    days: int | None = None  # 天數 (drugs)
    frequency: str | None = None  # 用法 / 頻率 (QD, TIDPC, …)
    route: str | None = None  # 途徑 (PO …)
    site: str | None = None  # 診療部位
    prescription_type: str | None = None  # D04 處方種類 (A 一般)
    signature: str | None = None  # 處方簽章 (from the card write)


@dataclass(frozen=True, slots=True)
class IcVisit:
    """What one visit contributes to the IC upload."""

    hospital_id: str
    id_number: str
    birth_date: date
    doctor_id: str
    visit_type: str  # 就醫類別 (01 …)
    visit_time: datetime  # 就診日期時間 (Taiwan time; naive = Taiwan local)
    seq: str | None  # 就醫序號 (0001 …) or 異常就醫代碼 (A000 …); None when the type takes none
    fee: int  # 門診醫療費用（當次）: 申請 + 部分負擔
    copay: int  # 門診部分負擔費用
    card_no: str | None = None
    sam_id: str | None = None
    signature: str | None = None  # 安全簽章 from the card write
    treatment_id: str | None = None  # 2.0 M15 就醫識別碼
    after_check: bool = False  # 補卡 (card brought later)
    actual_visit_time: datetime | None = None  # 補卡: when the visit really happened
    original_treatment_id: str | None = None  # 補卡: M52
    diagnoses: tuple[str, ...] = ()  # ICD-10-CM, main first (dot optional)
    drug_days: int = 0  # 給藥日份
    dispensing: str = "0"  # 處方調劑方式: 0 自行, 1 交付, 2 未開處方
    copay_consult: int | None = None  # M53
    copay_drug: int | None = None  # M54
    payment_category: str | None = None  # M51 給付類別
    orders: tuple[IcVisitOrder, ...] = ()


def record_kind(visit: IcVisit, *, correction: bool = False) -> RecordKind:
    kind = RecordKind.ABNORMAL if is_abnormal_seq(visit.seq) else RecordKind.NORMAL
    return kind.corrected() if correction else kind


def _qty(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):f}"


def _roc_dt(value: datetime) -> str:
    return format_roc_datetime(to_taipei(value).replace(tzinfo=None))


def _put(target: dict[str, str], fid: str | None, value: object) -> None:
    if fid is not None and value is not None and value != "":
        target[fid] = str(value)


def _mb1(visit: IcVisit, version: Version, kind: RecordKind) -> dict[str, str]:
    p = PROFILES[version]
    mb1: dict[str, str] = {}
    if not kind.abnormal:
        _put(mb1, p.sam, visit.sam_id)
        _put(mb1, p.card_no, visit.card_no)
        _put(mb1, p.signature, visit.signature)
    _put(mb1, p.id_number, visit.id_number)
    _put(mb1, p.birth_date, format_roc_date(visit.birth_date))
    _put(mb1, p.hospital, visit.hospital_id)
    _put(mb1, p.doctor, visit.doctor_id)
    _put(mb1, p.visit_type, visit.visit_type)
    _put(mb1, p.visit_time, _roc_dt(visit.visit_time))
    _put(mb1, p.after_check, "2" if visit.after_check else "1")
    _put(mb1, p.seq, visit.seq)
    _put(mb1, p.treatment_id, visit.treatment_id)
    for fid, code in zip(p.diagnoses, visit.diagnoses, strict=False):
        _put(mb1, fid, code.replace(".", "").strip().upper())
    _put(mb1, p.fee, visit.fee)
    _put(mb1, p.copay, visit.copay)
    if visit.after_check and visit.actual_visit_time is not None:
        actual = to_taipei(visit.actual_visit_time).replace(tzinfo=None)
        text = format_roc_datetime(actual) if version is Version.V2 else format_roc_date(actual)
        _put(mb1, p.actual_date, text)
    if version is Version.V2:
        _put(mb1, "M20", visit.drug_days)
        _put(mb1, "M23", visit.dispensing)
        _put(mb1, "M51", visit.payment_category)
        if visit.after_check:
            _put(mb1, "M52", visit.original_treatment_id)
        if visit.copay_consult:
            _put(mb1, "M53", visit.copay_consult)
        if visit.copay_drug:
            _put(mb1, "M54", visit.copay_drug)
    return mb1


def _order(
    visit: IcVisit, order: IcVisitOrder, n: int, version: Version, kind: RecordKind
) -> IcOrder:
    time = _roc_dt(visit.visit_time)
    f: dict[str, str] = {}
    sign = None if kind.abnormal else order.signature
    if version is Version.V1:
        cls = _V1_CLASS.get(order.order_class, order.order_class)
        usage = " ".join(x for x in (order.frequency, order.route) if x)
        delivery = _V1_DELIVERY.get(visit.dispensing, "01") if cls == "1" else "03"
        for fid, value in (
            ("A71", time), ("A72", cls), ("A73", order.code), ("A74", order.site),
            ("A75", usage), ("A76", order.days), ("A77", _qty(order.quantity)),
            ("A78", None if cls == "G" else delivery), ("A79", sign),
        ):  # fmt: skip
            _put(f, fid, value)
    else:
        dispensing = "0" if order.order_class != "1" else visit.dispensing
        for fid, value in (
            ("D01", time), ("D02", order.order_class), ("D03", f"{n:03d}"),
            ("D04", order.prescription_type),
            ("D05", None if order.order_class == "G" else dispensing),
            ("D06", order.code), ("D07", order.site), ("D08", order.frequency),
            ("D09", order.days), ("D10", _qty(order.quantity)), ("D11", sign),
            ("D14", order.route),
        ):  # fmt: skip
            _put(f, fid, value)
    return IcOrder(f)


def build_record(
    visit: IcVisit, *, version: Version = Version.V2, correction: bool = False
) -> IcRecord:
    """The upload record of ``visit`` (``correction``: the 補正 record after a rejection)."""
    kind = record_kind(visit, correction=correction)
    p = PROFILES[version]
    header = {p.data_type: "1", p.data_format: header_code(version, kind)}
    if p.upload_version is not None:
        header[p.upload_version] = version.value
    orders = tuple(_order(visit, o, n, version, kind) for n, o in enumerate(visit.orders, start=1))
    return IcRecord(version, kind, _mb1(visit, version, kind), orders, header)


def build_file(records: Iterable[IcRecord], *, version: Version = Version.V2) -> UploadFile:
    return UploadFile(version, tuple(records))
