"""Upload-rate indicators of the NHI real-time-query programme (per clinic and period).

The programme (nhi.md issue text: "pays on IC upload > 90 % and MediCloud query > 45 %") is
not in our document corpus; the definitions below are what we implement and are written in
docs/nhi-ic-upload.md as assumptions:

* **IC upload rate** = records uploaded within 24 h / visits that need an upload, over visits
  whose 就診日期 (Taiwan date) lies in the period. "Uploaded within 24 h" = the first upload NHI
  confirmed receiving was at or before visit time + 24 h *and* the record ended accepted (a
  rejected record is not counted by NHI until corrected: AA02 "此筆上傳資料不採計"); a 補正 does
  not restart the clock but also does not make a late record on time. Target: strictly > 90 %.
* **MediCloud query rate** = visits for which the 雲端藥歷 (MediCloud) was queried / visits in the
  period. The query itself is another engineer's adapter; this module only does the arithmetic
  on the counts it is given. Target: strictly > 45 %.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from clinicbox_core.nhi.ic_upload.deadline import on_time
from clinicbox_core.nhi.ic_upload.status import Status

__all__ = [
    "IC_UPLOAD_TARGET",
    "MEDICLOUD_TARGET",
    "RateInput",
    "UploadRate",
    "ic_upload_rate",
    "medicloud_query_rate",
]

IC_UPLOAD_TARGET = Decimal("0.90")
MEDICLOUD_TARGET = Decimal("0.45")


@dataclass(frozen=True, slots=True)
class RateInput:
    visit_time: datetime
    first_uploaded_at: datetime | None
    status: Status


@dataclass(frozen=True, slots=True)
class UploadRate:
    needed: int  # denominator
    on_time: int  # numerator
    late: int  # accepted, first upload after the deadline
    not_accepted: int  # pending / uploaded / rejected / corrected at the time of asking
    rate: Decimal | None  # on_time / needed, 4 decimals; None when nothing was needed
    target: Decimal

    @property
    def meets_target(self) -> bool | None:
        return None if self.rate is None else self.rate > self.target


def _ratio(num: int, den: int) -> Decimal | None:
    if den == 0:
        return None
    return (Decimal(num) / Decimal(den)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def ic_upload_rate(records: Iterable[RateInput]) -> UploadRate:
    needed = good = late = open_ = 0
    for r in records:
        needed += 1
        if r.status is not Status.ACCEPTED or r.first_uploaded_at is None:
            open_ += 1
        elif on_time(r.visit_time, r.first_uploaded_at):
            good += 1
        else:
            late += 1
    return UploadRate(needed, good, late, open_, _ratio(good, needed), IC_UPLOAD_TARGET)


def medicloud_query_rate(visits: int, queried: int) -> UploadRate:
    """The MediCloud slot: ``queried`` of ``visits`` (counts come from the query adapter)."""
    if queried > visits or queried < 0:
        raise ValueError("queried must be between 0 and visits")
    return UploadRate(
        visits, queried, 0, visits - queried, _ratio(queried, visits), MEDICLOUD_TARGET
    )
