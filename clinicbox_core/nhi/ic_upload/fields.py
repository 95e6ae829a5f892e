"""Field tables of the IC upload formats: id, zh-TW name, type, width.

Types: X text, 9 digits, S signed integer (fees), D decimal ``99999.9``.

Format 1.0: 健保卡資料上傳作業說明 104.11.16 (specs/nhi-card-upload-spec-1041116.txt), section A
(健保就醫資料) and 附件二 (XML 欄位 ID 對照表). Widths are the spec's ``X(n)`` / ``9(n)``;
A77 總量 is ``99999.9`` (five integer digits, one decimal).

Format 2.0: field ids and names from data/nhi-card/ic-upload-2.0-fields.csv (public code, 2024-04);
the official 2.0 document is not in our corpus, so **widths are assumed**: the 1.0 width of the
field with the same meaning (M02 = A11, M35 = A25, …), M14 安全簽章 256
(hisGetSeqNumber256 returns a 256-byte signature), M15/M16/M52 就醫識別碼 20
(hisGetSeqNumber256N1, nhi.md §1). Fields whose width no source gives are ``width=None``:
present in the model and the parser, unchecked for length.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

__all__ = [
    "FIELDS",
    "FieldSpec",
    "Segment",
    "Version",
    "field_spec",
    "segment_fields",
]

Kind = Literal["X", "9", "D", "S"]  # text, digits, decimal 99999.9, signed integer (fees)


class Version(StrEnum):
    V1 = "1.0"
    V2 = "2.0"


class Segment(StrEnum):
    MSH = "MSH"
    MB1 = "MB1"
    MB2 = "MB2"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    id: str
    zh: str
    kind: Kind
    width: int | None  # maximum length in bytes (Big5); None = no source gives it
    segment: Segment
    assumed: bool = False  # width not from an official document


def _f(
    fid: str, zh: str, kind: Kind, width: int | None, seg: Segment, assumed: bool = False
) -> FieldSpec:
    return FieldSpec(fid, zh, kind, width, seg, assumed)


_H, _1, _2 = Segment.MSH, Segment.MB1, Segment.MB2

V1_FIELDS: tuple[FieldSpec, ...] = (
    _f("A00", "資料型態", "9", 1, _H),
    _f("A01", "資料格式", "9", 1, _H),
    _f("A02", "就醫上傳版本", "X", 3, _H),
    _f("A11", "卡片號碼", "X", 12, _1),
    _f("A12", "身分證號或身分證明文件號碼", "X", 10, _1),
    _f("A13", "出生日期", "9", 7, _1),
    _f("A14", "醫事服務機構代碼", "X", 10, _1),
    _f("A15", "醫事人員代碼", "X", 10, _1),
    _f("A16", "安全模組代碼", "X", 12, _1),
    _f("A17", "就診日期時間", "9", 13, _1),
    _f("A18", "就醫序號", "X", 4, _1),
    _f("A19", "補卡註記", "9", 1, _1),
    _f("A20", "新生兒出生日期", "9", 7, _1),
    _f("A21", "新生兒胞胎註記", "9", 1, _1),
    _f("A22", "安全簽章", "X", 128, _1),
    _f("A23", "就醫類別", "X", 2, _1),
    _f("A24", "新生兒就醫註記", "X", 1, _1),
    _f("A25", "主要診斷碼", "X", 9, _1),
    _f("A26", "次要診斷碼一", "X", 9, _1),
    _f("A27", "次要診斷碼二", "X", 9, _1),
    _f("A28", "次要診斷碼三", "X", 9, _1),
    _f("A29", "次要診斷碼四", "X", 9, _1),
    _f("A30", "次要診斷碼五", "X", 9, _1),
    _f("A31", "門診醫療費用（當次）", "S", 8, _1),
    _f("A32", "門診部分負擔費用（當次）", "S", 8, _1),
    _f("A33", "住院醫療費用（當次）", "S", 8, _1),
    _f("A34", "住診部分負擔費用（30/180 天以下）", "S", 7, _1),
    _f("A35", "住診部分負擔費用（31/181 天以上）", "S", 7, _1),
    _f("A41", "保健服務項目註記", "X", 2, _1),
    _f("A42", "預防保健檢查日期", "9", 7, _1),
    _f("A43", "預防保健醫事服務機構代碼", "X", 10, _1),
    _f("A44", "預防保健檢查項目代號", "X", 2, _1),
    _f("A51", "孕婦產前檢查日期", "9", 7, _1),
    _f("A52", "孕婦產前檢查醫療院所代碼", "X", 10, _1),
    _f("A53", "孕婦產前檢查項目代碼", "X", 2, _1),
    _f("A54", "實際就醫（調劑或檢查）日期", "9", 7, _1),
    _f("A71", "醫令就診日期時間", "9", 13, _2),
    _f("A72", "醫令類別", "X", 1, _2),
    _f("A73", "診療項目代號", "X", 12, _2),
    _f("A74", "診療部位", "X", 6, _2),
    _f("A75", "用法", "X", 18, _2),
    _f("A76", "天數", "9", 2, _2),
    _f("A77", "總量", "D", 7, _2),
    _f("A78", "交付處方註記", "9", 2, _2),
    _f("A79", "處方簽章", "X", 40, _2),
    _f("A80", "過敏藥物上傳註記", "X", 1, _2),
    _f("A81", "過敏藥物", "X", 200, _2),
)  # fmt: skip

_A = True  # width assumed (see module docstring)
V2_FIELDS: tuple[FieldSpec, ...] = (
    _f("H00", "資料型態", "9", 1, _H, _A),
    _f("H01", "資料格式", "X", 1, _H, _A),
    _f("M01", "安全模組代碼", "X", 12, _1, _A),
    _f("M02", "卡片號碼", "X", 12, _1, _A),
    _f("M03", "身分證號或身分證明文件號碼", "X", 10, _1, _A),
    _f("M04", "出生日期", "9", 7, _1, _A),
    _f("M05", "醫療院所代碼", "X", 10, _1, _A),
    _f("M06", "醫事人員身分證號", "X", 10, _1, _A),
    _f("M07", "就醫類別", "X", 2, _1, _A),
    _f("M08", "新生兒出生日期", "9", 7, _1, _A),
    _f("M09", "新生兒胞胎註記", "9", 1, _1, _A),
    _f("M10", "新生兒就醫註記", "X", 1, _1, _A),
    _f("M11", "就診日期時間", "9", 13, _1, _A),
    _f("M12", "補卡註記", "9", 1, _1, _A),
    _f("M13", "就醫序號", "X", 4, _1, _A),
    _f("M14", "安全簽章", "X", 256, _1, _A),
    _f("M15", "就醫識別碼", "X", 20, _1, _A),
    _f("M16", "原就醫識別碼", "X", 20, _1, _A),
    _f("M17", "原處方服務機構代號", "X", 10, _1, _A),
    _f("M18", "原處方就醫序號", "X", 4, _1, _A),
    _f("M19", "原就診日期時間", "9", 13, _1, _A),
    _f("M20", "給藥日份", "9", 2, _1, _A),
    _f("M21", "慢性病連續處方箋總給藥日份", "9", 3, _1, _A),
    _f("M22", "管制藥品專用處方箋總給藥日份", "9", 3, _1, _A),
    _f("M23", "處方調劑方式", "X", 1, _1, _A),
    _f("M24", "可調劑次數 A 一般處方箋", "9", 1, _1, _A),
    _f("M25", "可調劑次數 B 慢性病處方箋", "9", 1, _1, _A),
    _f("M26", "可調劑次數 C 慢性病連續處方箋", "9", 1, _1, _A),
    _f("M27", "可調劑次數 D 管制藥品", "9", 1, _1, _A),
    _f("M28", "可調劑次數 E 管制藥品", "9", 1, _1, _A),
    _f("M29", "可調劑次數 F 管制藥品連續處方箋", "9", 1, _1, _A),
    _f("M30", "物理治療數量/已執行次數", "9", 2, _1, _A),
    _f("M31", "職能治療數量/已執行次數", "9", 2, _1, _A),
    _f("M32", "語言治療數量/已執行次數", "9", 2, _1, _A),
    _f("M33", "已調劑連續處方箋次數", "9", 1, _1, _A),
    _f("M34", "已調劑管制藥品連續處方箋次數", "9", 1, _1, _A),
    _f("M35", "主要診斷碼", "X", 9, _1, _A),
    _f("M36", "次要診斷碼一", "X", 9, _1, _A),
    _f("M37", "次要診斷碼二", "X", 9, _1, _A),
    _f("M38", "次要診斷碼三", "X", 9, _1, _A),
    _f("M39", "次要診斷碼四", "X", 9, _1, _A),
    _f("M40", "次要診斷碼五", "X", 9, _1, _A),
    _f("M41", "主手術（處置）代碼", "X", 9, _1, _A),
    _f("M42", "次手術（處置）代碼一", "X", 9, _1, _A),
    _f("M43", "次手術（處置）代碼二", "X", 9, _1, _A),
    _f("M44", "門診醫療費用（當次）", "S", 8, _1, _A),
    _f("M45", "門診部分負擔費用", "S", 8, _1, _A),
    _f("M46", "住院醫療費用（當次）", "S", 8, _1, _A),
    _f("M47", "住院部分負擔費用", "S", 7, _1, _A),
    _f("M48", "住院部分負擔費用（長期）", "S", 7, _1, _A),
    _f("M49", "實際就醫（調劑或檢查）日期", "9", 13, _1, _A),
    _f("M50", "病床號", "X", None, _1, _A),
    _f("M51", "給付類別", "X", 1, _1, _A),
    _f("M52", "原就醫識別碼（補卡）", "X", 20, _1, _A),
    _f("M53", "部分負擔-2（診察）", "S", 8, _1, _A),
    _f("M54", "部分負擔-3（藥品）", "S", 8, _1, _A),
    _f("M55", "部分負擔-4", "S", 8, _1, _A),
    _f("M56", "醫事類別", "X", 2, _1, _A),
    _f("D01", "就診日期時間", "9", 13, _2, _A),
    _f("D02", "醫令類別", "X", 1, _2, _A),
    _f("D03", "醫令序號", "9", 3, _2, _A),
    _f("D04", "處方種類", "X", 1, _2, _A),
    _f("D05", "醫令調劑方式", "X", 1, _2, _A),
    _f("D06", "診療項目代號", "X", 12, _2, _A),
    _f("D07", "診療部位", "X", 6, _2, _A),
    _f("D08", "用法（藥品使用頻率）", "X", 18, _2, _A),
    _f("D09", "天數", "9", 2, _2, _A),
    _f("D10", "總量", "D", 7, _2, _A),
    _f("D11", "處方簽章", "X", 40, _2, _A),
    _f("D12", "委託或受託執行轉（代）檢醫事機構代號", "X", 10, _2, _A),
    _f("D13", "藥品批號", "X", 20, _2, _A),
    _f("D14", "給藥途徑/作用部位", "X", 6, _2, _A),
    _f("D15", "備註說明", "X", None, _2, _A),
)  # fmt: skip

FIELDS: dict[Version, dict[str, FieldSpec]] = {
    Version.V1: {f.id: f for f in V1_FIELDS},
    Version.V2: {f.id: f for f in V2_FIELDS},
}


def field_spec(version: Version, field_id: str) -> FieldSpec | None:
    return FIELDS[version].get(field_id)


def segment_fields(version: Version, segment: Segment) -> tuple[str, ...]:
    """Field ids of ``segment`` in table order (the order the writer emits them)."""
    return tuple(f.id for f in FIELDS[version].values() if f.segment is segment)
