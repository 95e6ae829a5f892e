"""Drug bag, registration slip and receipt builders."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from clinicbox_core.nhi.errors import UnknownCode
from clinicbox_core.printdoc import Cut, PrintDocument, TextLine
from clinicbox_core.printdoc.documents import (
    COLUMNS,
    ClinicInfo,
    DrugBagData,
    DrugItem,
    NhiPoints,
    ReceiptData,
    RegistrationSlipData,
    SelfPayItem,
    drug_bag,
    mask_id,
    receipt,
    registration_slip,
)
from clinicbox_core.printdoc.wrap import cell_width

CLINIC = ClinicInfo(
    name="康健家庭醫學科診所",
    address="臺北市中正區重慶南路一段122號1樓",
    phone="02-2311-0000",
    institution_code="3501200000",
)
PARACETAMOL = DrugItem(
    name="Acetaminophen 500mg (普拿疼)",
    strength="500 mg",
    dose=Decimal(1),
    dose_unit="錠",
    frequency="TIDPC",
    route="PO",
    days=3,
    quantity=Decimal(9),
    quantity_unit="錠",
    indication="退燒、止痛",
    warnings="每日不可超過4000毫克，肝病患者請先告知醫師或藥師，服藥期間請勿飲酒",
    side_effects="少數人有皮疹",
)
EYE_DROPS = DrugItem(
    name="Tobramycin 0.3% eye drops",
    strength="0.3%",
    dose=Decimal(1),
    dose_unit="滴",
    frequency="QID",
    route="OU",
    days=7,
    quantity=Decimal(1),
    quantity_unit="瓶",
    indication="細菌性結膜炎",
    warnings="開封後一個月內用完",
    side_effects="短暫刺痛",
    instructions="點藥後閉眼一分鐘",
)
BAG = DrugBagData(
    clinic=CLINIC,
    patient_name="王小明",
    patient_sex="F",
    dispensed_on=date(2025, 3, 3),
    dispenser_name="李藥師",
    items=[PARACETAMOL, EYE_DROPS],
)


def lines(doc: PrintDocument) -> list[str]:
    return doc.plain_text().splitlines()


def assert_fits(doc: PrintDocument) -> None:
    for block in doc.blocks:
        if isinstance(block, TextLine):
            limit = COLUMNS // 2 if block.double else COLUMNS
            assert cell_width(block.text) <= limit, block.text


def test_drug_bag_has_every_legally_required_item() -> None:
    doc = drug_bag(BAG)
    text = doc.plain_text()
    # 醫療法第66條 / 藥師法第19條: label and value for each required item.
    required = [
        "姓名：王小明", "性別：女",
        "藥名：Acetaminophen 500mg (普拿疼)", "劑量：500 mg", "數量：9 錠（3日份）",
        "用法：口服 每日三次飯後使用", "用量：每次 1 錠", "適應症：退燒、止痛",
        "警語：每日不可超過4000毫克", "副作用：少數人有皮疹",
        "藥名：Tobramycin 0.3% eye drops", "用法：每眼 每日四次",
        "其他指示：點藥後閉眼一分鐘",
        "調劑者：李藥師", "調劑日期：114/03/03",
        "地址：臺北市中正區重慶南路一段122號1樓", "電話：02-2311-0000",
    ]  # fmt: skip
    for item in required:
        assert item in text, item
    assert lines(doc).count("康健家庭醫學科診所") == 2  # title and 醫療機構名稱 footer
    assert_fits(doc)
    assert isinstance(doc.blocks[-1], Cut)


def test_each_drug_gets_its_own_block() -> None:
    text = lines(drug_bag(BAG))
    assert text.count("【1/2】") == 1 and text.count("【2/2】") == 1
    first, second = text.index("【1/2】"), text.index("【2/2】")
    assert any(line.startswith("藥名：Acetaminophen") for line in text[first:second])
    assert any(line.startswith("藥名：Tobramycin") for line in text[second:])


def test_long_warning_wraps_under_the_value() -> None:
    text = lines(drug_bag(BAG))
    start = next(i for i, line in enumerate(text) if line.startswith("警語："))
    assert text[start + 1].startswith("      ") and text[start + 1].strip()


def test_prn_drug_shows_no_day_count() -> None:
    prn = PARACETAMOL.model_copy(update={"frequency": "PRN", "quantity": Decimal(6)})
    text = drug_bag(BAG.model_copy(update={"items": [prn]})).plain_text()
    assert "數量：6 錠\n" in text + "\n" and "用法：口服 需要時使用" in text


def test_drug_item_rejects_unknown_codes_and_missing_warnings() -> None:
    data = PARACETAMOL.model_dump()
    with pytest.raises(UnknownCode):
        DrugItem.model_validate({**data, "frequency": "THRICE"})
    with pytest.raises(ValidationError):
        DrugItem.model_validate({**data, "warnings": ""})
    with pytest.raises(ValidationError):
        DrugBagData.model_validate({**BAG.model_dump(), "items": []})


def test_registration_slip() -> None:
    doc = registration_slip(
        RegistrationSlipData(
            clinic=CLINIC,
            visit_date=date(2025, 3, 3),
            session="evening",
            queue_no=17,
            patient_name="王小明",
            doctor_name="陳醫師",
            department_code="04",
        )
    )
    text = doc.plain_text()
    for item in ["康健家庭醫學科診所", "看診號 17", "就診日期：114/03/03", "診別：晚診",
                 "姓名：王小明", "科別：小兒科", "醫師：陳醫師"]:  # fmt: skip
        assert item in text, item
    number = next(b for b in doc.blocks if isinstance(b, TextLine) and "看診號" in b.text)
    assert number.double and number.bold
    assert_fits(doc)


def make_receipt(paid: int) -> ReceiptData:
    return ReceiptData(
        clinic=CLINIC,
        receipt_no="R1140303-0001",
        visit_date=date(2025, 3, 3),
        patient_name="王小明",
        patient_sex="M",
        id_no="A123456789",
        birth_date=date(1990, 2, 15),
        card_seq="0012",
        copay_code="D20",
        department_code="01",
        session="morning",
        doctor_name="陳醫師",
        nhi_points=NhiPoints(consultation=332, drugs=150, pharmacy_service=33),
        registration_fee=150,
        copay_basic=50,
        copay_drug=20,
        self_pay=[SelfPayItem(name="自費流感疫苗", amount=800)],
        paid=paid,
    )


def test_receipt_contents_and_totals() -> None:
    doc = receipt(make_receipt(1100))
    text = doc.plain_text()
    expected = [
        "門診醫療費用收據", "收據編號：R1140303-0001", "病患姓名：王小明", "身分證號：A123***789",
        "出生日期：079/02/15", "就診日期：114/03/03", "健保卡就醫序號：0012",
        "部分負擔代號：D20", "就醫科別：家醫科", "醫師姓名：陳醫師",
        "醫事機構代號：3501200000", "（健保申報點數非一點一元給付）",
    ]  # fmt: skip
    for item in expected:
        assert item in text, item
    rows = {line.split()[0]: " ".join(line.split()[1:]) for line in lines(doc) if "  " in line}
    assert rows["診察費"] == "332 點" and rows["藥費"] == "150 點" and rows["藥事服務費"] == "33 點"
    assert rows["小計：健保申報"] == "515 點"
    assert rows["掛號費"] == "150 元"
    assert rows["基本部分負擔"] == "50 元" and rows["藥品部分負擔"] == "20 元"
    assert rows["自費流感疫苗"] == "800 元"
    assert rows["小計：部分負擔金額"] == "70 元" and rows["其他自費金額"] == "800 元"
    assert rows["應繳金額"] == "1,020 元" and rows["實收金額"] == "1,100 元"
    assert rows["找零"] == "80 元"
    assert "檢驗費" not in text  # zero categories are not printed
    assert "A123456789" not in text
    assert_fits(doc)


def test_receipt_shows_what_is_owed_when_underpaid() -> None:
    text = receipt(make_receipt(1000)).plain_text()
    assert "尚欠金額" in text and "找零" not in text
    exact = receipt(make_receipt(1020)).plain_text()
    assert "尚欠金額" not in exact and "找零" not in exact


def test_mask_id() -> None:
    assert mask_id("A123456789") == "A123***789"
    assert mask_id("ABC") == "***"


def test_bad_department_refused() -> None:
    with pytest.raises(UnknownCode):
        ReceiptData.model_validate({**make_receipt(0).model_dump(), "department_code": "ZZ"})
