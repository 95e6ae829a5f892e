"""Code lists the IC upload checks use (each with its source).

* 就醫類別: spec 1041116 項次 9 (A23) list; 2.0 adds 09 (2.0 check codes AD01 "01~09") and 00
  (AD21 指定就醫 "就醫類別00").
* 異常就醫代碼: visit_codes.ABNORMAL_CODES (註9-1) plus IC89 / IC98 / IC09 from the 1041116
  A18 table.
* 醫令類別: 1.0 A72 list (項次 37); 2.0 adds M (釋出處方之未調劑藥品, check codes AA04 / D027).
* 1.0 A72 ↔ A78 pairs: 項次 43 (AD10–AD12).
* 2.0 處方調劑方式 M23: values named by check codes D011 / D027 / D036 / D056 (0 1 2 6 A–F).
* 給付類別 M51: data/nhi-code-tables/paytype.csv plus 6 / 7 / Y (EMPD code system, nhi.md §2) and
  U / W / X (named by 2.0 check codes AD41 / AD44 / AD72).
"""

from __future__ import annotations

from clinicbox_core.nhi.ic_upload.fields import Version
from clinicbox_core.nhi.visit_codes import ABNORMAL_CODES

__all__ = [
    "ABNORMAL_SEQ",
    "COUNTED_TYPES",
    "DISPENSING_V2",
    "ORDER_CLASSES",
    "OUTPATIENT_TYPES",
    "PAYMENT_CATEGORIES",
    "V1_CLASS_TO_A78",
    "VISIT_TYPES",
    "is_abnormal_seq",
]

_V1_TYPES = frozenset(
    [
        "01",
        "02",
        "03",
        "04",
        "05",
        "06",
        "07",
        "08",
        "AA",
        "AB",
        "AC",
        "AD",
        "AE",
        "AF",
        "AG",
        "AH",
        "AI",
        "BA",
        "BB",
        "BC",
        "BD",
        "BE",
        "BF",
        "CA",
        "DA",
        "DB",
        "DC",
        "ZA",
        "ZB",
    ]
)
VISIT_TYPES: dict[Version, frozenset[str]] = {
    Version.V1: _V1_TYPES,
    Version.V2: _V1_TYPES | {"09", "00"},
}
# 就醫類別 that take a counted 就醫序號 0001–1500 (1.0 AD01: 01~08; 2.0 AD01: 01~09).
COUNTED_TYPES: dict[Version, frozenset[str]] = {
    Version.V1: frozenset(f"{n:02d}" for n in range(1, 9)),
    Version.V2: frozenset(f"{n:02d}" for n in range(1, 10)),
}
# AH01 / AH03 / AH05: outpatient 就醫類別 (05 住院 excluded).
OUTPATIENT_TYPES: dict[Version, frozenset[str]] = {
    Version.V1: frozenset(["01", "02", "03", "04", "06", "07", "08"]),
    Version.V2: frozenset(["01", "02", "03", "04", "06", "07", "08", "09"]),
}
ABNORMAL_SEQ: frozenset[str] = frozenset(
    code
    for row in ABNORMAL_CODES.values()
    for code in (row.before_seq, row.after_seq)
    if code is not None
) | {"IC89", "IC98", "IC09"}

_V1_CLASSES = frozenset(["1", "2", "3", "4", "5", "A", "B", "C", "D", "E", "J", "K", "G", "H"])
ORDER_CLASSES: dict[Version, frozenset[str]] = {
    Version.V1: _V1_CLASSES,
    Version.V2: _V1_CLASSES | {"M"},
}
V1_CLASS_TO_A78: dict[str, tuple[frozenset[str], str]] = {
    **{c: (frozenset({"01", "02"}), "AD10") for c in ("1", "A")},
    **{c: (frozenset({"05", "06"}), "AD11") for c in ("2", "B")},
    **{c: (frozenset({"03", "04"}), "AD12") for c in ("3", "4", "5", "C", "D", "E")},
}
DISPENSING_V2 = frozenset(["0", "1", "2", "6", "A", "B", "C", "D", "E", "F"])
PAYMENT_CATEGORIES = frozenset(
    ["1", "2", "3", "4", "6", "7", "8", "9", "A", "B", "Y", "Z", "U", "W", "X"]
)


def is_abnormal_seq(seq: str | None) -> bool:
    return seq is not None and seq in ABNORMAL_SEQ
