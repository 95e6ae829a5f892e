"""Typed model of a 交付機構 claims file for 特約藥局 (t1=30), spec 1040409 (104.03.01).

The 交付機構 format numbers its fields differently from the 門診 one (d16 is 申請點數 here,
d18 合計點數, p1 醫令類別 ...). The spec text never names elements or the dhead/dbody split;
we follow the element structure a working pharmacy HIS writes (root ``pharmacy``, ``dhead`` =
d1-d25, ``dbody`` = d26-d46 then ``pdata``; numeric order inside each), see docs/nhi-claims.md.
Pages refer to specs/nhi-claims-pharmacy-1040409.txt.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from clinicbox_core.nhi.claims.fields import spec

__all__ = ["PharmacyCase", "PharmacyClaimsFile", "PharmacyOrderLine", "PharmacyTotals"]

_CFG = ConfigDict(frozen=True, extra="forbid")
_T, _D, _P = "p.1-2", "p.3-10", "p.11-14"


class PharmacyTotals(BaseModel):
    """總表段: t7/t8 = 案件分類 1,3,4,5,D; t9/t10 = 2; t11/t12 = totals (p.1-2)."""

    model_config = _CFG

    t1: str | None = spec("資料格式", 2, required=True, fmt="code", page=_T)
    t2: str | None = spec("服務機構代號", 10, required=True, page=_T)
    t3: str | None = spec("費用年月", 5, required=True, fmt="month", page=_T)
    t4: str | None = spec("申報方式", 1, required=True, fmt="code", page=_T)
    t5: str | None = spec("申報類別", 1, required=True, fmt="code", page=_T)
    t6: str | None = spec("申報日期", 7, required=True, fmt="date", page=_T)
    t7: int | None = spec("一般案件申請件數", 6, "9", required=True, page=_T)
    t8: int | None = spec("一般案件申請點數", 10, "9", required=True, page=_T)
    t9: int | None = spec("慢性病連續處方調劑案件申請件數", 6, "9", page=_T)
    t10: int | None = spec("慢性病連續處方調劑案件申請點數", 10, "9", page=_T)
    t11: int | None = spec("申請件數總計", 8, "9", required=True, page=_T)
    t12: int | None = spec("申請點數總計", 10, "9", required=True, page=_T)
    t13: str | None = spec("此次連線申報起日期", 7, fmt="date", page=_T)
    t14: str | None = spec("此次連線申報迄日期", 7, fmt="date", page=_T)


class PharmacyOrderLine(BaseModel):
    """醫令清單段: p9 = p8 × p7 (drugs, p1=1) or × p6/100 (p1=2,3,9; 4 unless a 10-char code)."""

    model_config = _CFG

    p1: str | None = spec("醫令類別", 1, required=True, fmt="code", page=_P)
    p2: str | None = spec("藥品（項目）代號", 12, required=True, page=_P)
    p3: Decimal | None = spec("藥品用量", 7, "dec", decimals=2, page=_P)
    p4: str | None = spec("(藥品)使用頻率", 18, page=_P)
    p5: str | None = spec("給藥途徑/作用部位", 4, page=_P)
    p6: str | None = spec("支付成數", 3, page=_P)
    p7: Decimal | None = spec("總量", 7, "dec", required=True, decimals=1, page=_P)
    p8: Decimal | None = spec("單價", 10, "dec", required=True, decimals=2, page=_P)
    p9: int | None = spec("點數", 8, "9", required=True, page=_P)
    p10: int | None = spec("醫令序", 3, "9", required=True, page=_P)
    p11: int | None = spec("藥品給藥日份", 2, "9", page=_P)
    p12: str | None = spec("執行時間-起", 11, fmt="datetime", page=_P)
    p13: str | None = spec("執行時間-迄", 11, fmt="datetime", page=_P)
    p14: str | None = spec("執行醫事人員代號", 10, fmt="id", page=_P)
    p15: int | None = spec("自費特材群組序號", 3, "9", page=_P)


class PharmacyCase(BaseModel):
    """點數清單段 of one dispensing: d18 = d31+d32+d33+d38, d16 = d18 − d17 (p.5)."""

    model_config = _CFG

    d1: str | None = spec("案件分類", 1, required=True, fmt="code", page="p.3")
    d2: int | None = spec("流水編號", 6, "9", required=True, page="p.3")
    d3: str | None = spec("身分證統一編號", 10, required=True, fmt="id", page="p.4")
    d4: str | None = spec("補報原因註記", 1, fmt="code", page="p.8")
    d5: str | None = spec("給付類別", 1, fmt="code", page="p.7")
    d6: str | None = spec("出生年月日", 7, required=True, fmt="birth", page="p.4")
    d7: str | None = spec("就醫序號", 4, required=True, page="p.4")
    d8: str | None = spec("國際疾病分類碼(一)", 9, page="p.7")
    d9: str | None = spec("國際疾病分類碼(二)", 9, page="p.7")
    d10: str | None = spec("國際疾病分類碼(三)", 9, page="p.7")
    d11: str | None = spec("國際疾病分類碼(四)", 9, page="p.7")
    d12: str | None = spec("國際疾病分類碼(五)", 9, page="p.8")
    d13: str | None = spec("就醫科別", 2, fmt="code", page="p.6")
    d14: str | None = spec("就醫(處方)日期", 7, fmt="date", page="p.6")
    d15: str | None = spec("部分負擔代碼", 3, required=True, fmt="code", page="p.4-5")
    d16: int | None = spec("申請點數", 8, "9", required=True, page="p.5")
    d17: int | None = spec("部分負擔點數", 4, "9", required=True, page="p.5")
    d18: int | None = spec("合計點數", 8, "9", required=True, page="p.5")
    d19: int | None = spec("行政協助項目部分負擔點數", 6, "9", page="p.5")
    d20: str | None = spec("姓名", 20, page="p.8")
    d21: str | None = spec("原處方服務機構代號", 10, required=True, page="p.3")
    d22: str | None = spec("原處方服務機構之案件分類", 2, fmt="code", page="p.3, 註3")
    d23: str | None = spec(
        "調劑/檢驗(查)/物理(職能)治療日期", 7, required=True, fmt="date", page="p.4"
    )
    d24: str | None = spec("診治醫師代號", 10, page="p.8")
    d25: str | None = spec("醫事人員代號", 10, required=True, fmt="id", page="p.5")
    d26: str | None = spec("原處方服務機構之特定治療項目代號(一)", 2, page="p.6, 註20")
    d27: str | None = spec("原處方服務機構之特定治療項目代號(二)", 2, page="p.6")
    d28: str | None = spec("原處方服務機構之特定治療項目代號(三)", 2, page="p.6")
    d29: str | None = spec("原處方服務機構之特定治療項目代號(四)", 2, page="p.6")
    d30: int | None = spec("給藥日份", 2, "9", page="p.8")
    d31: int | None = spec("特殊材料明細點數小計", 7, "9", page="p.8")
    d32: int | None = spec("診療明細點數小計", 8, "9", page="p.8")
    d33: int | None = spec("用藥明細點數小計", 8, "9", page="p.8")
    d34: str | None = spec("檢驗(查)/物理(職能)治療迄日", 7, fmt="date", page="p.8")
    d35: str | None = spec("連續處方箋調劑序號", 1, page="p.9")
    d36: str | None = spec("連續處方可調劑次數", 1, page="p.9")
    d37: str | None = spec("藥事服務費項目代號", 12, page="p.9, 註18")
    d38: int | None = spec("藥事服務費點數", 8, "9", page="p.9, 註18")
    d39: str | None = spec("保險醫事服務類別", 1, fmt="code", page="p.9")
    d40: str | None = spec("案件來源註記", 1, fmt="code", page="p.9")
    d41: str | None = spec("預防保健第二階段服務機構代號", 10, page="p.9")
    d42: int | None = spec("當次處方可治療次數", 1, "9", page="p.10")
    d43: str | None = spec("原處方就醫序號", 4, page="p.9")
    d44: str | None = spec("依附就醫新生兒出生日期", 7, fmt="date", page="p.10")
    d45: str | None = spec("矯正機關代號", 10, page="p.10")
    d46: str | None = spec("特定地區醫療服務", 2, fmt="code", page="p.10")
    orders: tuple[PharmacyOrderLine, ...] = Field(default=(), description="醫令清單段 (pdata)")


class PharmacyClaimsFile(BaseModel):
    """A whole 藥局 claims file."""

    model_config = _CFG

    tdata: PharmacyTotals
    cases: tuple[PharmacyCase, ...] = ()
