"""State machine properties, the 24-hour rule's edges, the rate arithmetic, messages vs the CSV."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicbox_core.nhi.ic_upload.deadline import TAIPEI, deadline, on_time, overdue
from clinicbox_core.nhi.ic_upload.messages import MESSAGES
from clinicbox_core.nhi.ic_upload.model import RecordKind
from clinicbox_core.nhi.ic_upload.rate import (
    RateInput,
    ic_upload_rate,
    medicloud_query_rate,
)
from clinicbox_core.nhi.ic_upload.status import (
    Event,
    IllegalTransition,
    Rejection,
    Status,
    apply,
    new_state,
)

T0 = datetime(2024, 5, 15, 9, 0, tzinfo=TAIPEI)
REASON = (Rejection("AA", "欄位資料必填寫", "M01"),)


@given(st.sampled_from(list(RecordKind)[:2]), st.lists(st.sampled_from(list(Event)), max_size=30))
def test_random_event_sequences_respect_the_machine(kind: RecordKind, events: list[Event]) -> None:
    state = new_state(kind)
    for n, event in enumerate(events):
        before = state
        try:
            state = apply(state, event, T0 + timedelta(minutes=n), REASON)
        except IllegalTransition:
            assert state == before
            continue
        assert before.status is not Status.ACCEPTED  # accepted is final
        assert state.status is not Status.PENDING or before.status is Status.UPLOADED
        if state.status is Status.REJECTED:
            assert before.status is Status.UPLOADED and state.rejections == REASON
        if state.status is Status.CORRECTED:
            assert state.kind.correction
        if before.kind.correction:
            assert state.kind.correction  # never goes back to a first-upload kind
        assert state.attempts >= before.attempts
        if before.first_uploaded_at is not None:
            assert state.first_uploaded_at == before.first_uploaded_at


def test_first_upload_time_is_the_first_with_a_verdict() -> None:
    s = apply(new_state(RecordKind.NORMAL), Event.UPLOAD, T0, ())
    s = apply(s, Event.LOST, T0 + timedelta(hours=1), REASON)  # never confirmed: does not count
    assert s.status is Status.PENDING and s.first_uploaded_at is None
    s = apply(s, Event.UPLOAD, T0 + timedelta(hours=2))
    s = apply(s, Event.REJECT, T0 + timedelta(hours=3), REASON)
    s = apply(s, Event.CORRECT, T0 + timedelta(hours=4))
    s = apply(s, Event.UPLOAD, T0 + timedelta(hours=30))
    s = apply(s, Event.ACCEPT, T0 + timedelta(hours=31))
    assert s.status is Status.ACCEPTED and s.kind is RecordKind.CORRECTION_NORMAL
    assert s.first_uploaded_at == T0 + timedelta(hours=2) and s.attempts == 3
    with pytest.raises(IllegalTransition):
        apply(s, Event.UPLOAD, T0)
    with pytest.raises(IllegalTransition):
        apply(apply(new_state(RecordKind.NORMAL), Event.UPLOAD, T0), Event.REJECT, T0, ())


def test_deadline_just_before_midnight_and_across_utc() -> None:
    visit = datetime(2024, 12, 31, 23, 59, 59)  # naive = Taiwan local
    assert deadline(visit) == datetime(2025, 1, 1, 23, 59, 59, tzinfo=TAIPEI)
    assert on_time(visit, datetime(2025, 1, 1, 23, 59, 59))  # exactly 24 h: on time
    assert not on_time(visit, datetime(2025, 1, 2, 0, 0, 0))
    # the same instant in UTC is 15:59:59 the same day
    assert deadline(datetime(2024, 12, 31, 15, 59, 59, tzinfo=UTC)) == deadline(visit)
    assert overdue(visit, now=datetime(2025, 1, 1, 16, 0, 0, tzinfo=UTC))
    assert not overdue(visit, now=datetime(2025, 1, 1, 15, 59, 59, tzinfo=UTC))
    assert overdue(visit, now=datetime(2030, 1, 1), uploaded_at=datetime(2025, 1, 2, 0, 0))


@given(st.datetimes(datetime(2000, 1, 1), datetime(2099, 1, 1)))
def test_deadline_is_always_24_hours_no_dst(visit: datetime) -> None:
    d = deadline(visit)
    assert d - visit.replace(tzinfo=TAIPEI) == timedelta(hours=24)
    assert d.utcoffset() == timedelta(hours=8)


def test_rate_counts_and_target() -> None:
    def r(hours: float | None, status: Status) -> RateInput:
        return RateInput(T0, None if hours is None else T0 + timedelta(hours=hours), status)

    rows = [r(1, Status.ACCEPTED)] * 9 + [r(25, Status.ACCEPTED)]
    rate = ic_upload_rate(rows)
    assert (rate.needed, rate.on_time, rate.late) == (10, 9, 1)
    assert rate.rate == Decimal("0.9000") and rate.meets_target is False  # must be > 90 %
    rate = ic_upload_rate([*rows, r(2, Status.ACCEPTED), r(None, Status.PENDING)])
    assert (rate.on_time, rate.not_accepted, rate.rate) == (10, 1, Decimal("0.8333"))
    assert ic_upload_rate([]).rate is None
    assert medicloud_query_rate(100, 46).meets_target is True
    assert medicloud_query_rate(100, 45).meets_target is False


def test_embedded_messages_are_the_published_texts() -> None:
    path = Path("/work/shared/data/nhi-card/ic-upload-2.0-check-error-codes.csv")
    rows = csv.DictReader(path.read_text(encoding="utf-8").splitlines())
    published = {row["error_code"]: row["message_zh"] for row in rows}
    v1_only = {"AD10", "AD11", "AD12"}
    for code, text in MESSAGES.items():
        if code not in v1_only:
            assert published[code] == text, code
    spec = Path("/work/shared/reference/specs/nhi-card-upload-spec-1041116.txt").read_text()
    for code in v1_only:
        assert " ".join(MESSAGES[code].split()) in " ".join(spec.split()), code
