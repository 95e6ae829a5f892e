"""西醫基層 門診診察費 and 門診藥事服務費 code selection (codes only, never points).

Source: 全民健康保險醫療服務給付項目及支付標準 第二部 第一章 基本診療, 105.05.01 edition
(reference/specs/nhi-fee-schedule-part2-ch1-basic-1050501.txt): 第一節 基層院所門診診察費
table, 通則十二 (加成), 第六節 調劑 (門診藥事服務費, 通則十, 十一). Code names for 00109C/00110C
are confirmed unchanged in the TW Core CodeSystem medical-service-payment (2024-11-29); whether
later editions moved the band limits is **not confirmed**, so the row is open-ended until a new
edition is entered as a new row.

Points are deliberately absent: the cloud reads them from the fee-schedule table in force and
multiplies by :attr:`FeeCode.ratio_p8` / 100 (claims p8 支付成數, p12 rounding half up).

Consultation bands per doctor per day (ordinal = the visit's number in that doctor's day):
1–30 00109C/00110C, 31–40 00223C/00224C, 41–60 00111C/00112C, 61–80 00113C/00114C,
81–150 00115C/00116C, >150 00117C/00118C. The first code is 處方交付特約藥局調劑, the second
未開處方或處方由本院所自行調劑. Issuing a 慢性病連續處方箋 uses the 0013x–0014x codes, one
with every refill ≥28 days the 0015x–0016x codes (same table).

加成 (通則十二): 三歲以下兒童 +20 % (p8 = 120.00); 七十五歲以上 +7.5 % (p8 = 107.50). "三歲以下"
is ambiguous (以下 usually includes the number; the 902 programme means 未滿三歲): we apply it
to ages 0–2 in completed years (未滿三歲), the choice that can never over-claim. Whether both
加成 are claimed through p8 is **not confirmed** (附表2.1.3 lists the resulting points). The
specialist 加成 (婦外 9 %, 兒 3 %, 內 3.8 %) needs the doctor's specialty and is not handled here.
Mountain/offshore (山地離島) bands are not handled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.effective import Effective, check_no_overlap, in_force
from clinicbox_core.nhi.errors import UnknownCode

__all__ = [
    "CONSULTATION_RULES",
    "FEE_CODE_KINDS",
    "PHARMACY_FEE_RULES",
    "ConsultParams",
    "Dispensing",
    "FeeCode",
    "FeeKind",
    "PharmacyFeeParams",
    "PharmacySetting",
    "PrescriptionKind",
    "RefillSlip",
    "consultation_fee_code",
    "fee_kind",
    "order_category",
    "pharmacy_service_fee_code",
]

Dispensing = Literal["self", "delegated", "none"]
PharmacySetting = Literal["pharmacy", "clinic_pharmacist", "clinic_physician"]
PrescriptionKind = Literal["general", "chronic"]


class RefillSlip(StrEnum):
    NONE = "none"  # no 慢性病連續處方箋
    SLIP = "slip"  # 開具慢性病連續處方
    SLIP_28 = "slip_28"  # 連續二次以上調劑且每次給藥 ≥28 天


class FeeKind(StrEnum):
    CONSULTATION = "consultation"  # 診察費, claims p3 = 0, d35/d36
    PHARMACY_SERVICE = "pharmacy_service"  # 藥事服務費, claims p3 = 9, d37/d38


class FeeCode(BaseModel):
    """A fee code and its 支付成數 (p8, percent with two decimals)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    ratio_p8: Decimal


@dataclass(frozen=True, slots=True)
class ConsultParams:
    # (highest ordinal of the band or None, {RefillSlip: (delegated code, self/none code)})
    bands: tuple[tuple[int | None, dict[RefillSlip, tuple[str, str]]], ...]
    child_below_age: int  # 加成 applies to patient_age_years < this
    child_ratio: Decimal
    elderly_from_age: int
    elderly_ratio: Decimal


def _band(
    upper: int | None, plain: tuple[str, str], slip: tuple[str, str], slip28: tuple[str, str]
) -> tuple[int | None, dict[RefillSlip, tuple[str, str]]]:
    """One band: (delegated, self-or-none) codes without, with a 慢箋, with a ≥28-day 慢箋."""
    return upper, {RefillSlip.NONE: plain, RefillSlip.SLIP: slip, RefillSlip.SLIP_28: slip28}


CONSULTATION_RULES: tuple[Effective[ConsultParams], ...] = (
    Effective(
        rule_id="consult-primary-1050501",
        valid_from=date(2016, 5, 1),
        valid_to=None,
        source="支付標準 第二部第一章 第一節 基層院所門診診察費, 通則十二 (105.05.01)",
        params=ConsultParams(
            bands=(
                _band(30, ("00109C", "00110C"), ("00139C", "00140C"), ("00158C", "00159C")),
                _band(40, ("00223C", "00224C"), ("00139C", "00140C"), ("00158C", "00159C")),
                _band(60, ("00111C", "00112C"), ("00141C", "00142C"), ("00160C", "00161C")),
                _band(80, ("00113C", "00114C"), ("00143C", "00144C"), ("00162C", "00163C")),
                _band(150, ("00115C", "00116C"), ("00145C", "00146C"), ("00164C", "00165C")),
                _band(None, ("00117C", "00118C"), ("00147C", "00148C"), ("00166C", "00167C")),
            ),
            child_below_age=3,
            child_ratio=Decimal("120.00"),
            elderly_from_age=75,
            elderly_ratio=Decimal("107.50"),
        ),
    ),
)
check_no_overlap(CONSULTATION_RULES)


def consultation_fee_code(
    on: date,
    ordinal: int,
    dispensing: Dispensing,
    patient_age_years: int,
    *,
    refill_slip: RefillSlip = RefillSlip.NONE,
) -> FeeCode:
    """The 基層 一般門診診察費 code for the doctor's ``ordinal``-th visit of the day.

    ``dispensing``: ``"delegated"`` (處方交付特約藥局) → odd code; ``"self"`` (本院所自行調劑)
    or ``"none"`` (未開處方) → even code.
    """
    if ordinal < 1:
        raise ValidationFailed(field="ordinal", reason="not_positive")
    if patient_age_years < 0:
        raise ValidationFailed(field="patient_age_years", reason="negative")
    if dispensing not in ("self", "delegated", "none"):
        raise UnknownCode(field="dispensing", code=str(dispensing))
    if refill_slip is not RefillSlip.NONE and dispensing == "none":
        raise ValidationFailed(field="dispensing", reason="refill_slip_without_prescription")
    p = in_force(CONSULTATION_RULES, on, rule="consultation_fee").params
    for upper, codes in p.bands:
        if upper is None or ordinal <= upper:
            delegated, other = codes[refill_slip]
            code = delegated if dispensing == "delegated" else other
            break
    else:  # pragma: no cover - the last band is open-ended
        raise AssertionError("consultation band table has no open-ended last band")
    ratio = Decimal("100.00")
    if patient_age_years < p.child_below_age:
        ratio = p.child_ratio
    elif patient_age_years >= p.elderly_from_age:
        ratio = p.elderly_ratio
    return FeeCode(code=code, ratio_p8=ratio)


@dataclass(frozen=True, slots=True)
class PharmacyFeeParams:
    # {setting: {bucket: code}}; buckets: general (≤7 d), chronic ≤13, 14–27, ≥28 days
    codes: dict[str, dict[str, str]]
    first_tier_max: int  # 每人每日 80 件內
    first_tier_max_remote: int  # 山地離島 100
    second_tier_code: str  # 05234D, 81–100 (remote 101–120); not for physician self-dispensing
    second_tier_max: int
    second_tier_max_remote: int
    physician_daily_max: int  # 通則十一: 醫師親自調劑 ≤ 50 件/日
    general_max_days: int


def _buckets(general: str, c13: str, c27: str, c28: str) -> dict[str, str]:
    """一般 (≤7 天), 慢性病 ≤13 天, 14–27 天, ≥28 天."""
    return {"general": general, "c13": c13, "c27": c27, "c28": c28}


PHARMACY_FEE_RULES: tuple[Effective[PharmacyFeeParams], ...] = (
    Effective(
        rule_id="pharmacy-fee-1050501",
        valid_from=date(2016, 5, 1),
        valid_to=None,
        source="支付標準 第二部第一章 第六節 調劑, 門診藥事服務費 (診所及藥局部分), 通則十/十一",
        params=PharmacyFeeParams(
            codes={
                "pharmacy": _buckets("05202B", "05223B", "05206B", "05210B"),
                "clinic_pharmacist": _buckets("05203C", "05224C", "05207C", "05211C"),
                "clinic_physician": _buckets("05204D", "05225D", "05208D", "05212D"),
            },
            first_tier_max=80,
            first_tier_max_remote=100,
            second_tier_code="05234D",
            second_tier_max=100,
            second_tier_max_remote=120,
            physician_daily_max=50,
            general_max_days=7,
        ),
    ),
)
check_no_overlap(PHARMACY_FEE_RULES)


def pharmacy_service_fee_code(
    on: date,
    setting: PharmacySetting,
    prescription: PrescriptionKind,
    days: int,
    ordinal_of_day: int,
    *,
    remote_area: bool = False,
) -> str | None:
    """門診藥事服務費 code for the dispenser's ``ordinal_of_day``-th prescription, or ``None``.

    ``setting``: 特約藥局, 基層院所藥事人員調劑, or 基層院所醫師親自調劑. ``None`` means the fee
    may not be claimed (over the daily cap: 通則十 100 件 / 山地離島 120 件; 通則十一 a physician
    dispensing their own prescriptions, 50 件). Delegated (交付) visits never claim it at the
    prescribing clinic (第一節 註4, 第六節 通則五); the caller simply does not ask.
    """
    p = in_force(PHARMACY_FEE_RULES, on, rule="pharmacy_service_fee").params
    if setting not in p.codes:
        raise UnknownCode(field="setting", code=str(setting))
    if days < 1:
        raise ValidationFailed(field="days", reason="not_positive")
    if ordinal_of_day < 1:
        raise ValidationFailed(field="ordinal_of_day", reason="not_positive")
    if prescription == "general":
        if days > p.general_max_days:
            raise ValidationFailed(field="days", reason="general_over_7_days")
        bucket = "general"
    elif prescription == "chronic":
        bucket = "c13" if days <= 13 else "c27" if days <= 27 else "c28"
    else:
        raise UnknownCode(field="prescription", code=str(prescription))
    if setting == "clinic_physician":
        return p.codes[setting][bucket] if ordinal_of_day <= p.physician_daily_max else None
    first = p.first_tier_max_remote if remote_area else p.first_tier_max
    second = p.second_tier_max_remote if remote_area else p.second_tier_max
    if ordinal_of_day <= first:
        return p.codes[setting][bucket]
    if ordinal_of_day <= second:
        return p.second_tier_code
    return None


def _kinds() -> dict[str, FeeKind]:
    kinds: dict[str, FeeKind] = {}
    for row in CONSULTATION_RULES:
        for _upper, codes in row.params.bands:
            for pair in codes.values():
                kinds.update(dict.fromkeys(pair, FeeKind.CONSULTATION))
    for prow in PHARMACY_FEE_RULES:
        for bucket in prow.params.codes.values():
            kinds.update(dict.fromkeys(bucket.values(), FeeKind.PHARMACY_SERVICE))
        kinds[prow.params.second_tier_code] = FeeKind.PHARMACY_SERVICE
    return kinds


FEE_CODE_KINDS: dict[str, FeeKind] = _kinds()


def fee_kind(code: str) -> FeeKind:
    """Whether ``code`` is a consultation or a pharmacy service fee; :class:`UnknownCode` else."""
    found = FEE_CODE_KINDS.get(code.strip().upper())
    if found is None:
        raise UnknownCode(field="fee_code", code=code)
    return found


def order_category(code: str) -> Literal["0", "9"]:
    """Claims p3 醫令類別 for a fee code: ``'0'`` 診察費, ``'9'`` 藥事服務費."""
    return "0" if fee_kind(code) is FeeKind.CONSULTATION else "9"
