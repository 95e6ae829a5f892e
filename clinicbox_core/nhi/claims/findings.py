"""Validator findings and the catalogue of rules: id → severity, zh-TW/English text, source.

A :class:`Finding` says where (case ``d1-d2``, its index in the file, the order's 醫令序, the
field), which rule, and what is wrong in both languages. ``error`` means the NHI would reject or
cut the claim per the spec text; ``warning`` means the file deviates from what we can confirm
(e.g. element order) or something a person should look at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["RULES", "Finding", "RuleDoc", "Severity", "make"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class RuleDoc:
    severity: Severity
    zh: str
    en: str
    source: str


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: Severity
    case: str | None  # "09-0012" (d1-d2) or None for the 總表段 / the file
    case_index: int | None  # 0-based position of the ddata in the file
    order: str | None  # 醫令序 (p13; 藥局 p10) or "#n" when it has none
    field: str | None
    value: str | None
    zh: str
    en: str

    def location(self) -> str:
        parts = [f"案件 {self.case}" if self.case else "總表段"]
        if self.order is not None:
            parts.append(f"醫令 {self.order}")
        if self.field:
            parts.append(self.field)
        return " / ".join(parts)


_S = "spec 1040409"
RULES: dict[str, RuleDoc] = {
    "S-XML": RuleDoc("error", "不是可解析的 XML：{detail}", "not parseable XML: {detail}", "XML"),
    "S-ROOT": RuleDoc(
        "warning", "根元素為 {detail}", "root element is {detail}", "public HIS code"
    ),
    "S-MISSING": RuleDoc(
        "error", "缺少 {detail} 區段", "section {detail} is missing", "file shape"
    ),
    "S-UNKNOWN": RuleDoc("warning", "未定義的元素 {detail}", "unknown element {detail}", _S),
    "S-REPEAT": RuleDoc("error", "元素重複 {detail}", "element repeated {detail}", _S),
    "S-ORDER": RuleDoc(
        "warning", "元素順序與規格表不同 {detail}", "element out of spec order {detail}", _S
    ),
    "F-REQUIRED": RuleDoc(
        "error", "必填欄位「{zh}」未填", "required field {zh} is empty", "註2 ＊"
    ),
    "F-WIDTH": RuleDoc(
        "error",
        "「{zh}」長度 {length} 超過 {width}",
        "{zh} is {length} long, max {width}",
        "field table 長度",
    ),
    "F-NUMBER": RuleDoc("error", "「{zh}」應為數字", "{zh} must be digits", "field table 屬性 9"),
    "F-DECIMAL": RuleDoc(
        "error",
        "「{zh}」數值格式錯誤（小數 {decimals} 位）",
        "{zh} must be a number with up to {decimals} decimals",
        "field table 格式",
    ),
    "F-UPPER": RuleDoc("error", "「{zh}」英文字應大寫", "{zh}: letters must be upper case", "註2"),
    "F-CHARS": RuleDoc(
        "error", "「{zh}」含不允許的字元", "{zh} holds characters not allowed", "field table 屬性 X"
    ),
    "F-DATE": RuleDoc(
        "error",
        "「{zh}」不是有效的民國日期",
        "{zh} is not a valid ROC date",
        "field table 日期格式",
    ),
    "F-DATETIME": RuleDoc(
        "error",
        "「{zh}」不是有效的民國日期時間 YYYMMDDHHMM",
        "{zh} is not a valid ROC date-time",
        "field table 時間格式",
    ),
    "F-MONTH": RuleDoc(
        "error", "「{zh}」不是有效的費用年月 YYYMM", "{zh} is not a valid ROC year-month", "t3"
    ),
    "F-CODE": RuleDoc(
        "error",
        "「{zh}」代碼 {value} 不在代碼表內",
        "{zh}: code {value} is not in the code list",
        "field table 代碼 / 註",
    ),
    "F-ID": RuleDoc("error", "「{zh}」身分證號檢查碼錯誤", "{zh}: ID check digit is wrong", "註8"),
    "F-ID-SHAPE": RuleDoc(
        "warning",
        "「{zh}」不是身分證/居留證號格式（護照號碼？）",
        "{zh} is not an ID/resident number (passport?)",
        "d3, 註8",
    ),
    "F-SEQNO": RuleDoc(
        "error",
        "就醫序號 {value} 格式錯誤",
        "visit sequence number {value} is malformed",
        "d29, 註9, 註9-1",
    ),
    "F-T1": RuleDoc("error", "資料格式 t1 應為 {expected}", "t1 must be {expected}", "t1"),
    "X-ORDER-SEQ": RuleDoc(
        "error",
        "醫令序應為 1 起連續，第 {n} 筆為 {value}",
        "order ordinal #{n} should be {n}, is {value}",
        "p13 (藥局 p10)",
    ),
    "X-ORDER-POINTS": RuleDoc(
        "error",
        "點數應為 {expected}（總量×單價×成數，四捨五入）",
        "points should be {expected} (total × price × ratio, half up)",
        "p12 p.18 (藥局 p9 p.11)",
    ),
    "X-SUBTOTAL": RuleDoc(
        "error",
        "「{zh}」應為醫令點數小計 {expected}",
        "{zh} should be the order subtotal {expected}",
        "d32-d38 p.11-12 (藥局 d31-d38)",
    ),
    "X-FEE-CODE": RuleDoc(
        "error", "「{zh}」應為 {expected}", "{zh} should be {expected}", "註24 (藥局 註18)"
    ),
    "X-SUM": RuleDoc(
        "error",
        "合計點數應為 {expected}",
        "total points should be {expected}",
        "d39 p.12 (藥局 d18 p.5)",
    ),
    "X-NET": RuleDoc(
        "error",
        "申請點數應為合計減部分負擔 = {expected}",
        "claimed points should be total − copay = {expected}",
        "d41 p.13 (藥局 d16 p.5)",
    ),
    "X-SERIAL": RuleDoc(
        "error",
        "流水編號應依案件分類自 1 連續編號，應為 {expected}",
        "serial should run from 1 per case type; expected {expected}",
        "d2 p.5",
    ),
    "X-TOTALS": RuleDoc(
        "error",
        "總表「{zh}」應為 {expected}",
        "summary {zh} should be {expected}",
        "總表段 p.1-3, 註3",
    ),
    "X-GROUP": RuleDoc(
        "error",
        "案件分類 {value} 不屬於總表任一類別",
        "case type {value} is in no summary group",
        "註3",
    ),
    "X-MONTH": RuleDoc(
        "error",
        "「{zh}」{value} 不在費用年月 {month}",
        "{zh} {value} is outside fee month {month}",
        "t3",
    ),
    "X-BIRTH": RuleDoc(
        "error",
        "出生日期須不晚於就醫日期且年齡小於 150 歲",
        "birth date must not be after the visit and age < 150",
        "d11 p.7",
    ),
    "X-END-DATE": RuleDoc(
        "error", "治療結束日期 {detail}", "treatment end date {detail}", "d10 p.6-7, 註7(2)"
    ),
    "X-SUPPLEMENT": RuleDoc(
        "error", "補報原因註記 {detail}", "supplement reason {detail}", "d12 p.7 (藥局 d4)"
    ),
    "X-REFERRAL": RuleDoc(
        "error", "轉診/處方調劑院所代號 {detail}", "referral institution {detail}", "d17 p.8-9"
    ),
    "X-NEWBORN": RuleDoc(
        "error",
        "新生兒依附就醫 {detail}",
        "newborn dependant visit {detail}",
        "d45/d51 p.13-14 (藥局 d44)",
    ),
    "X-COPAY-CODE": RuleDoc(
        "error",
        "部分負擔代號應為 {expected}（{basis}）",
        "copay code should be {expected} ({basis})",
        "註10, copay.py",
    ),
    "X-COPAY": RuleDoc(
        "error",
        "部分負擔點數應為 {expected}（{basis}）",
        "copay should be {expected} ({basis})",
        "註10, copay.py",
    ),
    "X-ADMIN-COPAY": RuleDoc(
        "error",
        "行政協助部分負擔點數應為 {expected}",
        "admin-assist copay should be {expected}",
        "d43 p.13 (藥局 d19 p.5)",
    ),
    "X-NO-CONSULT": RuleDoc(
        "error",
        "案件分類 {value} 不得申報診察費",
        "case type {value} may not claim a consultation fee",
        "d35/d36 p.12, 註9(2)",
    ),
    "X-CONSULT-BAND": RuleDoc(
        "error",
        "醫師 {doctor} 於 {day} 看診 {n} 人次，{code} 所屬人次段 {band} 件數超過合理量",
        "doctor {doctor} on {day}: {n} visits; too many in band {band} ({code})",
        "支付標準 基層門診診察費",
    ),
    "X-CONSULT-DISPENSING": RuleDoc(
        "error",
        "診察費代號應為 {expected}（{reason}）",
        "consultation code should be {expected} ({reason_en})",
        "支付標準 基層門診診察費, d28",
    ),
    "X-D28": RuleDoc(
        "error", "處方調劑方式 {detail}", "dispensing mode {detail}", "d28, 註11(1)(2)"
    ),
    "X-REFILL": RuleDoc(
        "error",
        "慢性病連續處方調劑 {detail}",
        "chronic refill dispensing {detail}",
        "交付機構 d35/d36/d43, p.9",
    ),
}


def make(
    rule: str,
    *,
    case: str | None = None,
    case_index: int | None = None,
    order: str | None = None,
    field: str | None = None,
    value: str | None = None,
    **params: object,
) -> Finding:
    """A finding of ``rule`` with its messages filled from ``params`` (and ``value``)."""
    doc = RULES[rule]
    fill = {"value": value, **params}
    return Finding(
        rule=rule,
        severity=doc.severity,
        case=case,
        case_index=case_index,
        order=order,
        field=field,
        value=value,
        zh=doc.zh.format(**fill),
        en=doc.en.format(**fill),
    )
