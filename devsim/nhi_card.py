"""A virtual NHI card (健保卡): the APDU state machine a real card runs, with no I/O.

It answers exactly the commands a SAM-less PC/SC reader sends (shared/reference/nhi.md §1):
SELECT of the NHI AID, then ``READ 00 CA 11 00 02 00 00`` giving the 57-byte basic segment.
Two behaviours seen on real cards can be switched on: ``t0_get_response`` answers ``61 xx`` and
waits for GET RESPONSE (as a T=0 reader does), and ``select_answers_6d00`` reproduces the new
114/12 cards (Infineon SLJ52G) that refuse SELECT with ``6D 00`` yet still answer the READ.
:class:`ForeignCard` is some other smart card (a bank card, say) for the not-an-NHI-card path.

Plug either into pcscd with :class:`devsim.vpcd_slot.VirtualCardSlot` (re-exported here).
"""

from __future__ import annotations

from datetime import date

from clinicbox_core.nhi.card import AID, NhiCardBasic, encode_basic_data
from devsim.vpcd_slot import VirtualCardSlot, card_slot, inserted_card

__all__ = [
    "ATR_NHI",
    "ATR_NHI_SLJ52G",
    "ForeignCard",
    "VirtualCardSlot",
    "VirtualNhiCard",
    "card_slot",
    "demo_card",
    "inserted_card",
]

# ATRs of real NHI cards as listed in pcsc-tools' smartcard_list.txt.
ATR_NHI = bytes.fromhex("3BFC1800008131FE458073C8211366020403550002D2")
ATR_NHI_SLJ52G = bytes.fromhex("3BFD1800008131FE45534C4A35324778787979797A52AA")
ATR_FOREIGN = bytes.fromhex("3B6800000073C84000009000")

SW_OK = b"\x90\x00"
SW_WRONG_LENGTH = b"\x67\x00"
SW_CONDITIONS_NOT_SATISFIED = b"\x69\x85"
SW_FILE_NOT_FOUND = b"\x6a\x82"
SW_WRONG_P1P2 = b"\x6a\x86"
SW_INS_NOT_SUPPORTED = b"\x6d\x00"
SW_CLA_NOT_SUPPORTED = b"\x6e\x00"

INS_SELECT = 0xA4
INS_GET_DATA = 0xCA
INS_GET_RESPONSE = 0xC0


def demo_card() -> NhiCardBasic:
    """The card the demo inserts when nobody says otherwise."""
    return NhiCardBasic(
        card_no="000012345678",
        name="王小明",
        id_no="A123456789",
        birth_date=date(1990, 2, 15),
        sex="M",
        issue_date=date(2020, 1, 1),
    )


class VirtualNhiCard:
    """The card side of the NHI basic-data exchange; ``respond`` is pure apart from card state."""

    def __init__(
        self,
        card: NhiCardBasic,
        atr: bytes = ATR_NHI,
        *,
        t0_get_response: bool = False,
        select_answers_6d00: bool = False,
    ) -> None:
        self.card = card
        self._atr = atr
        self._basic = encode_basic_data(card)
        self.t0_get_response = t0_get_response
        self.select_answers_6d00 = select_answers_6d00
        self._selected = False
        self._pending = b""

    @property
    def atr(self) -> bytes:
        return self._atr

    @property
    def selected(self) -> bool:
        return self._selected

    def reset(self) -> None:
        self._selected = False
        self._pending = b""

    def respond(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            self._pending = b""
            return SW_WRONG_LENGTH
        cla, ins, p1, p2 = apdu[0], apdu[1], apdu[2], apdu[3]
        if cla != 0x00:
            self._pending = b""
            return SW_CLA_NOT_SUPPORTED
        if ins == INS_GET_RESPONSE:
            return self._get_response(apdu)
        self._pending = b""
        if ins == INS_SELECT:
            return self._select(p1, p2, apdu[4:])
        if ins == INS_GET_DATA:
            return self._read(p1, p2, apdu[4:])
        return SW_INS_NOT_SUPPORTED

    def _select(self, p1: int, p2: int, body: bytes) -> bytes:
        if self.select_answers_6d00:
            return SW_INS_NOT_SUPPORTED
        if p1 != 0x04 or p2 != 0x00:
            return SW_WRONG_P1P2
        if not body or len(body) < 1 + body[0]:
            return SW_WRONG_LENGTH
        aid = body[1 : 1 + body[0]]
        if aid != AID:
            self._selected = False
            return SW_FILE_NOT_FOUND
        self._selected = True
        return SW_OK

    def _read(self, p1: int, p2: int, body: bytes) -> bytes:
        if (p1, p2) != (0x11, 0x00):
            return SW_WRONG_P1P2
        if body[:3] != b"\x02\x00\x00":
            return SW_WRONG_LENGTH
        if not (self._selected or self.select_answers_6d00):
            return SW_CONDITIONS_NOT_SATISFIED
        if self.t0_get_response:
            self._pending = self._basic
            return bytes([0x61, len(self._basic)])
        return self._basic + SW_OK

    def _get_response(self, apdu: bytes) -> bytes:
        pending, self._pending = self._pending, b""
        if not pending:
            return SW_CONDITIONS_NOT_SATISFIED
        if apdu[2:4] != b"\x00\x00":
            return SW_WRONG_P1P2
        if len(apdu) != 5:
            return SW_WRONG_LENGTH
        wanted = apdu[4] or 256
        if wanted > len(pending):
            self._pending = pending
            return bytes([0x6C, len(pending)])
        chunk, rest = pending[:wanted], pending[wanted:]
        self._pending = rest
        if rest:
            return chunk + bytes([0x61, min(len(rest), 0xFF)])
        return chunk + SW_OK


class ForeignCard:
    """Any smart card that is not an NHI card: no NHI application, nothing to read."""

    def __init__(self, atr: bytes = ATR_FOREIGN) -> None:
        self._atr = atr

    @property
    def atr(self) -> bytes:
        return self._atr

    def reset(self) -> None:
        return None

    def respond(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            return SW_WRONG_LENGTH
        if apdu[0] != 0x00:
            return SW_CLA_NOT_SUPPORTED
        if apdu[1] == INS_SELECT:
            return SW_FILE_NOT_FOUND
        return SW_INS_NOT_SUPPORTED
