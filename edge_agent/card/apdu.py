"""The NHI basic-data exchange as pure APDU logic, independent of pyscard.

``read_basic_data(transmit)`` drives any ``transmit(command) -> response`` function: the real
reader (edge_agent.card.reader) or, in unit tests, the card emulator's ``respond`` directly.
It follows what real readers and cards do (shared/reference/nhi.md §1):

- ``61 xx``: more data waiting; fetch it with GET RESPONSE ``00 C0 00 00 xx`` (T=0 readers).
- ``6C xx``: wrong Le; repeat the same command with Le = ``xx``.
- SELECT answered ``6D 00``: new 114/12 cards (SLJ52G) do this yet answer the READ; still try.
"""

from __future__ import annotations

from collections.abc import Callable

from clinicbox_core.nhi.card import (
    READ_BASIC_APDU,
    SELECT_APDU,
    CardFormatError,
    NhiCardBasic,
    parse_basic_data,
)
from edge_agent.card.errors import CardReadError, CardReadReason

Transmit = Callable[[bytes], bytes]

SW_OK = 0x9000
SW_INS_NOT_SUPPORTED = 0x6D00
MAX_CHAINED_RESPONSES = 16  # 16 x 256 bytes is far beyond any answer we ask for


def with_le(command: bytes, le: int) -> bytes:
    """``command`` with its expected length set to ``le`` (added, or replacing the old one)."""
    if len(command) < 4:
        raise ValueError("an APDU has at least 4 header bytes")
    if len(command) == 4:
        return command + bytes([le])
    if len(command) == 5:  # case 2: the fifth byte already is Le
        return command[:4] + bytes([le])
    lc = command[4]
    body_end = 5 + lc
    return command[:body_end] + bytes([le])


def transceive(transmit: Transmit, command: bytes) -> tuple[bytes, int]:
    """Send ``command``; follow ``61xx``/``6Cxx``; return the whole data and the final SW."""
    response = _checked(transmit(command))
    data = b""
    for _ in range(MAX_CHAINED_RESPONSES):
        sw1, sw2 = response[-2], response[-1]
        if sw1 == 0x6C:
            response = _checked(transmit(with_le(command, sw2)))
            continue
        data += response[:-2]
        if sw1 != 0x61:
            return data, (sw1 << 8) | sw2
        response = _checked(transmit(bytes([0x00, 0xC0, 0x00, 0x00, sw2])))
    raise CardReadError(
        CardReadReason.READ_FAILED, detail="card kept answering 61xx/6Cxx", apdu=command.hex()
    )


def _checked(response: bytes) -> bytes:
    if len(response) < 2:
        raise CardReadError(
            CardReadReason.READ_FAILED, detail=f"response without status word: {response.hex()}"
        )
    return response


def read_basic_data(transmit: Transmit) -> NhiCardBasic:
    """SELECT the NHI application and READ the 57-byte basic segment."""
    _, sw = transceive(transmit, SELECT_APDU)
    if sw not in (SW_OK, SW_INS_NOT_SUPPORTED):
        raise CardReadError(CardReadReason.NOT_NHI_CARD, sw=f"{sw:04X}", step="select")
    # After a refused SELECT the card is only an NHI card if the READ itself works.
    failure = CardReadReason.READ_FAILED if sw == SW_OK else CardReadReason.NOT_NHI_CARD
    data, sw = transceive(transmit, READ_BASIC_APDU)
    if sw != SW_OK:
        raise CardReadError(failure, sw=f"{sw:04X}", step="read")
    try:
        return parse_basic_data(data)
    except CardFormatError as exc:
        raise CardReadError(failure, step="parse", detail=str(exc)) from exc
