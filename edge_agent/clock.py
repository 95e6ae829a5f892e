"""The box's wall clock: everything the box stamps with a time of day reads it here.

A real box's clock can step (a dead RTC battery, an NTP correction after days offline). The
box must not care: events are ordered by their outbox ``seq``, never by time. To test that on
a live process, ``clock_offset_file`` (box setting; unset in production) names a file holding
an offset in seconds that is added to the system clock and re-read at every reading, so a test
can step a running box's clock back an hour by writing ``-3600`` into it. A missing or
unreadable file means no offset.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path


class WallClock:
    def __init__(self, offset_file: Path | None = None) -> None:
        self.offset_file = offset_file

    def offset_s(self) -> float:
        if self.offset_file is None:
            return 0.0
        try:
            return float(self.offset_file.read_text(encoding="ascii").strip() or 0)
        except (OSError, ValueError):
            return 0.0

    def now(self) -> datetime:
        """The box's idea of the current time (UTC, aware)."""
        return datetime.now(UTC) + timedelta(seconds=self.offset_s())


SYSTEM_CLOCK = WallClock()
