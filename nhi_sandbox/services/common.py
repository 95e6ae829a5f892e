"""What every service module shares: the route record and the patient lookups by card or ID."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from nhi_sandbox.errors import SandboxError
from nhi_sandbox.signature import Envelope
from nhi_sandbox.state import Sandbox

__all__ = ["Handler", "Route", "card_patient", "insured_patient", "patient_by_id"]

Handler = Callable[[Sandbox, Envelope, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Route:
    """A POST endpoint: its path, the signature's serviceType, whether a card must be present."""

    path: str
    service_type: str
    card: bool
    handler: Handler


def patient_by_id(conn: sqlite3.Connection, id_no: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM patients WHERE id_no = ?", (id_no,)
    ).fetchone()
    return row


def card_patient(conn: sqlite3.Connection, env: Envelope) -> sqlite3.Row:
    """The person whose card signed the request: 9012 unknown, 4071 card/ID mismatch."""
    assert env.hc_id_no is not None
    row = patient_by_id(conn, env.hc_id_no)
    if row is None:
        raise SandboxError("9012", 404, field="hcIdNo")
    if row["card_no"] != env.hc_id:
        raise SandboxError("4071", 401, field="hcId")
    return row


def insured_patient(row: sqlite3.Row, today: date) -> None:
    """Refuse a card that cannot be used for a visit: 5002 註銷, 5003 過期, 5012 未在保."""
    if row["status"] == "cancelled":
        raise SandboxError("5002", 422)
    if date.fromisoformat(row["card_validity"]) < today:
        raise SandboxError("5003", 422)
    if row["status"] == "uninsured":
        raise SandboxError("5012", 422)


def check_treatment_number(
    conn: sqlite3.Connection, number: str, id_no: str, hospital_id: str, field: str
) -> sqlite3.Row:
    """A 就醫識別碼 the IDC issued for this person at this hospital: D002 / D003 / D004."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM treatment_numbers WHERE number = ?", (number,)
    ).fetchone()
    if row is None:
        raise SandboxError("D002", 422, field=field)
    if row["id_no"] != id_no:
        raise SandboxError("D003", 422, field=field)
    if row["hospital_id"] != hospital_id:
        raise SandboxError("D004", 422, field=field)
    return row


TREATMENT_NUMBER = r"[0-9A-Z]{20}"
__all__ += ["TREATMENT_NUMBER", "check_treatment_number"]
