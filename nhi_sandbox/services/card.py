"""Card basic data, 就醫序號 and 就醫識別碼: the control-software 6.0 / cloud-SAM REST calls.

Paths and field names follow the control software 6.0 code (nhi.md §1, [S6], code only, not an
official spec): ``/api/v1/BasicData/Query``, ``/BasicData/Register``, ``/SequelNumber/Next``,
``/SequelNumber/Rollback``, ``/TreatmentNumber/NoCard``. Rules checked (codes per csHis 3.3):

* 5002 註銷, 5003 過期 (card validity before today), 5012 未在保: no 序號 for such a card;
* 5001 可用次數不足: a counted visit (就醫類別 01–09) needs a count left on the card; while
  online the IDC tops the count back up to 6 when it falls to 3 (the card update that 9081 says
  only happens at ≤ 3);
* 5004: a 新生兒依附 visit (babyTreatment) needs newborn data; the sandbox holds none;
* 5010: a second counted visit the same day at the same hospital in another 就醫科別;
* 就醫序號: per person per calendar year, 0001 upwards (counted visits only); isSameDay = Y when
  the person already has a visit at this hospital today;
* 5081 rollback only within 24 hours of a visit at the same hospital; 5150 no such visit;
  5153 already rolled back;
* no-card 就醫識別碼 (``/TreatmentNumber/NoCard``, the REST form of ``hisGetTreatNumNoICCard``):
  9083 for someone not insured; with ``treatmentDateTime`` the number is stamped with that visit
  time (the IC upload's D005 compares the time decoded from the number with M11), refused when it
  lies in the future or beyond the upload window (BH: 3 months) — see :data:`NO_CARD_WINDOW`.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date, datetime, timedelta
from typing import Any

from clinicbox_core.nhi.roc_date import format_roc_date, format_roc_datetime
from clinicbox_core.nhi.visit_codes import DEPARTMENTS, VISIT_TYPES
from nhi_sandbox.errors import SandboxError, bad_param
from nhi_sandbox.services.common import Route, card_patient, insured_patient, patient_by_id
from nhi_sandbox.signature import Envelope
from nhi_sandbox.state import Sandbox
from nhi_sandbox.wire import opt_str, req_id_no, req_roc_datetime, req_str

__all__ = ["ROUTES"]

COUNTED = re.compile(r"^0[1-9]$")
CARD_UPDATE_AT = 3
CARD_FULL = 6
MAX_AFTER_CHECK_DAYS = 10  # 補卡 window the sandbox allows (assumption, docs/nhi-sandbox.md)
# How far back a no-card 就醫識別碼 may be stamped: the IC upload accepts records up to 3 months
# old (2.0 check code BH "上傳資料已逾期可處理日期範圍(3個月內)"); 90 days is our reading of it.
NO_CARD_WINDOW = timedelta(days=90)


def _basic(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "cardSn": row["card_no"],
        "name": row["name"],
        "idCardNum": row["id_no"],
        "birthday": format_roc_date(date.fromisoformat(row["birthday"])),
        "sex": row["sex"],
        "dateIssue": format_roc_date(date.fromisoformat(row["issue_date"])),
        "cancelTermination": "Y" if row["status"] == "cancelled" else "N",
    }


async def basic_query(sbx: Sandbox, env: Envelope, params: dict[str, Any]) -> dict[str, Any]:
    return await sbx.db.run(lambda conn: _basic(card_patient(conn, env)))


async def basic_register(sbx: Sandbox, env: Envelope, params: dict[str, Any]) -> dict[str, Any]:
    def run(conn: sqlite3.Connection) -> dict[str, Any]:
        row = card_patient(conn, env)
        return {
            **_basic(row),
            "insurerCode": row["insurer_code"],
            "insurerId": row["insurer_id"],
            "cardValidity": format_roc_date(date.fromisoformat(row["card_validity"])),
            "treatmentCounter": f"{row['counter']:02d}",
            "newbornBirthday": "",
            "newbornBaby": "",
        }

    return await sbx.db.run(run)


async def sequence_next(sbx: Sandbox, env: Envelope, params: dict[str, Any]) -> dict[str, Any]:
    item = req_str(params, "treatmentItem", r"[0-9A-Z]{2}")
    if item not in VISIT_TYPES or item in ("ZA", "ZB"):
        raise bad_param("treatmentItem", "非可取號之就醫類別")
    baby = req_str(params, "babyTreatment", r"[ 1-9]?")
    after = req_str(params, "afterCheck", r"[12]")
    dept = opt_str(params, "departmentCode", r"[0-9A-Z]{2}")
    if dept is not None and dept not in DEPARTMENTS:
        raise bad_param("departmentCode", "無此就醫科別")
    now = sbx.clock.now()
    when = now
    if after == "2":
        when = req_roc_datetime(params, "treatmentDateTime")
        if when > now or now - when > timedelta(days=MAX_AFTER_CHECK_DAYS):
            raise bad_param("treatmentDateTime", "補卡就醫日期不在允許範圍")
    elif params.get("treatmentDateTime") is not None:
        raise bad_param("treatmentDateTime", "僅補卡（afterCheck=2）可指定")
    counted = bool(COUNTED.match(item))

    def run(conn: sqlite3.Connection) -> dict[str, Any]:
        row = card_patient(conn, env)
        insured_patient(row, now.date())
        if baby.strip():
            raise SandboxError("5004", 422, field="babyTreatment")
        if counted and row["counter"] <= 0:
            raise SandboxError("5001", 422)
        today = conn.execute(
            "SELECT department FROM sequences WHERE id_no = ? AND hospital_id = ?"
            " AND substr(treatment_dt, 1, 10) = ? AND rolled_back = 0",
            (row["id_no"], env.hospital_id, when.date().isoformat()),
        ).fetchall()
        clash = any(r["department"] not in (None, dept) for r in today)
        if counted and dept is not None and clash:
            raise SandboxError("5010", 422, field="departmentCode")
        seq = ""
        if counted:
            last = conn.execute(
                "SELECT MAX(CAST(seq_no AS INTEGER)) FROM sequences WHERE id_no = ? AND year = ?"
                " AND counted = 1 AND rolled_back = 0",
                (row["id_no"], when.year),
            ).fetchone()[0]
            seq = f"{(last or 0) + 1:04d}"
            counter = row["counter"] - 1
            if counter <= CARD_UPDATE_AT:
                counter = CARD_FULL
            conn.execute("UPDATE patients SET counter = ? WHERE id_no = ?", (counter, row["id_no"]))
        number = sbx.treatment_number(row["id_no"], env.hospital_id, when, f"card{seq}")
        sig = sbx.security_signature(row["id_no"], env.hospital_id, when, seq)
        same_day = "Y" if today else "N"
        conn.execute(
            "INSERT INTO sequences (id_no, hospital_id, treatment_dt, year, seq_no, item,"
            " department, treatment_number, security_sig, same_day, counted)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                row["id_no"], env.hospital_id, when.isoformat(), when.year, seq, item, dept,
                number, sig, same_day, int(counted),
            ),
        )  # fmt: skip
        conn.execute(
            "INSERT OR REPLACE INTO treatment_numbers VALUES (?,?,?,?,?)",
            (number, row["id_no"], env.hospital_id, when.isoformat(), "card"),
        )
        return {
            "treatmentDateTime": format_roc_datetime(when),
            "sequenceNumber": seq,
            "hospitalId": env.hospital_id,
            "signature": sig,
            "samId": env.sam_id,
            "isSameDay": same_day,
            "treatmentNumber": number,
        }

    return await sbx.db.run(run)


async def sequence_rollback(sbx: Sandbox, env: Envelope, params: dict[str, Any]) -> dict[str, Any]:
    when = req_roc_datetime(params, "treatmentDateTime")
    seq = req_str(params, "sequenceNumber", r"[0-9]{4}|")
    now = sbx.clock.now()

    def run(conn: sqlite3.Connection) -> dict[str, Any]:
        row = card_patient(conn, env)
        recent = conn.execute(
            "SELECT COUNT(*) FROM sequences WHERE id_no = ? AND hospital_id = ?"
            " AND treatment_dt >= ? AND rolled_back = 0",
            (row["id_no"], env.hospital_id, (now - timedelta(hours=24)).isoformat()),
        ).fetchone()[0]
        target = conn.execute(
            "SELECT * FROM sequences WHERE id_no = ? AND hospital_id = ? AND treatment_dt = ?"
            " AND seq_no = ?",
            (row["id_no"], env.hospital_id, when.isoformat(), seq),
        ).fetchone()
        if target is None:
            raise SandboxError("5081" if recent == 0 else "5150", 422)
        if target["rolled_back"]:
            raise SandboxError("5153", 409)
        if now - datetime.fromisoformat(target["treatment_dt"]) > timedelta(hours=24):
            raise SandboxError("5081", 422)
        conn.execute("UPDATE sequences SET rolled_back = 1 WHERE id = ?", (target["id"],))
        if target["counted"]:
            conn.execute(
                "UPDATE patients SET counter = MIN(counter + 1, ?) WHERE id_no = ?",
                (CARD_FULL, row["id_no"]),
            )
        return {"treatmentDateTime": format_roc_datetime(when), "sequenceNumber": seq}

    return await sbx.db.run(run)


async def treatment_no_card(sbx: Sandbox, env: Envelope, params: dict[str, Any]) -> dict[str, Any]:
    id_no = req_id_no(params, "patientId")
    now = sbx.clock.now()
    when = now
    if params.get("treatmentDateTime") is not None:  # a visit made earlier without the IDC
        when = req_roc_datetime(params, "treatmentDateTime")
        if when > now:
            raise bad_param("treatmentDateTime", "就醫日期時間晚於現在")
        if now - when > NO_CARD_WINDOW:
            raise bad_param("treatmentDateTime", "就醫日期時間已逾上傳期限（3個月）")

    def run(conn: sqlite3.Connection) -> dict[str, Any]:
        row = patient_by_id(conn, id_no)
        if row is None or row["status"] == "uninsured":
            raise SandboxError("9083", 422, field="patientId")
        number = sbx.treatment_number(id_no, env.hospital_id, when, "nocard")
        conn.execute(
            "INSERT OR REPLACE INTO treatment_numbers VALUES (?,?,?,?,?)",
            (number, id_no, env.hospital_id, when.isoformat(), "nocard"),
        )
        return {"treatmentDateTime": format_roc_datetime(when), "treatmentNumber": number}

    return await sbx.db.run(run)


ROUTES = (
    Route("/api/v1/BasicData/Query", "01", True, basic_query),
    Route("/api/v1/BasicData/Register", "01", True, basic_register),
    Route("/api/v1/SequelNumber/Next", "03", True, sequence_next),
    Route("/api/v1/SequelNumber/Rollback", "03", True, sequence_rollback),
    Route("/api/v1/TreatmentNumber/NoCard", "03", False, treatment_no_card),
)
