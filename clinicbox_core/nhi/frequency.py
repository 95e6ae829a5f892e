"""用藥頻率 and 給藥途徑 codes, their zh-TW text for the drug bag, and the total-quantity rule.

Sources:

* 全民健康保險藥品使用標準碼, 96.11.12 revision (reference/specs/nhi-drug-usage-codes-961112.txt):
  the frequency grammar (QxH, QxD, QxW, QxM, QxHPRN, QOD, BIW, TIW, STAT, ASORDER, ...) and the
  route list. Unlisted usage may be claimed as ``ASORDER`` / route ``XX`` (its §三).
* data/nhi-code-tables/freq.csv and usage.csv (mycis/mycis_postgres @ d2708405, 2016): the zh
  descriptions used on drug bags and the combined codes (TIDPC, BID&HS, Q4H&PRN, ...).
  Where the CSV and the 96.11.12 text disagree the 96.11.12 wording wins; CSV-only route codes
  (CHEMO, MX, IRRIG, TRN) are kept and marked as such. The CSV's BIW rate (0.142857, once a
  week) and its Q2M (每月二次) contradict the 96.11.12 grammar and are overruled (BIW = 2/7,
  Q2M = once every two months); its dose-carrying codes (QD&QN2, TID&QN2, ...) and QIW are
  not taken over (tests/core/test_frequency.py lists why).

Doses per day are exact fractions (BIW = 2/7, not 0.142857). ``AC`` and ``PC`` alone are meal
timings, not frequencies (the CSV's 1.0 / 3.0 for them is inconsistent), so they need an
explicit total like ``ASORDER`` and every ``PRN`` code.

Total quantity rule (our choice, documented here because no source fixes it): the number of
doses is ``ceil(days × doses_per_day)`` (a started day or interval counts: QOD for 7 days = 4
doses), quantity = dose × doses, then rounded **up** to a whole multiple of the dispensing unit
(default 1, a whole tablet/capsule; pass 0.5 for scored halves or 0.1 for liquids in mL). We
never dispense less than prescribed. ``STAT``/``ST``/``EXT`` mean one dose whatever ``days``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from fractions import Fraction
from math import ceil

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.errors import UnknownCode

__all__ = [
    "FREQUENCIES",
    "ROUTES",
    "Frequency",
    "FrequencyKind",
    "Route",
    "frequency_text",
    "lookup_frequency",
    "lookup_route",
    "route_text",
    "total_quantity",
    "usage_text",
]


class FrequencyKind(StrEnum):
    REGULAR = "regular"  # fixed doses per day: the total follows from dose × days
    AS_NEEDED = "as_needed"  # PRN family: per_day is the maximum; the total must be given
    ONCE = "once"  # STAT / ST / EXT: one dose
    AS_ORDERED = "as_ordered"  # ASORDER, AC, PC: no computable count; the total must be given


@dataclass(frozen=True, slots=True)
class Frequency:
    code: str
    zh: str
    per_day: Fraction | None  # doses per day (maximum for PRN); None when not computable
    kind: FrequencyKind


@dataclass(frozen=True, slots=True)
class Route:
    code: str
    zh: str
    source: str  # "961112" (official list) or "mycis" (code table only)


_R = FrequencyKind.REGULAR
_N = FrequencyKind.AS_NEEDED
_O = FrequencyKind.ONCE
_A = FrequencyKind.AS_ORDERED
_F = Fraction

_TABLE: tuple[tuple[str, str, Fraction | None, FrequencyKind], ...] = (
    ("QD", "每日一次", _F(1), _R),
    ("Q1D", "每一天使用一次", _F(1), _R),
    ("BID", "每日二次", _F(2), _R),
    ("TID", "每日三次", _F(3), _R),
    ("QID", "每日四次", _F(4), _R),
    ("PID", "每日五次", _F(5), _R),
    ("HS", "每日一次睡前使用", _F(1), _R),
    ("QHS", "每晚睡前一次", _F(1), _R),
    ("QN", "每晚使用一次（睡前）", _F(1), _R),
    ("QDHS", "每日一次睡前使用", _F(1), _R),
    ("QAM", "每日上午使用一次", _F(1), _R),
    ("QDAM", "每日一次上午使用", _F(1), _R),
    ("QDPM", "每日一次下午使用", _F(1), _R),
    ("QDAC", "每日一次空腹使用", _F(1), _R),
    ("QDPC", "每日一次飯後使用", _F(1), _R),
    ("BIDAC", "每日二次空腹使用", _F(2), _R),
    ("BIDPC", "每日二次飯後使用", _F(2), _R),
    ("TIDAC", "每日三次空腹使用", _F(3), _R),
    ("TIDPC", "每日三次飯後使用", _F(3), _R),
    ("QIDAC", "每日四次空腹使用", _F(4), _R),
    ("QIDPC", "每日四次飯後使用", _F(4), _R),
    ("QAM&HS", "上午使用一次且睡前一次", _F(2), _R),
    ("QPM&HS", "下午使用一次且睡前一次", _F(2), _R),
    ("QAM&PM", "每日上下午各使用一次", _F(2), _R),
    ("BID&HS", "每日二次且睡前一次", _F(3), _R),
    ("TID&HS", "每日三次及睡前一次", _F(4), _R),
    ("QOD", "每二天一次", _F(1, 2), _R),
    ("QW", "每週使用一次", _F(1, 7), _R),
    ("BIW", "每週使用二次", _F(2, 7), _R),
    ("TIW", "每週使用三次", _F(3, 7), _R),
    ("QM", "每一月使用一次", _F(1, 30), _R),
    ("Q2D&HS", "每二天使用一次，睡前使用", _F(1, 2), _R),
    ("Q2DPC", "每二天使用一次，飯後使用", _F(1, 2), _R),
    ("PRN", "需要時使用", None, _N),
    ("QDPRN", "需要時每日一次", _F(1), _N),
    ("QIDPRN", "需要時每日四次", _F(4), _N),
    ("BID&PRN", "需要時每日二次", _F(2), _N),
    ("TID&PRN", "需要時每日三次", _F(3), _N),
    ("Q2H&PRN", "需要時每二小時使用一次", _F(12), _N),
    ("Q4H&PRN", "需要時每四小時使用一次", _F(6), _N),
    ("Q6H&PRN", "需要時每六小時使用一次", _F(4), _N),
    ("Q8H&PRN", "需要時每八小時使用一次", _F(3), _N),
    ("Q12H&PRN", "需要時每十二小時使用一次", _F(2), _N),
    ("STAT", "立刻使用", None, _O),
    ("ST", "立刻使用", None, _O),
    ("EXT", "一次", None, _O),
    ("ASORDER", "依照醫師指示使用", None, _A),
    ("AC", "飯前", None, _A),
    ("PC", "飯後", None, _A),
)

FREQUENCIES: dict[str, Frequency] = {
    code: Frequency(code, zh, per_day, kind) for code, zh, per_day, kind in _TABLE
}

_ZH_NUM = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八", 9: "九"}


def _zh_number(n: int) -> str:
    """1–99 in Chinese numerals as the drug bag writes them (12 → 十二, 24 → 二十四)."""
    if n < 10:
        return _ZH_NUM[n]
    tens, units = divmod(n, 10)
    return ("" if tens == 1 else _ZH_NUM[tens]) + "十" + (_ZH_NUM[units] if units else "")


# 96.11.12 §二.2: QxH, QxD, QxW, QxM, QxHPRN (x = 1, 2, 3, ...); months counted as 30 days.
_PATTERN = re.compile(r"^Q([1-9][0-9]?)(H|D|W|M)(PRN)?$")
_UNIT = {"H": ("小時", Fraction(1, 24)), "D": ("天", Fraction(1)), "W": ("週", Fraction(7))}


def _from_pattern(code: str) -> Frequency | None:
    match = _PATTERN.match(code)
    if match is None:
        return None
    n, unit, prn = int(match.group(1)), match.group(2), match.group(3)
    if prn and unit != "H":
        return None  # the spec defines the PRN suffix for QxH only
    if unit == "M":
        zh_unit, days = "月", Fraction(30)
    else:
        zh_unit, days = _UNIT[unit]
    per_day = 1 / (n * days)
    zh = f"每{_zh_number(n)}{zh_unit}使用一次"
    if prn:
        return Frequency(code, "需要時" + zh, per_day, FrequencyKind.AS_NEEDED)
    return Frequency(code, zh, per_day, FrequencyKind.REGULAR)


def lookup_frequency(code: str) -> Frequency:
    """The frequency for ``code`` (table or QxH/QxD/QxW/QxM pattern); :class:`UnknownCode` else."""
    key = code.strip().upper()
    found = FREQUENCIES.get(key) or _from_pattern(key)
    if found is None:
        raise UnknownCode(field="frequency", code=code)
    return found


def frequency_text(code: str) -> str:
    """zh-TW text for the drug bag, e.g. ``TID`` → ``每日三次``."""
    return lookup_frequency(code).zh


_ROUTE_TABLE: tuple[tuple[str, str, str], ...] = (
    ("AD", "右耳", "961112"), ("AS", "左耳", "961112"), ("AU", "每耳", "961112"),
    ("ET", "氣切內", "961112"), ("GAR", "漱口用", "961112"), ("HD", "皮下灌注", "961112"),
    ("ID", "皮內注射", "961112"), ("IA", "動脈注射", "961112"),
    ("IE", "脊髓硬膜內注射", "961112"), ("IM", "肌肉注射", "961112"),
    ("IV", "靜脈注射", "961112"), ("IP", "腹腔注射", "961112"), ("ICV", "腦室注射", "961112"),
    ("IMP", "植入", "961112"), ("INHL", "吸入", "961112"), ("IS", "滑膜內注射", "961112"),
    ("IT", "椎骨內注射", "961112"), ("IVA", "靜脈添加", "961112"),
    ("IVD", "靜脈點滴滴入", "961112"), ("IVI", "玻璃體內注射", "961112"),
    ("IVP", "靜脈注入", "961112"), ("LA", "局部麻醉", "961112"), ("LI", "局部注射", "961112"),
    ("NA", "鼻用", "961112"), ("OD", "右眼", "961112"), ("OS", "左眼", "961112"),
    ("OU", "每眼", "961112"), ("PO", "口服", "961112"), ("SC", "皮下注射", "961112"),
    ("SCI", "結膜下注射", "961112"), ("SKIN", "皮膚用", "961112"), ("SL", "舌下", "961112"),
    ("SPI", "脊髓", "961112"), ("RECT", "肛門用", "961112"), ("TOPI", "局部塗擦", "961112"),
    ("TPN", "全靜脈營養劑", "961112"), ("VAG", "陰道用", "961112"), ("IRRI", "沖洗", "961112"),
    ("EXT", "外用", "961112"), ("XX", "其他", "961112"),
    ("CHEMO", "化學治療", "mycis"), ("MX", "混合", "mycis"), ("IRRIG", "沖洗", "mycis"),
    ("TRN", "全靜脈營養劑", "mycis"),
)  # fmt: skip

ROUTES: dict[str, Route] = {code: Route(code, zh, src) for code, zh, src in _ROUTE_TABLE}


def lookup_route(code: str) -> Route:
    """The route for ``code``; :class:`UnknownCode` (field ``route``) when not in the list."""
    found = ROUTES.get(code.strip().upper())
    if found is None:
        raise UnknownCode(field="route", code=code)
    return found


def route_text(code: str) -> str:
    """zh-TW route text, e.g. ``PO`` → ``口服``."""
    return lookup_route(code).zh


def usage_text(frequency: str, route: str) -> str:
    """The 用法 line of a drug bag: route then frequency, e.g. ``口服 每日三次飯後使用``."""
    return f"{route_text(route)} {frequency_text(frequency)}"


def total_quantity(
    dose: Decimal,
    frequency: str,
    days: int,
    *,
    dispensing_unit: Decimal = Decimal(1),
    explicit_total: Decimal | None = None,
) -> Decimal:
    """Total quantity to dispense (claims p10) for ``dose`` per use over ``days`` days.

    See the module docstring for the rounding rule. PRN, ASORDER, AC and PC need
    ``explicit_total`` (returned rounded up to the dispensing unit); for other frequencies an
    ``explicit_total`` smaller than the computed quantity is refused, a larger one is allowed
    (a prescriber may round up a pack).
    """
    if dose <= 0:
        raise ValidationFailed(field="dose", reason="not_positive")
    if days < 1:
        raise ValidationFailed(field="days", reason="not_positive")
    if dispensing_unit <= 0:
        raise ValidationFailed(field="dispensing_unit", reason="not_positive")
    freq = lookup_frequency(frequency)
    if freq.kind is FrequencyKind.ONCE:
        computed: Decimal | None = dose
    elif freq.kind is FrequencyKind.REGULAR and freq.per_day is not None:
        count = ceil(freq.per_day * days)
        computed = dose * count
    else:
        computed = None
    if computed is None:
        if explicit_total is None:
            raise ValidationFailed(field="total", reason="explicit_total_required")
        chosen = explicit_total
    elif explicit_total is not None:
        if explicit_total < computed:
            raise ValidationFailed(field="total", reason="below_prescribed")
        chosen = explicit_total
    else:
        chosen = computed
    if chosen <= 0:
        raise ValidationFailed(field="total", reason="not_positive")
    units = (chosen / dispensing_unit).to_integral_value(rounding=ROUND_CEILING)
    return units * dispensing_unit
