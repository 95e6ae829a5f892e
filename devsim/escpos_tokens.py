"""Split an ESC/POS byte stream into commands, resumably, without ever raising on bad input.

The virtual printer must answer real-time status requests (DLE EOT n) while a job is still
arriving, and must find job boundaries (GS V cut) as they pass, so the stream is tokenized
incrementally: ``tokenize(buf, pos, final=False)`` stops before a command whose bytes have not all
arrived and says where to resume. With ``final=True`` a truncated command becomes an ``Unknown``
token. Every byte lands in exactly one token, so a job can be cut out of the buffer by offsets.

Lengths follow the Epson ESC/POS reference for the TM-T88 family. Commands the printer knows but
that do not change what the simulator draws become ``Ignored``; anything else becomes ``Unknown``
and is reported as a warning by the parser, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
LF, CR, HT = 0x0A, 0x0D, 0x09


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Text(Token):
    data: bytes


@dataclass(frozen=True, slots=True)
class LineFeed(Token):
    pass


@dataclass(frozen=True, slots=True)
class Command(Token):
    """A command with fixed arguments, named like the reference (``"ESC !"``)."""

    name: str
    args: bytes


@dataclass(frozen=True, slots=True)
class Raster(Token):
    """GS v 0: ``mode`` 0..3 (double width / height bits), then packed rows, 1 bit = black dot."""

    mode: int
    width_bytes: int
    height: int
    data: bytes


@dataclass(frozen=True, slots=True)
class TwoD(Token):
    """GS ( k: a 2D code function; ``cn`` 49 is QR, ``fn`` 65..82 the function."""

    cn: int
    fn: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class StatusRequest(Token):
    """DLE EOT n: the host asks for a real-time status byte."""

    n: int


@dataclass(frozen=True, slots=True)
class Ignored(Token):
    name: str


@dataclass(frozen=True, slots=True)
class Unknown(Token):
    reason: str


# Second byte -> number of argument bytes, for commands with fixed lengths.
_ESC_FIXED = {
    ord("@"): 0,
    ord("!"): 1,
    ord("E"): 1,
    ord("a"): 1,
    ord("-"): 1,
    ord("M"): 1,
    ord("t"): 1,
    ord("d"): 1,
    ord("J"): 1,
    ord("G"): 1,
    ord("2"): 0,
    ord("3"): 1,
    ord("R"): 1,
    ord("{"): 1,
    ord("V"): 1,
    ord("U"): 1,
    ord("r"): 1,
    ord(" "): 1,
    ord("e"): 1,
    ord("="): 1,
    ord("%"): 1,
    ord("?"): 1,
    ord("T"): 1,
    ord("L"): 0,
    ord("S"): 0,
    ord("<"): 0,
    ord("$"): 2,
    ord("\\"): 2,
    ord("W"): 8,
    ord("p"): 3,
    ord("c"): 2,
    ord("i"): 0,
    ord("m"): 0,
}
_GS_FIXED = {
    ord("!"): 1,
    ord("B"): 1,
    ord("H"): 1,
    ord("h"): 1,
    ord("w"): 1,
    ord("f"): 1,
    ord("a"): 1,
    ord("r"): 1,
    ord("I"): 1,
    ord("b"): 1,
    ord("L"): 2,
    ord("W"): 2,
    ord("$"): 2,
    ord("\\"): 2,
    ord("P"): 2,
}
_FS_FIXED = {
    ord("&"): 0,
    ord("."): 0,
    ord("!"): 1,
    ord("-"): 1,
    ord("C"): 1,
    ord("W"): 1,
    ord("S"): 2,
    ord("p"): 2,
}
_DLE_DC4_ARGS = {1: 2, 2: 2, 7: 1, 8: 7}


class _Incomplete(Exception):
    """The command starting at ``pos`` needs bytes that have not arrived yet."""


def tokenize(buf: bytes, pos: int = 0, *, final: bool = True) -> tuple[list[Token], int]:
    """Tokens of ``buf[pos:]`` and the offset to resume from (``len(buf)`` when ``final``)."""
    tokens: list[Token] = []
    size = len(buf)
    while pos < size:
        try:
            token = _next(buf, pos)
        except _Incomplete:
            if not final:
                break
            token = Unknown(pos, size, f"truncated command 0x{buf[pos]:02x} at byte {pos}")
        tokens.append(token)
        pos = token.end
    return tokens, pos


def _need(buf: bytes, end: int) -> None:
    if end > len(buf):
        raise _Incomplete


def _next(buf: bytes, pos: int) -> Token:
    byte = buf[pos]
    if byte >= 0x20:
        end = pos + 1
        while end < len(buf) and buf[end] >= 0x20:
            end += 1
        return Text(pos, end, buf[pos:end])
    if byte == LF:
        return LineFeed(pos, pos + 1)
    if byte == HT:
        return Text(pos, pos + 1, b" ")
    if byte in (CR, 0x0C, 0x18, 0x00):
        return Ignored(pos, pos + 1, f"0x{byte:02x}")
    if byte == ESC:
        return _esc(buf, pos)
    if byte == GS:
        return _gs(buf, pos)
    if byte == FS:
        return _fixed(buf, pos, "FS", _FS_FIXED)
    if byte == DLE:
        return _dle(buf, pos)
    return Unknown(pos, pos + 1, f"control byte 0x{byte:02x} at byte {pos}")


def _fixed(buf: bytes, pos: int, prefix: str, table: dict[int, int]) -> Token:
    _need(buf, pos + 2)
    second = buf[pos + 1]
    if second not in table:
        return Unknown(pos, pos + 2, f"unknown {prefix} 0x{second:02x} at byte {pos}")
    end = pos + 2 + table[second]
    _need(buf, end)
    return Command(pos, end, f"{prefix} {chr(second)}", buf[pos + 2 : end])


def _esc(buf: bytes, pos: int) -> Token:
    _need(buf, pos + 2)
    if buf[pos + 1] == ord("*"):  # ESC * m nL nH d1..dk: column bit image
        _need(buf, pos + 5)
        m, dots = buf[pos + 2], buf[pos + 3] | buf[pos + 4] << 8
        end = pos + 5 + dots * (1 if m in (0, 1) else 3)
        _need(buf, end)
        return Ignored(pos, end, "ESC * bit image (not drawn)")
    return _fixed(buf, pos, "ESC", _ESC_FIXED)


def _gs(buf: bytes, pos: int) -> Token:
    _need(buf, pos + 2)
    second = buf[pos + 1]
    if second == ord("v"):
        _need(buf, pos + 8)
        if buf[pos + 2] != ord("0"):
            return Unknown(pos, pos + 3, f"unknown GS v 0x{buf[pos + 2]:02x} at byte {pos}")
        mode = buf[pos + 3]
        width_bytes = buf[pos + 4] | buf[pos + 5] << 8
        height = buf[pos + 6] | buf[pos + 7] << 8
        end = pos + 8 + width_bytes * height
        _need(buf, end)
        return Raster(pos, end, mode, width_bytes, height, buf[pos + 8 : end])
    if second == ord("("):  # GS ( f pL pH payload
        _need(buf, pos + 5)
        function = buf[pos + 2]
        end = pos + 5 + (buf[pos + 3] | buf[pos + 4] << 8)
        _need(buf, end)
        if function == ord("k") and end - pos >= 7:
            return TwoD(pos, end, buf[pos + 5], buf[pos + 6], buf[pos + 7 : end])
        return Ignored(pos, end, f"GS ( {chr(function)} (not drawn)")
    if second == ord("8"):  # GS 8 L p1..p4 payload: large graphics
        _need(buf, pos + 7)
        end = pos + 7 + int.from_bytes(buf[pos + 3 : pos + 7], "little")
        _need(buf, end)
        return Ignored(pos, end, "GS 8 L graphics (not drawn)")
    if second == ord("V"):
        _need(buf, pos + 3)
        end = pos + 3 if buf[pos + 2] in (0, 1, 48, 49) else pos + 4
        _need(buf, end)
        return Command(pos, end, "GS V", buf[pos + 2 : end])
    if second == ord("k"):  # barcode: NUL-terminated (m <= 6) or counted (m >= 65)
        _need(buf, pos + 3)
        m = buf[pos + 2]
        if m <= 6:
            nul = buf.find(b"\x00", pos + 3)
            if nul < 0:
                raise _Incomplete
            return Ignored(pos, nul + 1, "GS k barcode (not drawn)")
        _need(buf, pos + 4)
        end = pos + 4 + buf[pos + 3]
        _need(buf, end)
        return Ignored(pos, end, "GS k barcode (not drawn)")
    return _fixed(buf, pos, "GS", _GS_FIXED)


def _dle(buf: bytes, pos: int) -> Token:
    _need(buf, pos + 2)
    second = buf[pos + 1]
    if second == 0x04:
        _need(buf, pos + 3)
        return StatusRequest(pos, pos + 3, buf[pos + 2])
    if second == 0x05:
        _need(buf, pos + 3)
        return Ignored(pos, pos + 3, "DLE ENQ")
    if second == 0x14:
        _need(buf, pos + 3)
        end = pos + 3 + _DLE_DC4_ARGS.get(buf[pos + 2], 0)
        _need(buf, end)
        return Ignored(pos, end, "DLE DC4")
    return Unknown(pos, pos + 1, f"DLE followed by 0x{second:02x} at byte {pos}")
