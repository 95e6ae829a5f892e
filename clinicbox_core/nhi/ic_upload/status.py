"""Status of one IC upload record as a state machine (pure: times are arguments).

    pending ──upload──▶ uploaded ──accept──▶ accepted (final)
       ▲                   ├──reject(codes)──▶ rejected ──correct──▶ corrected
       └────── lost ───────┘                       corrected ──upload──▶ uploaded …
    (lost: the file was never confirmed; back to pending, or to corrected for a 補正)

``accepted`` is final: NHI keeps the first accepted record ("否則皆以第一次接收到之上傳資料為就醫
歸戶處理依據", spec 1041116 A01) and a 補正 of an accepted record is C002. Only a rejected record
may be corrected (same text: "經上傳檢核結果有錯誤者才可進行此筆資料之修改"); the correction is sent
as 資料格式 3 (正常) or 4 (異常). ``lost`` covers a file NHI never confirmed receiving (§五(一):
"須確認接獲回覆訊息，始完成檔案上傳"), so the record is sent again with the same kind.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from clinicbox_core.errors import Conflict
from clinicbox_core.nhi.ic_upload.model import RecordKind

__all__ = [
    "TRANSITIONS",
    "Event",
    "IllegalTransition",
    "RecordState",
    "Rejection",
    "Status",
    "apply",
    "new_state",
]


class Status(StrEnum):
    PENDING = "pending"
    UPLOADED = "uploaded"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CORRECTED = "corrected"


class Event(StrEnum):
    UPLOAD = "upload"
    ACCEPT = "accept"
    REJECT = "reject"
    CORRECT = "correct"
    LOST = "lost"


class IllegalTransition(Conflict):
    """``params``: ``status`` and ``event``."""

    default_key = "error.nhi.ic_upload_transition"


TRANSITIONS: dict[tuple[Status, Event], Status] = {
    (Status.PENDING, Event.UPLOAD): Status.UPLOADED,
    (Status.CORRECTED, Event.UPLOAD): Status.UPLOADED,
    (Status.UPLOADED, Event.ACCEPT): Status.ACCEPTED,
    (Status.UPLOADED, Event.REJECT): Status.REJECTED,
    (Status.REJECTED, Event.CORRECT): Status.CORRECTED,
    # LOST's target depends on the kind (pending for a first upload, corrected for a 補正).
    (Status.UPLOADED, Event.LOST): Status.PENDING,
}


@dataclass(frozen=True, slots=True)
class Rejection:
    code: str
    message: str
    field: str | None = None


@dataclass(frozen=True, slots=True)
class RecordState:
    status: Status
    kind: RecordKind
    attempts: int  # uploads sent
    first_uploaded_at: datetime | None  # first upload NHI gave a verdict on (24-hour rule)
    last_uploaded_at: datetime | None
    last_event_at: datetime | None
    rejections: tuple[Rejection, ...] = ()  # of the latest rejection


def new_state(kind: RecordKind) -> RecordState:
    return RecordState(Status.PENDING, kind, 0, None, None, None)


def apply(
    state: RecordState,
    event: Event,
    at: datetime,
    rejections: tuple[Rejection, ...] = (),
) -> RecordState:
    """The state after ``event`` at ``at``; :class:`IllegalTransition` when not allowed."""
    target = TRANSITIONS.get((state.status, event))
    if target is None:
        raise IllegalTransition(status=state.status.value, event=event.value)
    if event is Event.REJECT and not rejections:
        raise IllegalTransition(status=state.status.value, event="reject without reason")
    new = replace(state, status=target, last_event_at=at)
    if event is Event.UPLOAD:
        new = replace(new, attempts=state.attempts + 1, last_uploaded_at=at)
    elif event is Event.ACCEPT or event is Event.REJECT:
        # A verdict proves NHI received the upload; the first received one is what counts.
        first = state.first_uploaded_at or state.last_uploaded_at
        new = replace(new, first_uploaded_at=first, rejections=rejections)
    elif event is Event.CORRECT:
        new = replace(new, kind=state.kind.corrected(), rejections=state.rejections)
    elif event is Event.LOST and state.kind.correction:
        new = replace(new, status=Status.CORRECTED)
    return new
