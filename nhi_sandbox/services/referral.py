"""Electronic referral (電子轉診平台): create, query, accept.

nhi.md §8 names the platform only through its fee codes (01036C 上轉-使用保險人電子轉診平台,
01038C 接受轉診加算); its API was not found, so the shape is the sandbox's own. Checks: the
referring visit's 就醫識別碼 belongs to this person and hospital (D002–D004), the target is a
hospital the sandbox knows (SBX32) and not the sender, ICD-10 code shape, a known 就醫科別;
only the target hospital may accept (SBX30), once (SBX31); a referral is visible only to its two
hospitals.
"""

from __future__ import annotations

import secrets
import sqlite3
from typing import Any

from clinicbox_core.nhi.visit_codes import DEPARTMENTS
from nhi_sandbox.errors import SandboxError, bad_param
from nhi_sandbox.services.common import (
    TREATMENT_NUMBER,
    Route,
    check_treatment_number,
    patient_by_id,
)
from nhi_sandbox.signature import Envelope
from nhi_sandbox.state import Sandbox
from nhi_sandbox.wire import HOSPITAL_ID, opt_str, req_id_no, req_str

__all__ = ["ROUTES"]

REFERRAL_ID = r"RF[0-9A-F]{16}"


def _as_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "referralId": row["referral_id"],
        "fromHospitalId": row["from_hospital"],
        "toHospitalId": row["to_hospital"],
        "patientId": row["id_no"],
        "icd10": row["icd10"],
        "departmentCode": row["department"],
        "reason": row["reason"],
        "treatmentNumber": row["treatment_number"],
        "createdAt": row["created_at"],
        "status": row["status"],
        "acceptedAt": row["accepted_at"],
    }


async def create(sbx: Sandbox, env: Envelope, params: dict[str, Any]) -> dict[str, Any]:
    id_no = req_id_no(params, "patientId")
    number = req_str(params, "treatmentNumber", TREATMENT_NUMBER)
    to = req_str(params, "toHospitalId", HOSPITAL_ID)
    if to == env.hospital_id:
        raise bad_param("toHospitalId", "不可轉診至本院所")
    icd = req_str(params, "icd10", r"[A-Z][0-9][0-9A-Z]{1,5}")
    dept = req_str(params, "departmentCode", r"[0-9A-Z]{2}")
    if dept not in DEPARTMENTS:
        raise bad_param("departmentCode", "無此就醫科別")
    reason = req_str(params, "reason", r"(?s).{1,200}", max_len=200)
    now = sbx.clock.now()
    ref_id = "RF" + secrets.token_hex(8).upper()

    def run(conn: sqlite3.Connection) -> dict[str, Any]:
        if patient_by_id(conn, id_no) is None:
            raise SandboxError("9012", 404, field="patientId")
        check_treatment_number(conn, number, id_no, env.hospital_id, "treatmentNumber")
        if not conn.execute("SELECT 1 FROM hospitals WHERE hospital_id = ?", (to,)).fetchone():
            raise SandboxError("SBX32", 404, field="toHospitalId")
        conn.execute(
            "INSERT INTO referrals VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (ref_id, env.hospital_id, to, id_no, icd, dept, reason, number, now.isoformat(),
             "created", None),
        )  # fmt: skip
        return {"referralId": ref_id}

    return await sbx.db.run(run)


def _visible(conn: sqlite3.Connection, ref_id: str, hospital_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM referrals WHERE referral_id = ?", (ref_id,)
    ).fetchone()
    if row is None or hospital_id not in (row["from_hospital"], row["to_hospital"]):
        raise SandboxError("SBX01", 404, field="referralId")
    return row


async def query(sbx: Sandbox, env: Envelope, params: dict[str, Any]) -> dict[str, Any]:
    ref_id = opt_str(params, "referralId", REFERRAL_ID)
    id_no = req_id_no(params, "patientId") if params.get("patientId") is not None else None
    if (ref_id is None) == (id_no is None):
        raise bad_param("referralId", "需指定 referralId 或 patientId 其一")

    def run(conn: sqlite3.Connection) -> dict[str, Any]:
        if ref_id is not None:
            rows = [_visible(conn, ref_id, env.hospital_id)]
        else:
            rows = conn.execute(
                "SELECT * FROM referrals WHERE id_no = ? AND (from_hospital = ? OR"
                " to_hospital = ?) ORDER BY created_at DESC, rowid DESC",
                (id_no, env.hospital_id, env.hospital_id),
            ).fetchall()
        return {"referrals": [_as_json(r) for r in rows]}

    return await sbx.db.run(run)


async def accept(sbx: Sandbox, env: Envelope, params: dict[str, Any]) -> dict[str, Any]:
    ref_id = req_str(params, "referralId", REFERRAL_ID)
    now = sbx.clock.now()

    def run(conn: sqlite3.Connection) -> dict[str, Any]:
        row = _visible(conn, ref_id, env.hospital_id)
        if row["to_hospital"] != env.hospital_id:
            raise SandboxError("SBX30", 403, field="referralId")
        if row["status"] == "accepted":
            raise SandboxError("SBX31", 409, field="referralId")
        conn.execute(
            "UPDATE referrals SET status = 'accepted', accepted_at = ? WHERE referral_id = ?",
            (now.isoformat(), ref_id),
        )
        updated = conn.execute("SELECT * FROM referrals WHERE referral_id = ?", (ref_id,))
        return _as_json(updated.fetchone())

    return await sbx.db.run(run)


ROUTES = (
    Route("/api/v1/Referral/Create", "02", False, create),
    Route("/api/v1/Referral/Query", "01", False, query),
    Route("/api/v1/Referral/Accept", "02", False, accept),
)
