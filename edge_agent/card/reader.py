"""Read one NHI card through PC/SC (pyscard); blocking, so it runs in a worker thread.

This is the pyscard boundary: every PC/SC failure becomes a :class:`CardReadError` or
:class:`PcscUnavailable`. The card is opened ``SCARD_SHARE_SHARED`` and left with
``SCARD_LEAVE_CARD`` (never reset), so the NHI control software or another HIS on the same
reader is not disturbed; SELECT and READ run inside one transaction so nobody interleaves.
"""

from __future__ import annotations

import time

from smartcard import scard

from clinicbox_core.nhi.card import NhiCardBasic
from edge_agent.card.apdu import read_basic_data
from edge_agent.card.errors import CardReadError, CardReadReason, PcscUnavailable

_GONE = (scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD)
# A removal shows up at pcscd's next poll of the driver (every 400 ms); allow for a loaded machine.
REMOVAL_SETTLE_MS = 2500


def _message(hresult: int) -> str:
    return f"{scard.SCardGetErrorMessage(hresult)} (0x{hresult & 0xFFFFFFFF:08X})"


def establish_context() -> int:
    """A new PC/SC context; raises :class:`PcscUnavailable` when pcscd does not answer."""
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        raise PcscUnavailable(detail=_message(hresult))
    return int(context)


def read_card(reader: str) -> NhiCardBasic:
    """Connect to the card in ``reader``, read its basic data, leave it as it was."""
    context = establish_context()
    try:
        return _read_with_context(context, reader)
    finally:
        scard.SCardReleaseContext(context)


def _read_with_context(context: int, reader: str) -> NhiCardBasic:
    hresult, hcard, protocol = scard.SCardConnect(
        context,
        reader,
        scard.SCARD_SHARE_SHARED,
        scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
    )
    if hresult in _GONE:
        raise CardReadError(CardReadReason.REMOVED_DURING_READ, reader=reader, step="connect")
    if hresult != scard.SCARD_S_SUCCESS:
        raise CardReadError(
            CardReadReason.READ_FAILED, reader=reader, step="connect", detail=_message(hresult)
        )
    try:
        hresult = scard.SCardBeginTransaction(hcard)
        if hresult in _GONE:
            raise CardReadError(CardReadReason.REMOVED_DURING_READ, reader=reader)
        if hresult != scard.SCARD_S_SUCCESS:
            raise CardReadError(CardReadReason.READ_FAILED, reader=reader, detail=_message(hresult))

        def transmit(command: bytes) -> bytes:
            result, response = scard.SCardTransmit(hcard, protocol, list(command))
            if result == scard.SCARD_S_SUCCESS:
                # vpcd answers "success, no bytes" when the card vanished mid-command; a short
                # answer from a card still there is passed on (read_basic_data rejects it)
                if len(response) >= 2 or not _went_empty(context, reader):
                    return bytes(response)
                raise CardReadError(CardReadReason.REMOVED_DURING_READ, reader=reader)
            if result in _GONE or _went_empty(context, reader):
                raise CardReadError(CardReadReason.REMOVED_DURING_READ, reader=reader)
            raise CardReadError(CardReadReason.READ_FAILED, reader=reader, detail=_message(result))

        try:
            return read_basic_data(transmit)
        except CardReadError as exc:
            exc.params.setdefault("reader", reader)
            raise
        finally:
            scard.SCardEndTransaction(hcard, scard.SCARD_LEAVE_CARD)
    finally:
        scard.SCardDisconnect(hcard, scard.SCARD_LEAVE_CARD)


def _went_empty(context: int, reader: str) -> bool:
    """After a failed transmit: did the card leave (as pcscd will see on its next poll)?"""
    deadline = time.monotonic() + REMOVAL_SETTLE_MS / 1000
    known = scard.SCARD_STATE_UNAWARE
    while True:
        wait_ms = 0 if known == scard.SCARD_STATE_UNAWARE else REMOVAL_SETTLE_MS
        remaining = int((deadline - time.monotonic()) * 1000)
        if known != scard.SCARD_STATE_UNAWARE and remaining <= 0:
            return False
        hresult, states = scard.SCardGetStatusChange(
            context, min(wait_ms, max(remaining, 0)), [(reader, known)]
        )
        if hresult == scard.SCARD_E_TIMEOUT:
            return False
        if hresult != scard.SCARD_S_SUCCESS:
            return True  # the reader itself is gone
        known = states[0][1] & ~scard.SCARD_STATE_CHANGED
        if not known & scard.SCARD_STATE_PRESENT:
            return True
