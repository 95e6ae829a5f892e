"""The demo drug master: real NHI drug codes picked by generic name from the 115.07 code list.

The codes and English names are real (shared/data/drugs). Everything else here (zh names,
prices in points, indications, warnings, default usage, self-pay prices) is a DEMO value, not
from any NHI or TFDA source; rows carry ``demo_value = True``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from cloud_plane.refdata.loaders import DRUG_FILE


@dataclass(frozen=True, slots=True)
class Generic:
    key: str  # matched case-insensitively in the English product name
    zh: str
    indication: str
    warnings: str
    dose: Decimal
    frequency: str
    price: Decimal  # demo points per unit
    self_pay: int  # demo 元 per unit


_D = Decimal
GENERICS: tuple[Generic, ...] = (
    Generic(
        "acetaminophen",
        "乙醯胺酚",
        "退燒、止痛",
        "勿與含乙醯胺酚之藥併用；肝病者慎用",
        _D(1),
        "QID",
        _D("2.0"),
        2,
    ),
    Generic(
        "ibuprofen",
        "布洛芬",
        "止痛、消炎",
        "可能引起胃部不適，飯後服用",
        _D(1),
        "TID",
        _D("1.5"),
        2,
    ),
    Generic(
        "amoxicillin", "安莫西林", "細菌感染", "須按時服完；過敏者禁用", _D(1), "TID", _D("3.5"), 5
    ),
    Generic(
        "cetirizine",
        "西替利嗪",
        "過敏性鼻炎、蕁麻疹",
        "可能嗜睡，避免開車",
        _D(1),
        "QD",
        _D("2.5"),
        3,
    ),
    Generic("loratadine", "氯雷他定", "過敏性鼻炎", "偶有口乾、頭痛", _D(1), "QD", _D("2.5"), 3),
    Generic(
        "famotidine", "法莫替丁", "胃潰瘍、胃酸過多", "偶有頭痛、便秘", _D(1), "BID", _D("1.8"), 2
    ),
    Generic(
        "omeprazole", "奧美拉唑", "胃食道逆流", "飯前服用；偶有腹瀉", _D(1), "QDAC", _D("8.0"), 10
    ),
    Generic(
        "metformin",
        "二甲雙胍",
        "第二型糖尿病",
        "飯後服用；腎功能不佳者慎用",
        _D(1),
        "BID",
        _D("1.6"),
        2,
    ),
    Generic("amlodipine", "氨氯地平", "高血壓", "可能下肢水腫、頭暈", _D(1), "QD", _D("3.0"), 4),
    Generic("losartan", "氯沙坦", "高血壓", "孕婦禁用；可能頭暈", _D(1), "QD", _D("6.0"), 8),
    Generic("atorvastatin", "阿托伐他汀", "高血脂", "肌肉痠痛請回診", _D(1), "QD", _D("9.0"), 12),
    Generic("dextromethorphan", "右美沙芬", "止咳", "可能嗜睡", _D(1), "TID", _D("1.0"), 1),
    Generic(
        "chlorpheniramine", "氯苯那敏", "鼻水、過敏", "可能嗜睡、口乾", _D(1), "TID", _D("0.5"), 1
    ),
    Generic(
        "mefenamic",
        "甲芬那酸",
        "止痛（經痛、牙痛）",
        "飯後服用；胃潰瘍者禁用",
        _D(1),
        "TID",
        _D("1.2"),
        2,
    ),
    Generic(
        "diclofenac", "雙氯芬酸", "消炎止痛", "飯後服用；可能胃部不適", _D(1), "BID", _D("1.5"), 2
    ),
    Generic(
        "cephalexin", "頭孢氨苄", "細菌感染", "須按時服完；過敏者禁用", _D(1), "QID", _D("2.8"), 4
    ),
    Generic(
        "prednisolone",
        "普賴松龍",
        "消炎、過敏",
        "勿自行停藥；長期使用請遵醫囑",
        _D(1),
        "TID",
        _D("0.8"),
        1,
    ),
    Generic(
        "loperamide", "洛哌丁胺", "止瀉", "腹瀉停止即停藥；勿用於幼兒", _D(1), "PRN", _D("1.0"), 1
    ),
    Generic("ambroxol", "安布索", "化痰", "多喝水", _D(1), "TID", _D("1.0"), 1),
    Generic("bromhexine", "溴己新", "化痰", "多喝水；偶有胃部不適", _D(1), "TID", _D("0.8"), 1),
    Generic(
        "acetylcysteine", "乙醯半胱胺酸", "化痰", "可能有異味、噁心", _D(1), "TID", _D("3.0"), 4
    ),
    Generic(
        "domperidone", "多潘立酮", "噁心、嘔吐、腹脹", "飯前服用", _D(1), "TIDAC", _D("1.0"), 1
    ),
    Generic("bisacodyl", "比沙可啶", "便秘", "睡前服用；勿長期使用", _D(1), "HS", _D("1.0"), 1),
    Generic(
        "fexofenadine", "非索非那定", "過敏性鼻炎", "避免與果汁同服", _D(1), "QD", _D("7.0"), 9
    ),
)
PER_GENERIC = 10
_ORAL_SOLID = ("TAB", "CAP")


@dataclass(frozen=True, slots=True)
class FormularyItem:
    code: str
    name_en: str
    generic: Generic


def pick_formulary(data_dir: Path) -> list[FormularyItem]:
    """Up to ``PER_GENERIC`` oral tablets/capsules per generic, in file order (deterministic)."""
    counts = {g.key: 0 for g in GENERICS}
    picked: list[FormularyItem] = []
    seen: set[str] = set()
    with (data_dir / DRUG_FILE).open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            code, name = row["drug_code"].strip(), row["name_en"].strip()
            upper = name.upper()
            if code in seen or not any(k in upper for k in _ORAL_SOLID):
                continue
            for g in GENERICS:
                if counts[g.key] < PER_GENERIC and g.key.upper() in upper:
                    counts[g.key] += 1
                    seen.add(code)
                    picked.append(FormularyItem(code, name, g))
                    break
    return picked
