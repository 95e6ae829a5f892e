"""Typed model of one IC upload file: records (MSH + MB1 + MB2s) of format 1.0 or 2.0.

A record keeps its fields by XML id (``M11`` → text), because that is what the NHI checks and
reports against; :class:`Profile` names the ids each version uses for the same meaning, so rules
and builders are written once (``profile.visit_time`` is ``A17`` in 1.0, ``M11`` in 2.0).

資料格式 (record kind): 1.0 ``A01`` 1 正常 / 2 異常 / 3 補正-正常 / 4 補正-異常 (spec 1041116 §二).
2.0 ``H01``: ``A`` 正常 / ``B`` 異常 per public code (picacat/pymedical ic_upload_xml_2.py,
which maps the old 1/3 → A and 2/4 → B); the 2.0 check-code table (Y009/Y010) still names 補正
as ``H01=3`` / ``H01=4``, so we write corrections as 3 / 4 and read 1 / 2 as 正常 / 異常
(assumption, see docs/nhi-ic-upload.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from clinicbox_core.nhi.ic_upload.fields import Version

__all__ = [
    "PROFILES",
    "IcOrder",
    "IcRecord",
    "Profile",
    "RecordKey",
    "RecordKind",
    "UploadFile",
    "header_code",
    "kind_from_header",
]


class RecordKind(StrEnum):
    NORMAL = "normal"  # 正常上傳
    ABNORMAL = "abnormal"  # 異常上傳
    CORRECTION_NORMAL = "correction_normal"  # 補正上傳（正常資料）
    CORRECTION_ABNORMAL = "correction_abnormal"  # 補正上傳（異常資料）

    @property
    def abnormal(self) -> bool:
        return self in (RecordKind.ABNORMAL, RecordKind.CORRECTION_ABNORMAL)

    @property
    def correction(self) -> bool:
        return self in (RecordKind.CORRECTION_NORMAL, RecordKind.CORRECTION_ABNORMAL)

    def corrected(self) -> RecordKind:
        """The 補正 kind a rejected record of this kind is re-sent as."""
        return RecordKind.CORRECTION_ABNORMAL if self.abnormal else RecordKind.CORRECTION_NORMAL


_HEADER_CODES: dict[Version, dict[RecordKind, str]] = {
    Version.V1: {
        RecordKind.NORMAL: "1", RecordKind.ABNORMAL: "2",
        RecordKind.CORRECTION_NORMAL: "3", RecordKind.CORRECTION_ABNORMAL: "4",
    },
    Version.V2: {
        RecordKind.NORMAL: "A", RecordKind.ABNORMAL: "B",
        RecordKind.CORRECTION_NORMAL: "3", RecordKind.CORRECTION_ABNORMAL: "4",
    },
}  # fmt: skip
_HEADER_ALIASES: dict[Version, dict[str, RecordKind]] = {
    Version.V1: {v: k for k, v in _HEADER_CODES[Version.V1].items()},
    Version.V2: {
        **{v: k for k, v in _HEADER_CODES[Version.V2].items()},
        "1": RecordKind.NORMAL,
        "2": RecordKind.ABNORMAL,
    },
}


def header_code(version: Version, kind: RecordKind) -> str:
    """A01 / H01 text for ``kind``."""
    return _HEADER_CODES[version][kind]


def kind_from_header(version: Version, code: str) -> RecordKind | None:
    """The record kind an A01 / H01 value means, ``None`` when it is not a known code."""
    return _HEADER_ALIASES[version].get(code)


@dataclass(frozen=True, slots=True)
class Profile:
    """Field ids of one version by meaning."""

    version: Version
    data_type: str  # 資料型態 (1 健保就醫資料)
    data_format: str  # 資料格式
    upload_version: str | None  # 1.0 only: A02
    sam: str
    card_no: str
    id_number: str
    birth_date: str
    hospital: str
    doctor: str
    visit_type: str
    visit_time: str
    after_check: str  # 補卡註記
    seq: str
    signature: str
    treatment_id: str | None  # 2.0 M15 就醫識別碼
    newborn_birth: str
    newborn_twins: str
    newborn_mark: str
    diagnoses: tuple[str, ...]
    fee: str
    copay: str
    inpatient_fee: str
    actual_date: str
    payment_category: str | None
    order_time: str
    order_class: str
    order_seq: str | None
    order_code: str
    order_frequency: str
    order_days: str
    order_quantity: str
    order_signature: str
    never_when_abnormal: tuple[str, ...]  # "~" for 資料格式 2/4
    never_when_abnormal_order: tuple[str, ...]


V1 = Profile(
    Version.V1, "A00", "A01", "A02", "A16", "A11", "A12", "A13", "A14", "A15", "A23", "A17",
    "A19", "A18", "A22", None, "A20", "A21", "A24",
    ("A25", "A26", "A27", "A28", "A29", "A30"), "A31", "A32", "A33", "A54", None,
    "A71", "A72", None, "A73", "A75", "A76", "A77", "A79",
    ("A16", "A11", "A22"), ("A79",),
)  # fmt: skip
V2 = Profile(
    Version.V2, "H00", "H01", None, "M01", "M02", "M03", "M04", "M05", "M06", "M07", "M11",
    "M12", "M13", "M14", "M15", "M08", "M09", "M10",
    ("M35", "M36", "M37", "M38", "M39", "M40"), "M44", "M45", "M46", "M49", "M51",
    "D01", "D02", "D03", "D06", "D08", "D09", "D10", "D11",
    ("M01", "M02", "M14"), ("D11",),
)  # fmt: skip
PROFILES: dict[Version, Profile] = {Version.V1: V1, Version.V2: V2}


@dataclass(frozen=True, slots=True)
class RecordKey:
    """What NHI keys a record on (C001 鍵值資料已存在): person, clinic, visit date-time."""

    id_number: str
    hospital: str
    visit_time: str  # ROC YYYMMDDHHMMSS as written


@dataclass(frozen=True, slots=True)
class IcOrder:
    """One MB2 (醫令) segment: field id → text, in the order the file had them."""

    fields: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class IcRecord:
    """One REC: version, kind (from A01/H01), MB1 fields and the MB2 orders."""

    version: Version
    kind: RecordKind
    mb1: Mapping[str, str]
    orders: tuple[IcOrder, ...] = ()
    header: Mapping[str, str] = field(default_factory=dict)  # the MSH as written

    @property
    def profile(self) -> Profile:
        return PROFILES[self.version]

    def get(self, field_id: str | None) -> str | None:
        return None if field_id is None else self.mb1.get(field_id)

    @property
    def key(self) -> RecordKey:
        p = self.profile
        return RecordKey(
            self.mb1.get(p.id_number, ""), self.mb1.get(p.hospital, ""),
            self.mb1.get(p.visit_time, ""),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class UploadFile:
    """A whole upload: one ``<RECS>`` of records (all of one version)."""

    version: Version
    records: tuple[IcRecord, ...]
