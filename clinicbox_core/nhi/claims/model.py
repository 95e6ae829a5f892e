"""Typed model of a 門診 (t1=10) claims file, spec 1040409 (effective 104.03.01).

Field order is the spec's table order (總表段 p.1-3, 點數清單段 p.4-15, 醫令清單段 p.16-21),
which is also the XML element order: note d3 comes after d11 in the table. ``d1``/``d2`` go in
``dhead``, the other d-fields in ``dbody`` followed by the ``pdata`` elements. Values are what the
file holds: ``9`` fields are ``int``, decimal fields ``Decimal``, text (including ROC dates, kept
as ``YYYMMDD`` text so that a legacy file round-trips unchanged) ``str``; ``None`` = not written.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from clinicbox_core.nhi.claims.fields import spec

__all__ = ["Case", "ClaimsFile", "OrderLine", "Totals"]

_CFG = ConfigDict(frozen=True, extra="forbid")
_T, _D, _P = "p.1-3", "p.4-15", "p.16-21"


class Totals(BaseModel):
    """總表段 (tdata). Points are 申請點數 (Σ d41, net of copay); t39/t40 count/sum the copay."""

    model_config = _CFG

    t1: str | None = spec("資料格式", 2, required=True, fmt="code", page=_T)
    t2: str | None = spec("服務機構代號", 10, required=True, page=_T)
    t3: str | None = spec("費用年月", 5, required=True, fmt="month", page=_T)
    t4: str | None = spec("申報方式", 1, required=True, fmt="code", page=_T)
    t5: str | None = spec("申報類別", 1, required=True, fmt="code", page=_T)
    t6: str | None = spec("申報日期", 7, required=True, fmt="date", page=_T)
    t7: int | None = spec("西醫一般案件申請件數", 6, "9", page=_T)
    t8: int | None = spec("西醫一般案件申請點數", 10, "9", page=_T)
    t9: int | None = spec("西醫專案案件申請件數", 6, "9", page=_T)
    t10: int | None = spec("西醫專案案件申請點數", 10, "9", page=_T)
    t11: int | None = spec("洗腎案件申請件數", 6, "9", page=_T)
    t12: int | None = spec("洗腎案件申請點數", 10, "9", page=_T)
    t13: int | None = spec("精神疾病社區復健申請件數", 6, "9", page=_T)
    t14: int | None = spec("精神疾病社區復健申請點數", 10, "9", page=_T)
    t15: int | None = spec("結核病申請件數", 6, "9", page=_T)
    t16: int | None = spec("結核病申請點數", 10, "9", page=_T)
    t17: int | None = spec("西醫申請件數小計", 8, "9", page=_T)
    t18: int | None = spec("西醫申請點數小計", 10, "9", page=_T)
    t19: int | None = spec("牙醫一般案件申請件數", 6, "9", page=_T)
    t20: int | None = spec("牙醫一般案件申請點數", 10, "9", page=_T)
    t21: int | None = spec("牙醫專案案件申請件數", 6, "9", page=_T)
    t22: int | None = spec("牙醫專案案件申請點數", 10, "9", page=_T)
    t23: int | None = spec("牙醫申請件數小計", 8, "9", page=_T)
    t24: int | None = spec("牙醫申請點數小計", 10, "9", page=_T)
    t25: int | None = spec("中醫一般案件申請件數", 6, "9", page=_T)
    t26: int | None = spec("中醫一般案件申請點數", 10, "9", page=_T)
    t27: int | None = spec("中醫專案案件申請件數", 6, "9", page=_T)
    t28: int | None = spec("中醫專案案件申請點數", 10, "9", page=_T)
    t29: int | None = spec("中醫申請件數小計", 8, "9", page=_T)
    t30: int | None = spec("中醫申請點數小計", 10, "9", page=_T)
    t31: int | None = spec("預防保健申請件數", 6, "9", page=_T)
    t32: int | None = spec("預防保健申請點數", 10, "9", page=_T)
    t33: int | None = spec("慢性病連續處方調劑申請件數", 6, "9", page=_T)
    t34: int | None = spec("慢性病連續處方調劑申請點數", 10, "9", page=_T)
    t35: int | None = spec("居家照護申請件數", 6, "9", page=_T)
    t36: int | None = spec("居家照護申請點數", 10, "9", page=_T)
    t37: int | None = spec("申請件數總計", 8, "9", required=True, page=_T)
    t38: int | None = spec("申請點數總計", 10, "9", required=True, page=_T)
    t39: int | None = spec("部分負擔件數總計", 8, "9", page=_T)
    t40: int | None = spec("部分負擔點數總計", 10, "9", page=_T)
    t41: str | None = spec("本次連線申報起日期", 7, fmt="date", page=_T)
    t42: str | None = spec("本次連線申報迄日期", 7, fmt="date", page=_T)


class OrderLine(BaseModel):
    """醫令清單段 (pdata). p12 = round-half-up(p10 × p11 × p8/100) (p.18)."""

    model_config = _CFG

    p1: int | None = spec("藥品給藥日份", 2, "9", page=_P)
    p2: str | None = spec("醫令調劑方式", 1, fmt="code", page=_P)
    p3: str | None = spec("醫令類別", 1, required=True, fmt="code", page=_P)
    p4: str | None = spec("藥品(項目)代號", 12, required=True, page=_P)
    p5: Decimal | None = spec("藥品用量", 7, "dec", decimals=2, page=_P)
    p6: str | None = spec("診療之部位", 6, page=_P)
    p7: str | None = spec("藥品使用頻率", 18, page=_P)
    p8: Decimal | None = spec("支付成數", 6, "dec", decimals=2, page=_P)
    p9: str | None = spec("給藥途徑/作用部位", 4, page=_P)
    p10: Decimal | None = spec("總量", 7, "dec", required=True, decimals=1, page=_P)
    p11: Decimal | None = spec("單價", 10, "dec", decimals=2, page=_P)
    p12: int | None = spec("點數", 8, "9", required=True, page=_P)
    p13: int | None = spec("醫令序", 3, "9", required=True, page=_P)
    p14: str | None = spec("執行時間-起", 11, fmt="datetime", page=_P)
    p15: str | None = spec("執行時間-迄", 11, fmt="datetime", page=_P)
    p16: str | None = spec("執行醫事人員代號", 10, fmt="id", page=_P)
    p17: str | None = spec("慢性病連續處方箋、同一療程及排程檢查案件註記", 1, fmt="code", page=_P)
    p18: str | None = spec("影像來源", 1, fmt="code", page=_P)
    p19: str | None = spec("事前審查受理編號", 13, page=_P)
    p20: str | None = spec("就醫科別", 2, fmt="code", page=_P)
    p21: int | None = spec("自費特材群組序號", 3, "9", page=_P)


class Case(BaseModel):
    """點數清單段 (ddata): one claimed case, its fields in table order, then its orders."""

    model_config = _CFG

    d1: str | None = spec("案件分類", 2, required=True, fmt="code", page="p.4-5, 註19")
    d2: int | None = spec("流水編號", 6, "9", required=True, page="p.5")
    d4: str | None = spec("特定治療項目代號(一)", 2, page="p.5, 註5")
    d5: str | None = spec("特定治療項目代號(二)", 2, page="p.6")
    d6: str | None = spec("特定治療項目代號(三)", 2, page="p.6")
    d7: str | None = spec("特定治療項目代號(四)", 2, page="p.6")
    d8: str | None = spec("就醫科別", 2, required=True, fmt="code", page="p.6, 註13")
    d9: str | None = spec("就醫日期", 7, required=True, fmt="date", page="p.6")
    d10: str | None = spec("治療結束日期", 7, fmt="date", page="p.6-7")
    d11: str | None = spec("出生年月日", 7, required=True, fmt="birth", page="p.7")
    d3: str | None = spec("身分證統一編號", 10, required=True, fmt="id", page="p.7, 註8")
    d12: str | None = spec("補報原因註記", 1, fmt="code", page="p.7, 註23")
    d13: str | None = spec("整合式照護計畫註記", 1, fmt="code", page="p.7")
    d14: str | None = spec("給付類別", 1, fmt="code", page="p.7-8")
    d15: str | None = spec("部分負擔代號", 3, required=True, fmt="code", page="p.8, 註10")
    d16: str | None = spec("轉診(檢)、代檢或處方調劑案件註記", 2, fmt="code", page="p.8")
    d17: str | None = spec(
        "轉診(檢)、代檢或處方調劑案件之服務機構代號", 10, required=True, page="p.8-9"
    )
    d18: str | None = spec("病患是否轉出", 1, required=True, fmt="code", page="p.9")
    d19: str | None = spec("國際疾病分類碼(一)", 9, page="p.9, 註4")
    d20: str | None = spec("國際疾病分類碼(二)", 9, page="p.9")
    d21: str | None = spec("國際疾病分類碼(三)", 9, page="p.10")
    d22: str | None = spec("國際疾病分類碼(四)", 9, page="p.10")
    d23: str | None = spec("國際疾病分類碼(五)", 9, page="p.10")
    d24: str | None = spec("主手術(處置)代碼", 9, page="p.10")
    d25: str | None = spec("次手術(處置)代碼(一)", 9, page="p.10")
    d26: str | None = spec("次手術(處置)代碼(二)", 9, page="p.10")
    d27: int | None = spec("給藥日份", 2, "9", page="p.10, 註18")
    d28: str | None = spec("處方調劑方式", 1, fmt="code", page="p.10-11, 註11")
    d29: str | None = spec("就醫序號", 4, required=True, page="p.11, 註9, 註9-1")
    d30: str | None = spec("診治醫事人員代號", 10, required=True, fmt="id", page="p.11")
    d31: str | None = spec("藥師代號", 10, fmt="id", page="p.11")
    d32: int | None = spec("用藥明細點數小計", 8, "9", page="p.11")
    d33: int | None = spec("診療明細點數小計", 8, "9", page="p.12")
    d34: int | None = spec("特殊材料明細點數小計", 8, "9", page="p.12")
    d35: str | None = spec("診察費項目代號", 12, page="p.12, 註24")
    d36: int | None = spec("診察費點數", 8, "9", page="p.12, 註24")
    d37: str | None = spec("藥事服務費項目代號", 12, page="p.12, 註24")
    d38: int | None = spec("藥事服務費點數", 8, "9", page="p.12, 註24")
    d39: int | None = spec("合計點數", 8, "9", required=True, page="p.12")
    d40: int | None = spec("部分負擔點數", 8, "9", required=True, page="p.12, 註10")
    d41: int | None = spec("申請點數", 8, "9", required=True, page="p.13")
    d42: str | None = spec("論病例計酬代碼", 2, page="p.13")
    d43: int | None = spec("行政協助項目部分負擔點數", 6, "9", page="p.13")
    d44: int | None = spec("慢性病連續處方箋有效期間總處方日份", 2, "9", page="p.13")
    d45: str | None = spec("依附就醫新生兒出生日期", 7, fmt="date", page="p.13")
    d46: str | None = spec("急診治療起始時間", 11, fmt="datetime", page="p.13")
    d47: str | None = spec("急診治療結束時間", 11, fmt="datetime", page="p.13-14")
    d48: str | None = spec("山地離島地區醫療服務計畫代碼", 10, page="p.14")
    d49: str | None = spec("姓名", 20, page="p.14")
    d50: str | None = spec("矯正機關代號", 10, page="p.14")
    d51: str | None = spec("依附就醫新生兒胞胎註記", 1, page="p.14-15")
    d52: str | None = spec("特定地區醫療服務", 2, fmt="code", page="p.15")
    d53: str | None = spec("支援區域", 4, page="p.15")
    d54: str | None = spec("實際提供醫療服務之醫事服務機構代號", 10, page="p.15")
    orders: tuple[OrderLine, ...] = Field(default=(), description="醫令清單段 (pdata)")


class ClaimsFile(BaseModel):
    """A whole 門診 claims file: 總表段 and its cases in file order."""

    model_config = _CFG

    tdata: Totals
    cases: tuple[Case, ...] = ()
