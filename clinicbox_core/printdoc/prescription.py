"""The prescription slip (門診交付處方箋) a clinic prints when dispensing is delegated (交付調劑).

Items follow the 門診交付處方箋 / MOHW 門診用藥紀錄 field list (specs/mohw-eec-outpatient-
medication-exchange.txt 表1) and the claims spec (交付調劑: 註27 "「全民健康保險門診交付處方箋」，
交給保險對象至特約藥局調劑"): 醫事機構名稱/代號/電話/地址; 病人 姓名, 性別, 出生日期, 身分證號,
病歷號碼; 就醫日期, 就醫科別, 就醫序號, 案件分類; 診斷 (ICD-10-CM); each drug: 項次, 代碼, 名稱,
用量, 用法 (頻率 + 途徑), 日數, 總量; 處方箋種類 (一般 / 慢性病連續處方箋 with 可調劑次數, this
print's 調劑序 and 每次給藥日份); 處方醫師; and the QR code carrying :class:`RxPayload`
(:mod:`clinicbox_core.prescription.qr_codec`) for the pharmacy's scanner.

One data model (:class:`RxSlipData`) drives both renderings: this thermal-printer document and
the browser print view of the cloud. Pure: no I/O.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from clinicbox_core.nhi.frequency import usage_text
from clinicbox_core.nhi.roc_date import format_roc_display
from clinicbox_core.nhi.visit_codes import lookup_case_type, lookup_department
from clinicbox_core.prescription.payload import DosePer, RxKind, RxPayload
from clinicbox_core.prescription.qr_codec import encode_rx
from clinicbox_core.printdoc.documents import (
    ClinicInfo,
    _field,
    _num,
    _sex_zh,
    _text,
    _title,
    mask_id,
)
from clinicbox_core.printdoc.model import Align, Block, Cut, PrintDocument, QrCode, Rule

__all__ = ["RX_LABELS", "RxSlipData", "RxSlipItem", "prescription_slip", "slip_usage"]

RX_LABELS: dict[str, str] = {
    "title": "門診交付處方箋",
    "chronic": "慢性病連續處方箋",
    "general": "一般處方箋",
    "fills": "可調劑次數",
    "fill_no": "本次調劑",
    "days_per_fill": "每次給藥日份",
    "visit_date": "就醫日期",
    "department": "就醫科別",
    "seq": "就醫序號",
    "case_type": "案件分類",
    "patient": "姓名",
    "sex": "性別",
    "birth": "出生日期",
    "id_no": "身分證號",
    "chart_no": "病歷號碼",
    "diagnoses": "診斷",
    "items": "處方",
    "dose": "用量",
    "usage": "用法",
    "days": "日數",
    "total": "總量",
    "prescriber": "處方醫師",
    "prescriber_id": "醫師身分證號",
    "institution_code": "醫事機構代號",
    "slip_no": "處方箋編號",
    "per_day": "每日",
    "per_use": "每次",
    "scan": "請藥局掃描條碼調劑",
}


class RxSlipItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    name: str = Field(min_length=1, max_length=120)
    dose: Decimal = Field(gt=0)
    per: DosePer = DosePer.USE
    unit: str = Field(min_length=1, max_length=8)
    frequency: str
    route: str
    days: int = Field(ge=1, le=90)
    total: Decimal = Field(gt=0)


class RxSlipData(BaseModel):
    """Everything printed on a slip; ``payload`` is what the QR code carries."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    clinic: ClinicInfo
    patient_name: str = Field(min_length=1, max_length=40)
    patient_sex: Literal["M", "F"]
    chart_no: str
    department: str
    doctor_name: str = Field(min_length=1, max_length=40)
    diagnoses: tuple[tuple[str, str], ...]  # (code, name)
    items: tuple[RxSlipItem, ...] = Field(min_length=1)
    payload: RxPayload

    @property
    def qr_text(self) -> str:
        return encode_rx(self.payload)


def slip_usage(item: RxSlipItem) -> str:
    """用量 text: 每次 1 粒 / 每日 4.5 g."""
    per = RX_LABELS["per_day"] if item.per is DosePer.DAY else RX_LABELS["per_use"]
    return f"{per} {_num(item.dose)} {item.unit}"


def prescription_slip(data: RxSlipData) -> PrintDocument:
    """The thermal-printer slip with its QR code."""
    L = RX_LABELS
    rx = data.payload
    chronic = rx.kind is RxKind.CHRONIC
    blocks: list[Block] = [
        *_title(data.clinic.name),
        *_text(L["title"], bold=True, align=Align.CENTER),
        *_text(L["chronic"] if chronic else L["general"], bold=True, align=Align.CENTER),
        *_field(L["institution_code"], data.clinic.institution_code),
        *_field(L["slip_no"], rx.slip_no),
        Rule(),
        *_field(L["patient"], data.patient_name, bold=True),
        *_field(L["sex"], _sex_zh(data.patient_sex)),
        *_field(L["birth"], format_roc_display(rx.patient_birth)),
        *_field(L["id_no"], mask_id(rx.patient_id)),
        *_field(L["chart_no"], data.chart_no),
        *_field(L["visit_date"], format_roc_display(rx.visit_date)),
        *_field(L["department"], f"{data.department} {lookup_department(data.department).zh}"),
        *_field(L["seq"], rx.nhi_seq),
        *_field(L["case_type"], f"{rx.case_type} {lookup_case_type(rx.case_type).zh}"),
    ]
    if chronic:
        blocks.extend(_field(L["fills"], f"{rx.fills_total} 次"))
        blocks.extend(_field(L["fill_no"], f"第 {rx.fill_no} 次"))
        blocks.extend(_field(L["days_per_fill"], f"{rx.days_per_fill} 日"))
    blocks.append(Rule())
    blocks.extend(_text(L["diagnoses"], bold=True))
    for code, name in data.diagnoses:
        blocks.extend(_text(f"{code} {name}"))
    blocks.append(Rule())
    blocks.extend(_text(L["items"], bold=True))
    for i, item in enumerate(data.items, start=1):
        blocks.extend(_text(f"{i}. {item.name}", bold=True))
        blocks.extend(_field(f"  {item.code} {L['dose']}", slip_usage(item)))
        blocks.extend(_field(f"  {L['usage']}", usage_text(item.frequency, item.route)))
        blocks.extend(
            _field(f"  {L['days']}", f"{item.days} 日  {L['total']} {_num(item.total)} {item.unit}")
        )
    blocks.append(Rule())
    blocks.extend(_field(L["prescriber"], data.doctor_name, bold=True))
    blocks.extend(_field(L["prescriber_id"], mask_id(rx.doctor_id)))
    blocks.append(QrCode(data=encode_rx(rx)))
    blocks.extend(_text(L["scan"], align=Align.CENTER))
    blocks.extend(_field("電話", data.clinic.phone))
    blocks.extend(_field("地址", data.clinic.address))
    blocks.append(Cut())
    title = f"{L['title']} {data.patient_name} {format_roc_display(rx.visit_date)}"
    return PrintDocument(title=title, blocks=blocks)
