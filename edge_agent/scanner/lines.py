"""Splitting a scanner's byte stream into scanned codes.

A serial (or USB-CDC) barcode scanner sends each code as ASCII followed by CR, LF or CR LF.
Bytes arrive in arbitrary chunks. Outside input: a line with a non-printable or non-ASCII byte
is dropped whole (a garbled scan must not become a half code), and a line longer than
``max_length`` is dropped too, its tail discarded up to the next line end.
"""

from __future__ import annotations

__all__ = ["LineSplitter"]

_ENDS = (0x0D, 0x0A)


class LineSplitter:
    def __init__(self, max_length: int) -> None:
        self.max_length = max_length
        self._buf = bytearray()
        self._overflow = False
        self.dropped = 0  # lines refused (garbled or too long), for the log

    def feed(self, data: bytes) -> list[str]:
        """The complete, valid codes in ``data`` (plus what was buffered before)."""
        out: list[str] = []
        for byte in data:
            if byte in _ENDS:
                self._finish(out)
            elif self._overflow:
                continue
            elif len(self._buf) >= self.max_length:
                self._overflow = True
                self._buf.clear()
            else:
                self._buf.append(byte)
        return out

    def _finish(self, out: list[str]) -> None:
        if self._overflow:
            self._overflow = False
            self.dropped += 1
            return
        if not self._buf:
            return  # the LF of CR LF, or an empty line
        line = bytes(self._buf)
        self._buf.clear()
        if all(0x20 <= b <= 0x7E for b in line):
            out.append(line.decode("ascii").strip())
        else:
            self.dropped += 1
