"""Real-time printer status (DLE EOT n) and what it means for a print job.

Epson-compatible printers answer DLE EOT n with one byte whose bits 0x93 are fixed at 0x12:
n=1 printer status (0x08 offline), n=2 offline cause (0x04 cover open, 0x20 stopped by paper
end), n=4 paper roll sensor (0x0C near end, 0x60 paper end). The agent asks before each job so
that "paper out" and "cover open" fail the job with a reason instead of losing it in a buffer.
"""

from __future__ import annotations

from enum import StrEnum

DLE_EOT = b"\x10\x04"
PRINTER, OFFLINE_CAUSE, PAPER_SENSOR = 1, 2, 4


class PrinterStatus(StrEnum):
    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"  # cannot be reached, or reports offline for another cause
    TIMEOUT = "timeout"
    UNKNOWN = "unknown"  # reachable, but does not answer status requests (one-way link)


def request(n: int) -> bytes:
    return DLE_EOT + bytes((n,))


def is_status_byte(value: int) -> bool:
    return value & 0x93 == 0x12


def from_replies(printer: int | None, cause: int | None, paper: int | None) -> PrinterStatus:
    """Combine the replies to n=1, 2 and 4 (None: not asked or not answered) into one status."""
    if printer is None:
        return PrinterStatus.UNKNOWN
    if cause is not None and cause & 0x04:
        return PrinterStatus.COVER_OPEN
    paper_end = (cause is not None and cause & 0x20) or (paper is not None and paper & 0x60 == 0x60)
    if paper_end:
        return PrinterStatus.PAPER_OUT
    if printer & 0x08:
        return PrinterStatus.OFFLINE
    if paper is not None and paper & 0x0C == 0x0C:
        return PrinterStatus.PAPER_NEAR_END
    return PrinterStatus.OK
