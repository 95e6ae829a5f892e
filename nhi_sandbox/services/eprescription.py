"""Electronic prescription (電子處方箋) upload and query.

What it follows (nhi.md §4, TW EMPD IG [S14]): 處方箋種類 A 一般 (≤ 7 日), B 慢性病,
C 慢連箋, D/E/F 管制; ``numberOfRepeatsAllowed`` = 可調劑次數; the Encounter carries the
就醫識別碼. The real transport is a FHIR Bundle; the sandbox takes the same facts as plain JSON
(docs/nhi-sandbox.md). Checks: the 就醫識別碼 was issued to this person at this hospital
(D002/D003/D004), one prescription per 就醫識別碼 (SBX20), the person is insured (5012),
A ≤ 7 days, C has 2–4 refills and the others exactly 1, each drug line has a 10-character NHI
code, a known frequency (clinicbox_core.nhi.frequency), 1–90 days (as D040) and a quantity > 0.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
from decimal import Decimal, InvalidOperation
from typing import Any

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.frequency import lookup_frequency
from nhi_sandbox.errors import SandboxError, bad_param
from nhi_sandbox.services.common import (
    TREATMENT_NUMBER,
    Route,
    check_treatment_number,
    patient_by_id,
)
from nhi_sandbox.signature import Envelope
from nhi_sandbox.state import Sandbox
from nhi_sandbox.wire import opt_str, req_id_no, req_int, req_list, req_str

__all__ = ["ROUTES"]

DRUG_CODE = re.compile(r"^[A-Z0-9]{10}$")
QUANTITY = re.compile(r"^[0-9]{1,5}(\.[0-9])?$")


def _items(params: dict[str, Any], rx_type: str) -> list[dict[str, Any]]:
    items = []
    for i, raw in enumerate(req_list(params, "items", 1, 60)):
        where = f"items[{i}]"
        code = req_str(raw, "code", DRUG_CODE)
        freq = req_str(raw, "frequency", r"[0-9A-Z/]{1,20}")
        try:
            lookup_frequency(freq)
        except ValidationFailed as exc:
            raise bad_param(f"{where}.frequency", "無此用藥頻率") from exc
        days = req_int(raw, "days", 1, 90)
        if rx_type == "A" and days > 7:
            raise bad_param(f"{where}.days", "一般處方箋（A）給藥日份不得超過 7 日")
        total = req_str(raw, "totalQuantity", QUANTITY)
        try:
            if Decimal(total) <= 0:
                raise bad_param(f"{where}.totalQuantity", "需大於 0")
        except InvalidOperation as exc:  # pragma: no cover - the pattern already guarantees it
            raise bad_param(f"{where}.totalQuantity", "格式不符") from exc
        route = opt_str(raw, "route", r"[A-Z]{1,6}")
        items.append({"code": code, "frequency": freq, "days": days, "totalQuantity": total,
                      "route": route})  # fmt: skip
    return items


def _as_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "prescriptionId": row["prescription_id"],
        "hospitalId": row["hospital_id"],
        "patientId": row["id_no"],
        "treatmentNumber": row["treatment_number"],
        "prescriptionType": row["rx_type"],
        "refillsAllowed": row["refills"],
        "issuedAt": row["issued_at"],
        "items": json.loads(row["items"]),
    }


async def upload(sbx: Sandbox, env: Envelope, params: dict[str, Any]) -> dict[str, Any]:
    id_no = req_id_no(params, "patientId")
    number = req_str(params, "treatmentNumber", TREATMENT_NUMBER)
    rx_type = req_str(params, "prescriptionType", r"[A-F]")
    refills = req_int(params, "refillsAllowed", 1, 4)
    if rx_type == "C" and refills < 2:
        raise bad_param("refillsAllowed", "慢性病連續處方箋（C）可調劑次數需為 2–4")
    if rx_type != "C" and refills != 1:
        raise bad_param("refillsAllowed", "非慢連箋可調劑次數需為 1")
    items = _items(params, rx_type)
    now = sbx.clock.now()
    rx_id = "EP" + secrets.token_hex(8).upper()

    def run(conn: sqlite3.Connection) -> dict[str, Any]:
        row = patient_by_id(conn, id_no)
        if row is None:
            raise SandboxError("9012", 404, field="patientId")
        if row["status"] == "uninsured":
            raise SandboxError("5012", 422, field="patientId")
        check_treatment_number(conn, number, id_no, env.hospital_id, "treatmentNumber")
        if conn.execute(
            "SELECT 1 FROM prescriptions WHERE treatment_number = ?", (number,)
        ).fetchone():
            raise SandboxError("SBX20", 409, field="treatmentNumber")
        conn.execute(
            "INSERT INTO prescriptions VALUES (?,?,?,?,?,?,?,?)",
            (rx_id, env.hospital_id, id_no, number, rx_type, refills, now.isoformat(),
             json.dumps(items, ensure_ascii=False)),
        )  # fmt: skip
        return {"prescriptionId": rx_id}

    return await sbx.db.run(run)


async def query(sbx: Sandbox, env: Envelope, params: dict[str, Any]) -> dict[str, Any]:
    rx_id = opt_str(params, "prescriptionId", r"EP[0-9A-F]{16}")
    id_no = req_id_no(params, "patientId") if params.get("patientId") is not None else None
    if (rx_id is None) == (id_no is None):
        raise bad_param("prescriptionId", "需指定 prescriptionId 或 patientId 其一")

    def run(conn: sqlite3.Connection) -> dict[str, Any]:
        if rx_id is not None:
            rows = conn.execute(
                "SELECT * FROM prescriptions WHERE prescription_id = ?", (rx_id,)
            ).fetchall()
            if not rows:
                raise SandboxError("SBX01", 404, field="prescriptionId")
        else:
            rows = conn.execute(
                "SELECT * FROM prescriptions WHERE id_no = ? ORDER BY issued_at DESC, rowid DESC",
                (id_no,),
            ).fetchall()
        return {"prescriptions": [_as_json(r) for r in rows]}

    return await sbx.db.run(run)


ROUTES = (
    Route("/api/v1/EPrescription/Upload", "30", False, upload),
    Route("/api/v1/EPrescription/Query", "01", False, query),
)
