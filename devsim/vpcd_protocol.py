"""The wire protocol between vsmartcard's vpcd reader driver and a virtual card (vicc).

Kept apart from any particular card so the framing can be tested on its own: every message in
either direction is a 2-byte big-endian length followed by the payload. From vpcd to the card a
1-byte payload is a control message (:class:`Control`); anything longer is a command APDU, which
the card answers with a response APDU. A :class:`VirtualCard` is what the slot serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from enum import IntEnum
from typing import Protocol

MAX_FRAME = 0xFFFF


class Control(IntEnum):
    """One-byte control messages vpcd sends to the card."""

    POWER_OFF = 0
    POWER_ON = 1
    RESET = 2
    GET_ATR = 4


class CardPulled(Exception):
    """Raised by ``respond`` to simulate the card leaving the reader in the middle of a command:
    the slot then drops the connection without answering."""


class VirtualCard(Protocol):
    """A card as vpcd sees it: an ATR, a power/reset hook and an APDU responder."""

    @property
    def atr(self) -> bytes: ...

    def reset(self) -> None:
        """Power off, power on or warm reset: forget selections and pending responses."""

    def respond(self, apdu: bytes) -> bytes:
        """Answer one command APDU with a response APDU (data + SW1 SW2)."""


def frame(payload: bytes) -> bytes:
    """Prefix ``payload`` with its 2-byte big-endian length."""
    if len(payload) > MAX_FRAME:
        raise ValueError(f"vpcd frame too long: {len(payload)} bytes")
    return struct.pack(">H", len(payload)) + payload


class SocketOptions(Protocol):
    """What we need of a socket (``socket.socket`` or asyncio's ``TransportSocket``)."""

    def setsockopt(self, level: int, optname: int, value: int, /) -> None: ...


async def read_frame(reader: asyncio.StreamReader, sock: SocketOptions | None = None) -> bytes:
    """Read one framed message; raises ``asyncio.IncompleteReadError`` when vpcd hangs up.

    vpcd writes the length and the payload with two ``send`` calls and leaves Nagle on, so the
    payload waits for our ACK of the length, which Linux delays by ~40 ms. Passing ``sock``
    acknowledges at once (TCP_QUICKACK) after each piece: an APDU then takes ~1 ms, not ~42.
    """
    header = await reader.readexactly(2)
    _quickack(sock)
    (length,) = struct.unpack(">H", header)
    payload = await reader.readexactly(length) if length else b""
    _quickack(sock)
    return payload


def _quickack(sock: SocketOptions | None) -> None:
    if sock is not None and hasattr(socket, "TCP_QUICKACK"):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)


def answer(card: VirtualCard, message: bytes) -> bytes | None:
    """What the card sends back for one message from vpcd (``None``: nothing to send)."""
    if len(message) == 1:
        code = message[0]
        if code == Control.GET_ATR:
            return card.atr
        if code in (Control.POWER_OFF, Control.POWER_ON, Control.RESET):
            card.reset()
        return None
    return card.respond(message)
