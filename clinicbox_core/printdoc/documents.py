"""Builders for the printed documents of a visit: drug bag, registration slip, receipt.

Labels are fixed zh-TW strings in :data:`LABELS`: these are legal forms, not UI, and their
wording follows the sources rather than the UI catalogue:

* Drug bag (藥袋): 醫療法第66條 / 醫師法第14條 / 藥師法第19條 required items (reference/nhi.md
  §7): 病人姓名, 性別, 藥名, 劑量, 數量, 用法, 作用或適應症, 警語或副作用, 醫療機構名稱與地點,
  調劑者姓名, 調劑年月日; plus the MOHW 16-item guidance extras 用量, 電話, 副作用, 其他用藥指示.
  One document per visit, every drug in its own block. 用法 text comes from the NHI frequency and
  route tables (clinicbox_core.nhi.frequency). "劑量" is printed as the strength (含量, e.g.
  500 mg) and "用量" as the amount per use, as the 16-item guidance separates them.
* Receipt (醫療費用收據): 門診醫療費用收據 (參考格式), reference/specs/nhi-outpatient-receipt-
  format.txt: header fields, 健保申報項目/點數 on one side, 自付費用 (掛號費, 基本/藥品部分負擔,
  自費) on the other, 健保申報點數非一點一元給付, 應繳金額, institution name/code/address, 收據編號.
  The national ID is printed masked (first 4, last 3), a privacy choice of ours.
* Registration slip (掛號單): no legal form; clinic, date, session, 看診號, patient, doctor,
  department.

Every text line is wrapped to :data:`COLUMNS` (42) cells with
:func:`clinicbox_core.printdoc.wrap.wrap_cells`; double-size lines to half that. Pure: no I/O.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from clinicbox_core.nhi.frequency import lookup_frequency, usage_text
from clinicbox_core.nhi.roc_date import format_roc_display
from clinicbox_core.nhi.visit_codes import lookup_department
from clinicbox_core.printdoc.model import Align, Blank, Block, Cut, PrintDocument, Rule, TextLine
from clinicbox_core.printdoc.wrap import cell_width, two_columns, wrap_cells

__all__ = [
    "COLUMNS",
    "LABELS",
    "NHI_POINT_LABELS",
    "SESSION_ZH",
    "ClinicInfo",
    "DrugBagData",
    "DrugItem",
    "NhiPoints",
    "ReceiptData",
    "RegistrationSlipData",
    "SelfPayItem",
    "Session",
    "drug_bag",
    "mask_id",
    "receipt",
    "registration_slip",
]

COLUMNS = 42

LABELS: dict[str, str] = {
    "drug_bag_title": "藥袋",
    "patient_name": "姓名",
    "sex": "性別",
    "male": "男",
    "female": "女",
    "drug_name": "藥名",
    "strength": "劑量",
    "usage": "用法",
    "dose": "用量",
    "quantity": "數量",
    "days": "日份",
    "indication": "適應症",
    "warnings": "警語",
    "side_effects": "副作用",
    "instructions": "其他指示",
    "dispenser": "調劑者",
    "dispensed_on": "調劑日期",
    "address": "地址",
    "phone": "電話",
    "institution_code": "醫事機構代號",
    "chart_no": "病歷號碼",
    "slip_title": "掛號單",
    "visit_date": "就診日期",
    "session": "診別",
    "queue_no": "看診號",
    "doctor": "醫師",
    "department": "科別",
    "department_nhi": "就醫科別",
    "doctor_name": "醫師姓名",
    "receipt_patient": "病患姓名",
    "receipt_title": "門診醫療費用收據",
    "id_no": "身分證號",
    "birth_date": "出生日期",
    "identity": "就醫身分別",
    "card_seq": "健保卡就醫序號",
    "copay_code": "部分負擔代號",
    "nhi_items": "健保申報項目",
    "points": "點數",
    "self_items": "自付費用項目",
    "amount": "金額",
    "registration_fee": "掛號費",
    "copay_basic": "基本部分負擔",
    "copay_drug": "藥品部分負擔",
    "nhi_subtotal": "小計：健保申報",
    "nhi_note": "（健保申報點數非一點一元給付）",
    "copay_subtotal": "小計：部分負擔金額",
    "self_pay_subtotal": "其他自費金額",
    "total_due": "應繳金額",
    "paid": "實收金額",
    "change": "找零",
    "owing": "尚欠金額",
    "receipt_no": "收據編號",
    "cashier": "收款人",
    "yuan": "元",
    "point_unit": "點",
}

NHI_POINT_LABELS: dict[str, str] = {
    "consultation": "診察費",
    "drugs": "藥費",
    "pharmacy_service": "藥事服務費",
    "injection": "注射費",
    "lab": "檢驗費",
    "exam": "檢查費",
    "procedure": "處置手術費",
    "material": "材料費",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ClinicInfo(_Frozen):
    """醫療機構 (or 藥局) 名稱與地點, 電話, 醫事機構代號."""

    name: str = Field(min_length=1, max_length=60)
    address: str = Field(min_length=1, max_length=120)
    phone: str = Field(min_length=1, max_length=30)
    institution_code: str = Field(pattern=r"^[0-9A-Z]{10}$")


class DrugItem(_Frozen):
    """One drug on a bag. ``frequency`` and ``route`` are NHI codes (TID, PO, ...)."""

    name: str = Field(min_length=1, max_length=120)
    strength: str = Field(min_length=1, max_length=40)  # 劑量 (含量), e.g. "500 mg"
    dose: Decimal = Field(gt=0)  # 用量: amount per use
    dose_unit: str = Field(min_length=1, max_length=8)  # 錠, 顆, mL, 包
    frequency: str
    route: str
    days: int = Field(ge=1, le=365)
    quantity: Decimal = Field(gt=0)  # 數量 dispensed (see nhi.frequency.total_quantity)
    quantity_unit: str = Field(min_length=1, max_length=8)
    indication: str = Field(min_length=1, max_length=200)  # 作用或適應症
    warnings: str = Field(min_length=1, max_length=300)  # 警語
    side_effects: str = Field(min_length=1, max_length=300)  # 副作用
    instructions: str | None = Field(default=None, max_length=300)  # 其他用藥指示

    @model_validator(mode="after")
    def _codes_known(self) -> DrugItem:
        usage_text(self.frequency, self.route)  # raises UnknownCode for an unknown code
        return self


class DrugBagData(_Frozen):
    clinic: ClinicInfo
    patient_name: str = Field(min_length=1, max_length=40)
    patient_sex: Literal["M", "F"]
    dispensed_on: date
    dispenser_name: str = Field(min_length=1, max_length=40)
    chart_no: str | None = Field(default=None, max_length=20)
    items: list[DrugItem] = Field(min_length=1, max_length=40)


class Session(StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


SESSION_ZH: dict[Session, str] = {
    Session.MORNING: "早診",
    Session.AFTERNOON: "午診",
    Session.EVENING: "晚診",
}


class RegistrationSlipData(_Frozen):
    clinic: ClinicInfo
    visit_date: date
    session: Session
    queue_no: int = Field(ge=1, le=9999)
    patient_name: str = Field(min_length=1, max_length=40)
    doctor_name: str = Field(min_length=1, max_length=40)
    department_code: str  # 就醫科別 code (01 家醫科 ...)
    chart_no: str | None = Field(default=None, max_length=20)

    @model_validator(mode="after")
    def _department_known(self) -> RegistrationSlipData:
        lookup_department(self.department_code)
        return self


class NhiPoints(_Frozen):
    """健保申報點數 by receipt category (zero categories are not printed)."""

    consultation: int = Field(default=0, ge=0)
    drugs: int = Field(default=0, ge=0)
    pharmacy_service: int = Field(default=0, ge=0)
    injection: int = Field(default=0, ge=0)
    lab: int = Field(default=0, ge=0)
    exam: int = Field(default=0, ge=0)
    procedure: int = Field(default=0, ge=0)
    material: int = Field(default=0, ge=0)

    def total(self) -> int:
        return sum(getattr(self, name) for name in NHI_POINT_LABELS)


class SelfPayItem(_Frozen):
    name: str = Field(min_length=1, max_length=60)
    amount: int = Field(ge=0)


class ReceiptData(_Frozen):
    clinic: ClinicInfo
    receipt_no: str = Field(min_length=1, max_length=30)
    visit_date: date
    patient_name: str = Field(min_length=1, max_length=40)
    patient_sex: Literal["M", "F"]
    id_no: str | None = Field(default=None, max_length=10)
    birth_date: date | None = None
    identity: str = Field(default="健保", max_length=20)  # 就醫身分別
    card_seq: str | None = Field(default=None, max_length=4)  # 就醫序號 or 異常代碼
    copay_code: str | None = Field(default=None, max_length=3)  # d15
    department_code: str
    session: Session
    doctor_name: str = Field(min_length=1, max_length=40)
    chart_no: str | None = Field(default=None, max_length=20)
    nhi_points: NhiPoints = NhiPoints()
    registration_fee: int = Field(default=0, ge=0)
    copay_basic: int = Field(default=0, ge=0)
    copay_drug: int = Field(default=0, ge=0)
    self_pay: list[SelfPayItem] = Field(default_factory=list, max_length=50)
    paid: int = Field(ge=0)
    cashier: str | None = Field(default=None, max_length=40)

    @model_validator(mode="after")
    def _department_known(self) -> ReceiptData:
        lookup_department(self.department_code)
        return self

    def total_due(self) -> int:
        """掛號費 + 部分負擔 + 自費: what the patient owes."""
        return (
            self.registration_fee
            + self.copay_basic
            + self.copay_drug
            + sum(i.amount for i in self.self_pay)
        )


def _text(text: str, *, bold: bool = False, align: Align = Align.LEFT) -> list[Block]:
    return [TextLine(text=line, bold=bold, align=align) for line in wrap_cells(text, COLUMNS)]


def _title(text: str) -> list[Block]:
    lines = wrap_cells(text, COLUMNS // 2)
    return [TextLine(text=line, bold=True, double=True, align=Align.CENTER) for line in lines]


def _field(label: str, value: str, *, bold: bool = False) -> list[Block]:
    """``label：value`` with continuation lines hanging under the value."""
    head = f"{label}："
    indent = min(cell_width(head), COLUMNS - 2)
    lines = wrap_cells(head + value, COLUMNS, hanging=indent)
    return [TextLine(text=line, bold=bold) for line in lines]


def _pair(left: str, right: str) -> list[Block]:
    return [TextLine(text=line) for line in two_columns(left, right, COLUMNS)]


def _num(value: Decimal) -> str:
    """Decimal without trailing zeros: 21.0 → '21', 2.50 → '2.5'."""
    return format(value.normalize(), "f")


def _sex_zh(sex: str) -> str:
    return LABELS["male"] if sex == "M" else LABELS["female"]


def _clinic_footer(clinic: ClinicInfo) -> list[Block]:
    return [
        *_text(clinic.name, bold=True),
        *_field(LABELS["address"], clinic.address),
        *_field(LABELS["phone"], clinic.phone),
    ]


def _drug_block(index: int, count: int, item: DrugItem) -> list[Block]:
    L = LABELS
    freq = lookup_frequency(item.frequency)
    days = f"（{item.days}{L['days']}）" if freq.per_day else ""
    blocks: list[Block] = [
        *_text(f"【{index}/{count}】", bold=True),
        *_field(L["drug_name"], item.name),
        *_field(L["strength"], item.strength),
        *_field(L["usage"], usage_text(item.frequency, item.route), bold=True),
        *_field(L["dose"], f"每次 {_num(item.dose)} {item.dose_unit}"),
        *_field(L["quantity"], f"{_num(item.quantity)} {item.quantity_unit}{days}"),
        *_field(L["indication"], item.indication),
        *_field(L["warnings"], item.warnings),
        *_field(L["side_effects"], item.side_effects),
    ]
    if item.instructions:
        blocks.extend(_field(L["instructions"], item.instructions))
    return blocks


def drug_bag(data: DrugBagData) -> PrintDocument:
    """One 藥袋 listing every drug of the visit, each in its own block, with every legal item."""
    L = LABELS
    blocks: list[Block] = [
        *_title(data.clinic.name),
        *_text(L["drug_bag_title"], bold=True, align=Align.CENTER),
        Rule(),
        *_field(L["patient_name"], data.patient_name, bold=True),
        *_field(L["sex"], _sex_zh(data.patient_sex)),
    ]
    if data.chart_no:
        blocks.extend(_field(L["chart_no"], data.chart_no))
    blocks.extend(_field(L["dispensed_on"], format_roc_display(data.dispensed_on)))
    blocks.extend(_field(L["dispenser"], data.dispenser_name))
    for index, item in enumerate(data.items, start=1):
        blocks.append(Rule())
        blocks.extend(_drug_block(index, len(data.items), item))
    blocks.append(Rule())
    blocks.extend(_clinic_footer(data.clinic))
    blocks.append(Cut())
    title = f"{L['drug_bag_title']} {data.patient_name} {format_roc_display(data.dispensed_on)}"
    return PrintDocument(title=title, blocks=blocks)


def registration_slip(data: RegistrationSlipData) -> PrintDocument:
    """掛號單: the 看診號 printed large, then date, session, patient, doctor, department."""
    L = LABELS
    blocks: list[Block] = [
        *_title(data.clinic.name),
        *_text(L["slip_title"], bold=True, align=Align.CENTER),
        Rule(),
        TextLine(
            text=f"{L['queue_no']} {data.queue_no}", bold=True, double=True, align=Align.CENTER
        ),
        Blank(),
        *_field(L["visit_date"], format_roc_display(data.visit_date)),
        *_field(L["session"], SESSION_ZH[data.session]),
        *_field(L["patient_name"], data.patient_name, bold=True),
    ]
    if data.chart_no:
        blocks.extend(_field(L["chart_no"], data.chart_no))
    blocks.extend(_field(L["department"], lookup_department(data.department_code).zh))
    blocks.extend(_field(L["doctor"], data.doctor_name))
    blocks.append(Rule())
    blocks.extend(_field(L["phone"], data.clinic.phone))
    blocks.append(Cut())
    title = f"{L['slip_title']} {data.queue_no} {format_roc_display(data.visit_date)}"
    return PrintDocument(title=title, blocks=blocks)


def mask_id(id_no: str) -> str:
    """``A123456789`` → ``A123***789`` (privacy on paper that leaves the clinic)."""
    if len(id_no) <= 7:
        return "*" * len(id_no)
    return id_no[:4] + "*" * (len(id_no) - 7) + id_no[-3:]


def _money(amount: int) -> str:
    return f"{amount:,} {LABELS['yuan']}"


def receipt(data: ReceiptData) -> PrintDocument:
    """醫療費用收據 after the NHI reference format (see the module docstring)."""
    L = LABELS
    blocks: list[Block] = [
        *_title(data.clinic.name),
        *_text(L["receipt_title"], bold=True, align=Align.CENTER),
        *_pair(f"{L['receipt_no']}：{data.receipt_no}", format_roc_display(data.visit_date)),
        Rule(),
        *_field(L["receipt_patient"], data.patient_name, bold=True),
        *_field(L["sex"], _sex_zh(data.patient_sex)),
    ]
    if data.id_no:
        blocks.extend(_field(L["id_no"], mask_id(data.id_no)))
    if data.birth_date:
        blocks.extend(_field(L["birth_date"], format_roc_display(data.birth_date)))
    blocks.extend(_field(L["visit_date"], format_roc_display(data.visit_date)))
    blocks.extend(_field(L["identity"], data.identity))
    if data.card_seq:
        blocks.extend(_field(L["card_seq"], data.card_seq))
    if data.copay_code:
        blocks.extend(_field(L["copay_code"], data.copay_code))
    blocks.extend(_field(L["department_nhi"], lookup_department(data.department_code).zh))
    blocks.extend(_field(L["session"], SESSION_ZH[data.session]))
    blocks.extend(_field(L["doctor_name"], data.doctor_name))
    if data.chart_no:
        blocks.extend(_field(L["chart_no"], data.chart_no))

    blocks.append(Rule())
    blocks.extend(_pair(L["nhi_items"], L["points"]))
    for name, label in NHI_POINT_LABELS.items():
        points = int(getattr(data.nhi_points, name))
        if points:
            blocks.extend(_pair(label, f"{points:,} {L['point_unit']}"))
    blocks.extend(_pair(L["nhi_subtotal"], f"{data.nhi_points.total():,} {L['point_unit']}"))
    blocks.extend(_text(L["nhi_note"]))

    blocks.append(Rule())
    blocks.extend(_pair(L["self_items"], L["amount"]))
    blocks.extend(_pair(L["registration_fee"], _money(data.registration_fee)))
    blocks.extend(_pair(L["copay_basic"], _money(data.copay_basic)))
    blocks.extend(_pair(L["copay_drug"], _money(data.copay_drug)))
    for item in data.self_pay:
        blocks.extend(_pair(item.name, _money(item.amount)))
    self_pay_total = sum(i.amount for i in data.self_pay)
    blocks.extend(_pair(L["copay_subtotal"], _money(data.copay_basic + data.copay_drug)))
    blocks.extend(_pair(L["self_pay_subtotal"], _money(self_pay_total)))

    blocks.append(Rule())
    due = data.total_due()
    blocks.extend(
        TextLine(text=t, bold=True) for t in two_columns(L["total_due"], _money(due), COLUMNS)
    )
    blocks.extend(_pair(L["paid"], _money(data.paid)))
    if data.paid > due:
        blocks.extend(_pair(L["change"], _money(data.paid - due)))
    elif data.paid < due:
        blocks.extend(_pair(L["owing"], _money(due - data.paid)))
    if data.cashier:
        blocks.extend(_field(L["cashier"], data.cashier))

    blocks.append(Rule())
    blocks.extend(_clinic_footer(data.clinic))
    blocks.extend(_field(L["institution_code"], data.clinic.institution_code))
    blocks.append(Cut())
    return PrintDocument(title=f"{L['receipt_title']} {data.receipt_no}", blocks=blocks)
