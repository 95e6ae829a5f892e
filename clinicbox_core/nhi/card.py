"""The NHI IC card's public basic-data segment (no SAM needed).

Layout of the 57-byte answer to ``READ 00 CA 11 00 02 00 00`` (shared/reference/nhi.md §1, [S1]):
``[0:12]`` card number ASCII, ``[12:32]`` name Big5 padded with NUL or spaces, ``[32:42]`` ID
number, ``[42:49]`` birth date ROC ``YYYMMDD``, ``[49]`` sex ``M``/``F``, ``[50:57]`` issue date.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from clinicbox_core.nhi.roc_date import format_roc_date, parse_roc_date

AID = bytes.fromhex("D1580000010000000000000000001100")
SELECT_APDU = bytes.fromhex("00A4040010") + AID + b"\x00"
READ_BASIC_APDU = bytes.fromhex("00CA110002 0000".replace(" ", ""))
BASIC_DATA_LEN = 57


class CardFormatError(ValueError):
    """The card answered, but not with a well-formed basic-data segment."""


class NhiCardBasic(BaseModel):
    """What any PC/SC reader can read from an NHI card without a SAM."""

    model_config = ConfigDict(frozen=True)

    card_no: str = Field(min_length=12, max_length=12)
    name: str = Field(min_length=1, max_length=10)
    id_no: str = Field(min_length=10, max_length=10)
    birth_date: date
    sex: str = Field(pattern="^[MF]$")
    issue_date: date


def parse_basic_data(raw: bytes) -> NhiCardBasic:
    """Decode the 57-byte basic segment; rare characters outside Big5 become U+FFFD."""
    if len(raw) != BASIC_DATA_LEN:
        raise CardFormatError(f"basic data must be {BASIC_DATA_LEN} bytes, got {len(raw)}")
    try:
        card_no = raw[0:12].decode("ascii")
        id_no = raw[32:42].decode("ascii")
        sex = raw[49:50].decode("ascii")
        birth = parse_roc_date(raw[42:49].decode("ascii"))
        issued = parse_roc_date(raw[50:57].decode("ascii"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CardFormatError(f"malformed basic data: {exc}") from exc
    name = raw[12:32].decode("big5", errors="replace").replace("\x00", "").strip()
    try:
        return NhiCardBasic(
            card_no=card_no, name=name, id_no=id_no, birth_date=birth, sex=sex, issue_date=issued
        )
    except ValueError as exc:
        raise CardFormatError(f"invalid basic data: {exc}") from exc


def encode_basic_data(card: NhiCardBasic) -> bytes:
    """The inverse of :func:`parse_basic_data` (what a card holds); used by the card emulator."""
    name = card.name.encode("big5")
    if len(name) > 20:
        raise CardFormatError("name longer than 20 Big5 bytes")
    out = (
        card.card_no.encode("ascii")
        + name.ljust(20, b"\x00")
        + card.id_no.encode("ascii")
        + format_roc_date(card.birth_date).encode("ascii")
        + card.sex.encode("ascii")
        + format_roc_date(card.issue_date).encode("ascii")
    )
    assert len(out) == BASIC_DATA_LEN
    return out
