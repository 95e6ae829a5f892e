"""How full the box's data disk is, and which writes the outbox still accepts.

A clinic box is a small appliance: logs, print previews or a failing SSD can fill its disk.
What the clinic cannot lose is its clinical record (registrations, offline visits, print
results), so the outbox refuses the least important writes first and keeps the rest:

- ``ok``: free space at or above ``low_free_bytes``; everything is written.
- ``low``: below it; events that record nothing clinical (:data:`NON_ESSENTIAL`, e.g. a card
  taken out of the reader) are refused with :class:`DiskNearlyFull`; essential events are
  still written into the remaining space.
- ``full``: SQLite could not write (``SQLITE_FULL``); the transaction rolled back (the outbox
  is never left half-written) and :class:`DiskFull` is raised until space comes back.

The state goes into the box's reported state and its log at error level, so the front desk
and the vendor see it; the errors carry message keys the pages translate.
"""

from __future__ import annotations

import os
import sqlite3
from enum import StrEnum
from pathlib import Path

from edge_agent.outbox.errors import DiskFull, DiskNearlyFull

NON_ESSENTIAL: frozenset[str] = frozenset({"card.removed"})
DEFAULT_LOW_FREE_BYTES = 200 * 1024 * 1024
SQLITE_FULL = 13


class DiskState(StrEnum):
    OK = "ok"
    LOW = "low"
    FULL = "full"


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.Error) and (
        getattr(exc, "sqlite_errorcode", None) == SQLITE_FULL
        or "database or disk is full" in str(exc)
    )


class DiskGuard:
    """Checks before a write; remembers the last state for the reported state."""

    def __init__(self, directory: Path, low_free_bytes: int = DEFAULT_LOW_FREE_BYTES) -> None:
        self.directory = directory
        self.low_free_bytes = low_free_bytes
        self.state = DiskState.OK
        self.free = free_bytes(directory)
        self.refused = 0

    def before_write(self, event_type: str) -> None:
        """Raise :class:`DiskNearlyFull` for a non-essential event on a low disk."""
        self.free = free_bytes(self.directory)
        if self.free >= self.low_free_bytes:
            self.state = DiskState.OK
            return
        if self.state is DiskState.OK:
            self.state = DiskState.LOW
        if event_type in NON_ESSENTIAL:
            self.refused += 1
            raise DiskNearlyFull(free_bytes=self.free, event_type=event_type)

    def write_failed(self) -> DiskFull:
        self.state = DiskState.FULL
        self.refused += 1
        self.free = free_bytes(self.directory)
        return DiskFull(free_bytes=self.free)
