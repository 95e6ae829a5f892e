"""One link to the virtual printer (a TCP connection or a serial line), independent of transport.

``JobStream.feed(bytes)`` answers real-time status requests at once (like a real printer, even in
the middle of a job) and collects finished jobs: a job ends at a GS V cut or when the link closes.
A link that only asked for status makes no job.

Status bytes follow the Epson TM reference: fixed bits 0x12, and
n=1 printer: 0x08 offline; n=2 offline cause: 0x04 cover open, 0x20 stopped by paper end;
n=3 error cause: none; n=4 paper roll sensor: 0x0C near end, 0x60 paper end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from devsim.escpos_parse import MAX_JOB_BYTES
from devsim.escpos_tokens import Command, Ignored, StatusRequest, tokenize

Paper = Literal["ok", "near_end", "out"]
_FIXED = 0x12


@dataclass
class PrinterState:
    """What the front panel would show; tests and the HTTP API change it."""

    paper: Paper = "ok"
    cover_open: bool = False
    online: bool = True

    @property
    def ready(self) -> bool:
        """Prints what it receives (otherwise jobs are held until it is ready again)."""
        return self.online and not self.cover_open and self.paper != "out"

    def status_byte(self, n: int) -> int | None:
        """The reply to DLE EOT n, or None for an n the printer does not answer."""
        if n == 1:
            return _FIXED | (0 if self.ready else 0x08)
        if n == 2:
            return _FIXED | (0x04 if self.cover_open else 0) | (0x20 if self.paper == "out" else 0)
        if n == 3:
            return _FIXED
        if n == 4:
            return _FIXED | {"ok": 0, "near_end": 0x0C, "out": 0x6C}[self.paper]
        return None


class JobStream:
    """Incremental reader of one link: status replies out, finished jobs collected."""

    def __init__(self, state: PrinterState) -> None:
        self._state = state
        self._buf = bytearray()
        self._pos = 0  # next byte to tokenize
        self._has_content = False  # the open job holds more than status requests and ESC @
        self._finished: list[bytes] = []
        self.overflowed = False

    def feed(self, data: bytes) -> bytes:
        """Take bytes from the host; return the bytes the printer sends back (status replies)."""
        if self.overflowed:
            return b""
        self._buf.extend(data)
        tokens, self._pos = tokenize(bytes(self._buf), self._pos, final=False)
        replies = bytearray()
        job_end = 0
        for token in tokens:
            if isinstance(token, StatusRequest):
                reply = self._state.status_byte(token.n)
                if reply is not None:
                    replies.append(reply)
                continue
            if not (isinstance(token, Command) and token.name == "ESC @"):
                self._has_content = self._has_content or not isinstance(token, Ignored)
            if isinstance(token, Command) and token.name == "GS V":
                self._finished.append(bytes(self._buf[: token.end - job_end]))
                del self._buf[: token.end - job_end]
                self._pos -= token.end - job_end
                job_end = token.end
                self._has_content = False
        if len(self._buf) > MAX_JOB_BYTES:  # a runaway job: keep what fits, drop the rest
            self._finished.append(bytes(self._buf[:MAX_JOB_BYTES]))
            self._buf.clear()
            self._pos = 0
            self.overflowed = True
        return bytes(replies)

    def close(self) -> None:
        """The link ended: what is left is a job if it holds anything to print."""
        if self._has_content and self._buf:
            self._finished.append(bytes(self._buf))
        self._buf.clear()
        self._pos = 0
        self._has_content = False

    def take_jobs(self) -> list[bytes]:
        jobs, self._finished = self._finished, []
        return jobs
