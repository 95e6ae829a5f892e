"""A clinic month's claims file (醫療費用申報), end to end: assemble, validate, send, record.

The file is built from the visits (:mod:`.claims_assemble`, :func:`build_claims`), written as
Big5 XML and checked by our validator. A file with any ``error`` finding is not sent: it is kept
as ``invalid`` with the findings, so the clinic sees each error with its case, order and field.
A valid file goes to the claims service (:class:`~cloud_plane.nhi.claims.ClaimsClient`) under
the upload API's file name (101.11.20: 醫事機構代碼 + 醫事類別 11 西醫診所 + 費用年月 +
申報類別 1 送核 + 月份註記 3 全月 + B); its answer is kept: ``accepted`` with the receipt
number, ``rejected`` with the NHI code (and the findings it sent), or ``unsent`` when the
service could not be reached. A check without sending keeps a valid file as ``checked``.
Every attempt is one ``claims_submissions`` row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import aiohttp
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.errors import Conflict
from clinicbox_core.nhi.claims.build import build_claims, fee_month_text
from clinicbox_core.nhi.claims.findings import Finding
from clinicbox_core.nhi.claims.validate import validate
from clinicbox_core.nhi.claims.xml_writer import to_xml
from cloud_plane.db.tables_nhiops import claims_submissions
from cloud_plane.nhi.claims import ClaimsClient
from cloud_plane.nhi.errors import NHI_ERRORS, NhiUnavailable
from cloud_plane.nhi.settings import NhiSettings
from cloud_plane.nhiops.claims_assemble import month_cases
from cloud_plane.services.clock import utc_now

__all__ = ["ClaimsOutcome", "claims_file_name", "run_claims"]

CLINIC_KIND = "11"  # 醫事類別 11 門診西醫診所 (upload API 101.11.20)


@dataclass(frozen=True, slots=True)
class ClaimsOutcome:
    submission_id: int
    status: str  # invalid | checked | accepted | rejected | unsent
    file_name: str
    cases: int
    points: int
    receipt_no: str | None
    nhi_code: str | None
    reason: str | None
    findings: tuple[dict[str, Any], ...]
    skipped: tuple[dict[str, Any], ...]


def claims_file_name(nhi_code: str, month: date) -> str:
    return f"{nhi_code}{CLINIC_KIND}{fee_month_text(month)}13B.xml"


def _finding(f: Finding | dict[str, Any]) -> dict[str, Any]:
    if isinstance(f, dict):
        return {k: f.get(k) for k in ("rule", "severity", "case", "order", "field", "zh")}
    return {
        "rule": f.rule, "severity": f.severity, "case": f.case, "order": f.order,
        "field": f.field, "zh": f.zh,
    }  # fmt: skip


async def run_claims(
    engine: AsyncEngine,
    session: aiohttp.ClientSession,
    settings: NhiSettings | None,
    tenant_id: int,
    month: date,
    *,
    report_date: date | None = None,
    send: bool = True,
) -> ClaimsOutcome:
    """Build, validate and (when valid and ``send``) send ``month``'s claims file; the kept
    outcome. ``send=False`` only checks: a valid file is kept as ``checked`` (``settings`` may
    then be ``None``: a clinic not connected to the NHI can still check its file)."""
    if send and settings is None:
        raise ValueError("sending a claims file needs the clinic's NHI settings")
    async with engine.connect() as conn:
        header, cases, skipped = await month_cases(conn, tenant_id, month, report_date=report_date)
    if not cases:
        raise Conflict("error.claims.nothing_to_claim", month=fee_month_text(month))
    built = build_claims(header, cases)
    data = to_xml(built)
    findings = [_finding(f) for f in validate(data)]
    name = claims_file_name(header.institution, header.fee_month)
    status, receipt, code, reason = "invalid", None, None, None
    if not send and not any(f["severity"] == "error" for f in findings):
        status = "checked"
    elif settings is not None and not any(f["severity"] == "error" for f in findings):
        try:
            answer = await ClaimsClient(session, settings).upload(name, data)
            status, receipt = "accepted", answer.receipt_no
            findings = [_finding(f) for f in answer.findings]
        except NHI_ERRORS as exc:
            status = "unsent" if isinstance(exc, NhiUnavailable) else "rejected"
            code = exc.nhi_code
            reason = str(exc.params.get("nhi_message") or exc.params.get("reason") or "")
            details = exc.details if isinstance(exc.details, dict) else {}
            findings = [_finding(f) for f in details.get("findings", [])] or findings
            receipt = details.get("receiptNo")
    points = built.tdata.t38 or 0
    async with engine.begin() as conn:
        submission_id = (
            await conn.execute(
                insert(claims_submissions)
                .values(
                    tenant_id=tenant_id, fee_month=header.fee_month, file_name=name, data=data,
                    cases=len(built.cases), points=points, status=status, receipt_no=receipt,
                    nhi_code=code, reason=reason, findings=findings, skipped=skipped,
                    created_at=utc_now(),
                )
                .returning(claims_submissions.c.id)
            )
        ).scalar_one()  # fmt: skip
    return ClaimsOutcome(
        submission_id, status, name, len(built.cases), points, receipt, code, reason,
        tuple(findings), tuple(skipped),
    )  # fmt: skip
