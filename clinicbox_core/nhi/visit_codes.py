"""Visit-level NHI code tables: 就醫類別, 異常就醫代碼, 就醫科別, 西醫案件分類.

Sources (1040409 editions unless noted):

* 就醫類別: data/nhi-code-tables/tktype.csv (mycis/mycis_postgres @ d2708405, 2016) and the
  csHis 3.3 API (reference/nhi.md §1).
* 異常就醫代碼: 門診醫療費用點數申報格式 註9-1 (specs/nhi-claims-outpatient-1040409.txt);
  the same table is in the IC card upload spec 1041116. The "when to use" rule is 註9-1 說明 1/2:
  use the "尚未取得就醫序號" code when the failure happened before a 序號 was obtained from the
  card, the "已取得就醫序號" code after. Codes with one column only (C000–C003, E000, E001, F000,
  G000, H000) are returned whatever ``seq_obtained`` says: the spec gives no second code. The
  CSV's IC89/IC98/IC09 are 特定 IC codes, not card-failure codes, and are not included.
* 就醫科別: 註13 (same text as data/nhi-code-tables/dept.csv); AK 老人醫學科 from 104.05.01.
* 案件分類: d1 list and 註19 (西醫門診案件分類申報方式). Note: 01 西醫一般案件 is the
  **日劑藥費** case (註19-1); an ordinary visit claiming itemised drugs is 09 西醫其他專案
  (註19-4); 公告慢性病 or a visit issuing a 慢性病連續處方箋 is 04 (註19-2/3); dispensing a
  refill of such a slip is 08; acute and chronic together without a refill slip is 09 (註19-5).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from clinicbox_core.nhi.errors import UnknownCode

__all__ = [
    "ABNORMAL_CODES",
    "CASE_TYPES",
    "DEPARTMENTS",
    "VISIT_TYPES",
    "AbnormalCause",
    "AbnormalCode",
    "CodeName",
    "abnormal_code",
    "lookup_abnormal",
    "lookup_case_type",
    "lookup_department",
    "lookup_visit_type",
    "western_case_type",
]


@dataclass(frozen=True, slots=True)
class CodeName:
    """A code and its zh-TW name as the NHI table writes it."""

    code: str
    zh: str


class AbnormalCause(StrEnum):
    READER_DEVICE = "reader_device"  # 讀卡設備故障
    READER = "reader"  # 讀卡機故障
    NETWORK = "network"  # 網路故障造成讀卡機無法使用
    SAM = "sam"  # 安全模組故障造成讀卡機無法使用
    CARD = "card"  # 卡片不良
    POWER = "power"  # 停電
    EXCEPTION_VISIT = "exception_visit"  # 例外就醫者
    MINOR = "minor"  # 18 歲以下兒少
    PREGNANT = "pregnant"  # 懷孕婦女例外就醫
    HIS_DOWN = "his_down"  # HIS 當機
    CLINIC_COMPUTER = "clinic_computer"  # 醫療院所電腦故障
    NHI_SYSTEM_DOWN = "nhi_system_down"  # 健保署資訊系統當機
    CONTROL_LIST = "control_list"  # 控卡名單已簽切結書
    REMOTE = "remote"  # 偏遠地區無網路、居家照護
    OTHER = "other"  # 其他
    NEW_CONTRACT = "new_contract"  # 新特約
    ELDERLY_DOCTOR = "elderly_doctor"  # 高齡醫師


@dataclass(frozen=True, slots=True)
class AbnormalCode:
    """One row of 註9-1: the code before / after a 序號 was obtained (``None`` = single code)."""

    cause: AbnormalCause
    before_seq: str
    after_seq: str | None
    zh: str
    when: str  # zh-TW: when a clerk should pick this cause


_C = AbnormalCause
ABNORMAL_CODES: dict[AbnormalCause, AbnormalCode] = {
    row.cause: row
    for row in (
        AbnormalCode(_C.READER_DEVICE, "A000", "A001", "讀卡設備故障", "讀卡設備整體無法使用"),
        AbnormalCode(_C.READER, "A010", "A011", "讀卡機故障", "讀卡機本身故障"),
        AbnormalCode(
            _C.NETWORK, "A020", "A021", "網路故障造成讀卡機無法使用", "網路中斷致無法取號"
        ),
        AbnormalCode(
            _C.SAM, "A030", "A031", "安全模組故障造成讀卡機無法使用", "安全模組（SAM）認證失敗"
        ),
        AbnormalCode(
            _C.CARD, "B000", "B001", "卡片不良（表面正常，晶片異常）", "健保卡晶片無法讀取"
        ),
        AbnormalCode(_C.POWER, "C000", None, "停電", "停電無法使用讀卡設備"),
        AbnormalCode(
            _C.EXCEPTION_VISIT,
            "C001",
            None,
            "例外就醫者（首次加保1個月內，補換發卡14日內）",
            "首次加保1個月內或補換發卡14日內未持卡",
        ),
        AbnormalCode(_C.MINOR, "C002", None, "18歲以下兒少", "18歲以下兒少未持卡就醫"),
        AbnormalCode(
            _C.PREGNANT,
            "C003",
            None,
            "弱勢民眾安心就醫方案－懷孕婦女例外就醫",
            "懷孕婦女適用安心就醫方案",
        ),
        AbnormalCode(_C.HIS_DOWN, "D000", "D001", "醫療資訊系統（HIS）當機", "本系統當機無法寫卡"),
        AbnormalCode(_C.CLINIC_COMPUTER, "D010", "D011", "醫療院所電腦故障", "院所電腦硬體故障"),
        AbnormalCode(_C.NHI_SYSTEM_DOWN, "E000", None, "健保署資訊系統當機", "健保署系統公告當機"),
        AbnormalCode(_C.CONTROL_LIST, "E001", None, "控卡名單已簽切結書", "控卡對象已簽切結書"),
        AbnormalCode(
            _C.REMOTE,
            "F000",
            None,
            "醫事機構赴偏遠地區因無電話撥接上網設備、居家照護",
            "巡迴偏遠地區或居家照護無網路設備",
        ),
        AbnormalCode(_C.OTHER, "Z000", "Z001", "其他", "其他原因（應留存紀錄）"),
        AbnormalCode(_C.NEW_CONTRACT, "G000", None, "新特約", "新特約院所尚未完成讀卡設備"),
        AbnormalCode(
            _C.ELDERLY_DOCTOR,
            "H000",
            None,
            "高齡醫師",
            "經分區業務組專案同意無法建置健保IC卡作業者",
        ),
    )
}


def abnormal_code(cause: AbnormalCause | str, seq_obtained: bool) -> str:
    """The 異常就醫代碼 that replaces the 就醫序號 (d29 / IC upload) for ``cause``.

    ``seq_obtained``: whether a 就醫序號 had already been obtained from the card when the failure
    happened (註9-1 說明 2). Single-code causes ignore it.
    """
    try:
        row = ABNORMAL_CODES[AbnormalCause(cause)]
    except ValueError as exc:
        raise UnknownCode(field="abnormal_cause", code=str(cause)) from exc
    if seq_obtained and row.after_seq is not None:
        return row.after_seq
    return row.before_seq


def lookup_abnormal(code: str) -> tuple[AbnormalCode, bool]:
    """Reverse lookup: the row for a code and whether that code means "序號 already obtained"."""
    for row in ABNORMAL_CODES.values():
        if code == row.before_seq:
            return row, False
        if code == row.after_seq:
            return row, True
    raise UnknownCode(field="abnormal_code", code=code)


def _table(rows: tuple[tuple[str, str], ...]) -> dict[str, CodeName]:
    return {code: CodeName(code, zh) for code, zh in rows}


VISIT_TYPES: dict[str, CodeName] = _table(
    (
        ("01", "西醫門診"), ("02", "牙醫門診"), ("03", "中醫門診"), ("04", "急診"),
        ("05", "住院"), ("06", "門診轉診就醫"), ("07", "門診手術後之回診"),
        ("08", "住院患者出院之回診"), ("AA", "同一療程之項目以六次以內治療為限者"),
        ("AB", "以同一療程之項目屬非六次以內治療為限者"), ("AC", "預防保健"),
        ("AD", "職業傷害或職業病門（急）診"), ("AE", "慢性病連續處方箋領藥"),
        ("AF", "藥局調劑"), ("AG", "排程檢查"), ("AH", "居家照護（第二次以後）"),
        ("AI", "同日同醫師看診（第二次以後）"), ("BA", "門（急）診當次轉住院之入院"),
        ("BB", "出院"), ("BC", "急診中、住院中執行項目"), ("BD", "急診第二日（含）以後之離院"),
        ("BE", "職業傷害或職業病之住院"),
        ("CA", "其他規定不須累計就醫序號即不扣除就醫次數者"), ("DA", "門診轉出"),
        ("DB", "門診手術後需於七日內之一次回診"), ("DC", "住院患者出院後需於七日內之一次回診"),
    )
)  # fmt: skip

DEPARTMENTS: dict[str, CodeName] = _table(
    (
        ("01", "家醫科"), ("02", "內科"), ("03", "外科"), ("04", "小兒科"), ("05", "婦產科"),
        ("06", "骨科"), ("07", "神經外科"), ("08", "泌尿科"), ("09", "耳鼻喉科"),
        ("10", "眼科"), ("11", "皮膚科"), ("12", "神經科"), ("13", "精神科"),
        ("14", "復健科"), ("15", "整型外科"), ("22", "急診醫學科"), ("23", "職業醫學科"),
        ("40", "牙科"), ("60", "中醫科"), ("81", "麻醉科"), ("82", "放射線科"),
        ("83", "病理科"), ("84", "核醫科"), ("2A", "結核科"), ("2B", "洗腎科"),
        ("AA", "消化內科"), ("AB", "心臟血管內科"), ("AC", "胸腔內科"), ("AD", "腎臟內科"),
        ("AE", "風濕免疫科"), ("AF", "血液腫瘤科"), ("AG", "內分泌科"), ("AH", "感染科"),
        ("AI", "潛醫科"), ("AJ", "胸腔暨重症加護"), ("AK", "老人醫學科"),
        ("BA", "直腸外科"), ("BB", "心臟血管外科"), ("BC", "胸腔外科"), ("BD", "消化外科"),
        ("CA", "小兒外科"), ("CB", "新生兒科"), ("DA", "疼痛科"), ("EA", "居家護理"),
        ("FA", "放射診斷科"), ("FB", "放射腫瘤科學科"), ("GA", "口腔顎面外科"),
        ("HA", "脊椎骨科"),
    )
)  # fmt: skip

CASE_TYPES: dict[str, CodeName] = _table(
    (
        ("01", "西醫一般案件（日劑藥費）"), ("02", "西醫急診"), ("03", "西醫門診手術"),
        ("04", "西醫慢性病"), ("05", "洗腎"), ("06", "結核病"), ("08", "慢性病連續處方調劑"),
        ("09", "西醫其他專案"), ("11", "牙醫一般案件"), ("12", "牙醫急診"),
        ("13", "牙醫門診手術"), ("14", "牙醫門診總額醫療資源不足地區改善方案"),
        ("15", "牙周統合照護"), ("16", "牙醫特殊專案醫療服務項目"), ("19", "牙醫其他專案"),
        ("21", "中醫一般案件"), ("22", "中醫其他專案"), ("23", "中醫現代科技加強醫療服務方案"),
        ("24", "中醫慢性病"), ("25", "中醫門診總額醫療資源不足地區改善方案"),
        ("28", "中醫慢性病連續處方調劑"), ("29", "中醫針灸、傷科及脫臼整復"),
        ("30", "中醫特定疾病門診加強照護"), ("A1", "居家照護"), ("A2", "精神疾病社區復健"),
        ("A3", "預防保健"), ("A5", "安寧居家療護"), ("A6", "護理之家照護"),
        ("A7", "安養、養護機構院民之居家照護"), ("B1", "行政協助性病患者全面篩檢愛滋病毒計畫"),
        ("B6", "職災案件"), ("B7", "行政協助門診戒菸"), ("B8", "行政協助精神病人強制處置"),
        ("B9", "行政協助孕婦全面篩檢愛滋計畫"), ("BA", "愛滋防治治療替代治療計畫"),
        ("C1", "論病例計酬案件"), ("C4", "行政協助無健保結核病患就醫案件"),
        ("D1", "行政協助愛滋病案件"), ("D2", "行政協助65歲以上老人流行性感冒疫苗接種"),
        ("D4", "西醫基層（醫院支援）醫療資源不足地區改善方案"),
        ("E1", "醫療給付改善方案及試辦計畫"),
    )
)  # fmt: skip


def _lookup(table: dict[str, CodeName], code: str, field: str) -> CodeName:
    found = table.get(code.strip().upper())
    if found is None:
        raise UnknownCode(field=field, code=code)
    return found


def lookup_visit_type(code: str) -> CodeName:
    """就醫類別 by code (``01`` → 西醫門診)."""
    return _lookup(VISIT_TYPES, code, "visit_type")


def lookup_department(code: str) -> CodeName:
    """就醫科別 by code (``01`` → 家醫科)."""
    return _lookup(DEPARTMENTS, code, "department")


def lookup_case_type(code: str) -> CodeName:
    """案件分類 by code (``09`` → 西醫其他專案)."""
    return _lookup(CASE_TYPES, code, "case_type")


def western_case_type(
    *,
    emergency: bool = False,
    refill_dispensing: bool = False,
    issues_refill_slip: bool = False,
    chronic_only: bool = False,
    daily_drug_fee: bool = False,
) -> str:
    """案件分類 (d1) of a 西醫 outpatient visit per 註19.

    ``refill_dispensing``: dispensing a 慢性病連續處方箋 refill (08). ``emergency``: 02.
    ``issues_refill_slip`` or ``chronic_only`` (every diagnosis a 公告慢性病): 04.
    ``daily_drug_fee``: the clinic claims 日劑藥費 (01; refused for chronic cases by 註19-1).
    Otherwise 09, including acute + chronic together without a refill slip (註19-5).
    """
    if refill_dispensing:
        return "08"
    if emergency:
        return "02"
    if issues_refill_slip or chronic_only:
        return "04"
    if daily_drug_fee:
        return "01"
    return "09"
