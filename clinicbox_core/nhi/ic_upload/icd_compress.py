"""ICD-10-CM → the 5-character code written on the NHI card (讀卡機控制軟體 押碼規則 1030812).

Rule (specs/nhi-csapi-icd10-compress-rules-1030812.txt): codes longer than 5 bytes, or starting
with V or E, are replaced by a 5-character code from the NHI table (data/nhi-card/
icd10-card-compress-map-1030812.csv: 2-character category from reserved punctuation + 3-character
detail); every other code is written as is. The table is data: the caller loads it (I/O) and
passes it in. The upload file itself carries the uncompressed code (see :mod:`.build`).
"""

from __future__ import annotations

from collections.abc import Mapping

from clinicbox_core.nhi.errors import UnknownCode

__all__ = ["CARD_CODE_WIDTH", "compress_icd10", "expand_card_code", "needs_compression"]

CARD_CODE_WIDTH = 5


def _clean(code: str) -> str:
    return code.replace(".", "").strip().upper()


def needs_compression(code: str) -> bool:
    clean = _clean(code)
    return len(clean) > CARD_CODE_WIDTH or clean[:1] in ("V", "E")


def compress_icd10(code: str, table: Mapping[str, str]) -> str:
    """Card code of ``code``; :class:`UnknownCode` when needed and absent from in ``table``."""
    clean = _clean(code)
    if not needs_compression(clean):
        return clean
    found = table.get(clean)
    if found is None:
        raise UnknownCode(field="icd10_card_code", code=clean)
    return found


def expand_card_code(card_code: str, reverse: Mapping[str, str]) -> str:
    """The ICD-10 code a card code stands for (``reverse`` = the table inverted)."""
    return reverse.get(card_code, card_code)
