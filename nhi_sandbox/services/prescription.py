"""處方簽章: writing a visit's orders to the card and getting each order's signature.

Path and fields follow the control software 6.0 code (nhi.md §1, [S6], code only):
``/api/v1/Prescription/Write {prescriptions: [{treatmentDateTime, treatmentItem,
treatmentItemCode, treatmentPosition, usage, days, totalQuantity, deliveryNotes}]}`` answers
``signatureItems`` (one 40-character 處方簽章 per order, in order). The real signature is made by
the card and SAM; the sandbox makes an HMAC under its IDC secret over the person, hospital, visit
time and the order's code, days and total (so the IC upload can verify it again: code 16).

Checks: the card's person has a 就醫序號 at this hospital at that 就診日期時間 that was not rolled
back (5150 otherwise); 1–60 orders; code 1–12 characters; days 0–90; total a decimal ≥ 0.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal, InvalidOperation
from typing import Any

from nhi_sandbox.errors import SandboxError, bad_param
from nhi_sandbox.services.common import Route, card_patient
from nhi_sandbox.signature import Envelope
from nhi_sandbox.state import Sandbox
from nhi_sandbox.wire import parse_roc_datetime, req_list, req_str

__all__ = ["ROUTES", "canonical_quantity"]


def canonical_quantity(text: str) -> str:
    """The total as the signature covers it: one decimal (``56`` and ``56.0`` sign the same)."""
    return str(Decimal(text.strip()).quantize(Decimal("0.1")))


async def write(sbx: Sandbox, env: Envelope, params: dict[str, Any]) -> dict[str, Any]:
    items = req_list(params, "prescriptions", 1, 60)
    parsed = []
    for i, item in enumerate(items):
        name = f"prescriptions[{i}]"
        when_text = req_str(item, "treatmentDateTime", r"[0-9]{13}")
        try:
            when = parse_roc_datetime(when_text)
        except ValueError as exc:
            raise bad_param(name + ".treatmentDateTime", "日期時間不存在") from exc
        code = req_str(item, "treatmentItemCode", r"[0-9A-Za-z\-]{1,12}").upper()
        days = item.get("days", 0)
        if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 90:
            raise bad_param(name + ".days", "需介於 0 與 90")
        try:
            total = canonical_quantity(str(item.get("totalQuantity", "")))
        except (InvalidOperation, ValueError) as exc:
            raise bad_param(name + ".totalQuantity", "必填數量") from exc
        if Decimal(total) < 0:
            raise bad_param(name + ".totalQuantity", "不得為負")
        parsed.append((when, code, days, total))

    def run(conn: sqlite3.Connection) -> dict[str, Any]:
        row = card_patient(conn, env)
        for when, _code, _days, _total in parsed:
            seq = conn.execute(
                "SELECT 1 FROM sequences WHERE id_no = ? AND hospital_id = ? AND treatment_dt = ?"
                " AND rolled_back = 0",
                (row["id_no"], env.hospital_id, when.isoformat()),
            ).fetchone()
            if seq is None:
                raise SandboxError("5150", 422, field="treatmentDateTime")
        signs = [
            sbx.prescription_signature(row["id_no"], env.hospital_id, when, code, days, total)
            for when, code, days, total in parsed
        ]
        return {"signatureItems": signs}

    return await sbx.db.run(run)


ROUTES = (Route("/api/v1/Prescription/Write", "02", True, write),)
