"""NHI's checks of an uploaded IC file: bytes in, one accept/reject result per record out.

This is what the NHI sandbox answers with (engineer I2 calls :func:`check_upload`): the file-level
退件原則 (spec 1041116 §三(三): no MSH, MB2 without MB1, no ``</RECS>``, plus the Y-codes of the 2.0
table) reject the whole file; otherwise each record is accepted or rejected with every check code
it fails, each with NHI's message (:mod:`.messages`). With ``received_at`` the time checks run too
(BD 就診日期時間大於上傳日期時間; BH 逾 3 個月). With ``uploaded`` / ``accepted`` (keys the NHI side
already holds) the history checks run: C001 鍵值資料已存在, C002 補正 of an accepted record, Y009 /
Y010 補正 without a first upload.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from clinicbox_core.nhi.ic_upload.messages import message
from clinicbox_core.nhi.ic_upload.model import RecordKey, RecordKind
from clinicbox_core.nhi.ic_upload.validate import Issue, parse_roc_datetime, validate_record
from clinicbox_core.nhi.ic_upload.xml_io import Problem, parse_upload

__all__ = ["CheckError", "RecordResult", "check_upload"]

# Codes NHI reports but still accepts the record with ("如無合併其他錯誤，本筆仍會收載").
NOTICE_ONLY = frozenset({"AD34", "AD47"})
RETENTION_MONTHS = 3  # BH: 上傳資料已逾期可處理日期範圍(3個月內)


@dataclass(frozen=True, slots=True)
class CheckError:
    code: str
    field: str | None
    message: str  # NHI's text for the code
    order: int | None = None  # 0-based MB2 index
    detail: str = ""


@dataclass(frozen=True, slots=True)
class RecordResult:
    """One record's verdict. ``index`` is the REC's 0-based position; ``None`` = the whole file."""

    index: int | None
    key: RecordKey | None
    kind: RecordKind | None
    accepted: bool
    errors: tuple[CheckError, ...]


def _err(issue: Issue | Problem, order: int | None = None) -> CheckError:
    if isinstance(issue, Issue):
        return CheckError(issue.code, issue.field, message(issue.code), issue.order, issue.detail)
    return CheckError(issue.code, issue.field, message(issue.code), order, issue.detail)


def _months_before(when: datetime, months: int) -> datetime:
    year, month = divmod(when.year * 12 + when.month - 1 - months, 12)
    day = min(when.day, 28)
    return when.replace(year=year, month=month + 1, day=day)


def _time_issues(visit_text: str, field: str, received_at: datetime) -> list[Issue]:
    try:
        visit = parse_roc_datetime(visit_text)
    except ValueError:
        return []
    received = received_at.replace(tzinfo=None)
    if visit > received:
        return [Issue("BD", field, None, "就診日期時間大於上傳日期時間")]
    if visit < _months_before(received, RETENTION_MONTHS):
        return [Issue("BH", field, None, "逾 3 個月")]
    return []


def check_upload(
    data: bytes,
    *,
    received_at: datetime | None = None,
    uploaded: Collection[RecordKey] = (),
    accepted: Collection[RecordKey] = (),
) -> list[RecordResult]:
    """Check ``data`` the way NHI does; ``received_at`` is Taiwan local time (naive or aware)."""
    parsed = parse_upload(data)
    if parsed.fatal:
        errors = tuple(_err(p) for p in parsed.fatal)
        return [RecordResult(None, None, None, False, errors)]
    results: list[RecordResult] = []
    seen: set[RecordKey] = set()
    for item in parsed.records:
        rec = item.record
        assert rec is not None  # a REC that cannot be modelled is fatal above
        issues: list[Issue | Problem] = [*item.problems, *validate_record(rec)]
        p, key = rec.profile, rec.key
        if received_at is not None:
            issues += _time_issues(rec.get(p.visit_time) or "", p.visit_time, received_at)
        if key in seen:
            issues.append(Issue("C001", p.visit_time))
        elif rec.kind.correction:
            if uploaded and key not in uploaded:
                code = "Y010" if rec.kind.abnormal else "Y009"
                issues.append(Issue(code, p.data_format))
            elif key in accepted:
                issues.append(Issue("C002", p.data_format))
        elif key in uploaded:
            issues.append(Issue("C001", p.visit_time))
        seen.add(key)
        errors = tuple(_err(i) for i in issues)
        ok = all(e.code in NOTICE_ONLY for e in errors)
        results.append(RecordResult(item.index, key, rec.kind, ok, errors))
    return results
