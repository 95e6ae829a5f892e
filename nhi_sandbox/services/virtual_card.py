"""Virtual NHI card (虛擬健保卡): QR token issue (sandbox only) and one-time verification.

nhi.md §5: the QR code is one-time use and expires after 5 minutes [S24]; the 6.0 console's
``/api/hc/v1/VirtualHc/ReadBasic {token}`` returns ``cardId, name, idNo, birthday, sex,
identityStatus`` [S6]. The sandbox serves that path as a signed host call (a real deployment goes
through the local console, which talks to the NHI). Refusals: SBX10 unknown token, SBX11 older
than 5 minutes, SBX12 already used (checked first: a used token stays used).
Tokens are issued at ``/sandbox/v1/VirtualCard/Token {patientId}``: in real life the patient's
phone app shows the QR code, which a test cannot do.
"""

from __future__ import annotations

import secrets
import sqlite3
from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web

from clinicbox_core.nhi.roc_date import format_roc_date
from nhi_sandbox.errors import SandboxError
from nhi_sandbox.services.common import Route, patient_by_id
from nhi_sandbox.signature import Envelope
from nhi_sandbox.state import SANDBOX_KEY, Sandbox
from nhi_sandbox.wire import req_id_no, req_str

__all__ = ["ROUTES", "TOKEN_TTL", "issue_token_handler"]

TOKEN_TTL = timedelta(minutes=5)
IDENTITY = {"active": "1", "expired": "1", "exhausted": "1", "cancelled": "1", "uninsured": "0"}


async def issue_token(sbx: Sandbox, id_no: str) -> dict[str, Any]:
    now = sbx.clock.now()
    token = "VHC" + secrets.token_hex(16).upper()

    def run(conn: sqlite3.Connection) -> dict[str, Any]:
        row = patient_by_id(conn, id_no)
        if row is None:
            raise SandboxError("9012", 404, field="patientId")
        if row["status"] == "uninsured":
            raise SandboxError("5012", 422, field="patientId")
        conn.execute(
            "INSERT INTO vhc_tokens (token, id_no, issued_at) VALUES (?,?,?)",
            (token, id_no, now.isoformat()),
        )
        return {"token": token, "expiresAt": (now + TOKEN_TTL).isoformat()}

    return await sbx.db.run(run)


async def issue_token_handler(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except ValueError as exc:
        raise SandboxError("9002", 400) from exc
    if not isinstance(body, dict):
        raise SandboxError("9002", 400)
    result = await issue_token(request.app[SANDBOX_KEY], req_id_no(body, "patientId"))
    return web.json_response({"statusCode": "0", **result})


async def read_basic(sbx: Sandbox, env: Envelope, params: dict[str, Any]) -> dict[str, Any]:
    token = req_str(params, "token", r"[0-9A-Za-z]{8,64}")
    now = sbx.clock.now()

    def run(conn: sqlite3.Connection) -> dict[str, Any]:
        tok = conn.execute("SELECT * FROM vhc_tokens WHERE token = ?", (token,)).fetchone()
        if tok is None:
            raise SandboxError("SBX10", 404, field="token")
        if tok["used_at"] is not None:
            raise SandboxError("SBX12", 409, field="token")
        if now - datetime.fromisoformat(tok["issued_at"]) > TOKEN_TTL:
            raise SandboxError("SBX11", 422, field="token")
        conn.execute(
            "UPDATE vhc_tokens SET used_at = ?, used_by = ? WHERE token = ?",
            (now.isoformat(), env.hospital_id, token),
        )
        row = patient_by_id(conn, tok["id_no"])
        assert row is not None
        return {
            "cardId": row["card_no"],
            "name": row["name"],
            "idNo": row["id_no"],
            "birthday": format_roc_date(date.fromisoformat(row["birthday"])),
            "sex": row["sex"],
            "identityStatus": IDENTITY[row["status"]],
        }

    return await sbx.db.run(run)


ROUTES = (Route("/api/hc/v1/VirtualHc/ReadBasic", "01", False, read_basic),)
