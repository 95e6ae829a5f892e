"""The sandbox's notion of "now": Taiwan local time, plus an offset tests may advance.

NHI timestamps (就診日期時間) are Taiwan local time without a zone. Rules that depend on time
(5-minute virtual-card tokens, the 24-hour 5081 rollback window) read this clock, so a test can
move it forward instead of sleeping; moving it is only allowed when the sandbox was started with
``--allow-clock`` (docs/nhi-sandbox.md). The offset is persisted so a restart keeps the same time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

__all__ = ["TAIWAN", "Clock"]

TAIWAN = timezone(timedelta(hours=8), "Asia/Taipei")


class Clock:
    def __init__(self, offset_s: float = 0.0) -> None:
        self.offset_s = offset_s

    def now(self) -> datetime:
        """Naive Taiwan local time, to the second."""
        real = datetime.now(UTC).astimezone(TAIWAN).replace(tzinfo=None, microsecond=0)
        return real + timedelta(seconds=self.offset_s)
