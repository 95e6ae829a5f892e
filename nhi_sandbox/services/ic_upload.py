"""IC-card data upload (健保卡資料上傳, formats 1.0 and 2.0) and its per-record results.

Every record is checked by the shared checker (clinicbox_core.nhi.ic_upload.check.check_upload:
the format rules and codes of the 2.0 check-error table, the file-level 退件原則, C001/C002/Y009/
Y010 against the keys the sandbox already holds, BD/BH against the receive time). The sandbox then
adds the checks only the NHI's database can make (codes from the same table):

* 07: the record's 院所代碼 is not the uploading hospital's (the SAM's);
* 05: the person or the card number is not what the NHI holds;
* D002/D003/D004/D005: the 就醫識別碼 was not issued, or was issued for another person, hospital
  or visit time;
* D069: a no-card 就醫識別碼 (``/TreatmentNumber/NoCard``) on a 正常 (H01=A) record — it is for
  異常 records only;
* 04: the 安全簽章 is not the one the IDC gave with that 就醫序號;
* 16: a 處方簽章 is not the one the card gave for that order (services/prescription.py).

Accepted records become visits MediCloud shows (diagnoses and drug orders, 醫令類別 1).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import InvalidOperation
from typing import Any

from clinicbox_core.nhi.ic_upload.check import NOTICE_ONLY, RecordResult, check_upload
from clinicbox_core.nhi.ic_upload.model import IcRecord, RecordKey
from clinicbox_core.nhi.ic_upload.xml_io import parse_upload
from nhi_sandbox.codes import message_for
from nhi_sandbox.errors import SandboxError
from nhi_sandbox.services.common import Route
from nhi_sandbox.services.files import file_bytes
from nhi_sandbox.services.prescription import canonical_quantity
from nhi_sandbox.signature import Envelope
from nhi_sandbox.state import Sandbox
from nhi_sandbox.wire import parse_roc_datetime, req_str

__all__ = ["ROUTES"]

UPLOAD_ID = r"IC[0-9A-F]{16}"
Signer = Callable[[str, str, datetime, str, int, str], str]


@dataclass(frozen=True, slots=True)
class _Verdict:
    index: int | None
    accepted: bool
    errors: list[dict[str, Any]]
    record: IcRecord | None


def _db_errors(
    conn: sqlite3.Connection, rec: IcRecord, hospital_id: str, sbx_sign: Signer
) -> list[dict[str, Any]]:
    p = rec.profile
    out: list[dict[str, Any]] = []

    def err(code: str, fld: str | None) -> None:
        out.append({"code": code, "field": fld, "message": message_for(code), "order": None})

    id_no, hosp = rec.get(p.id_number) or "", rec.get(p.hospital) or ""
    when = rec.get(p.visit_time) or ""
    if hosp != hospital_id:
        err("07", p.hospital)
    person = conn.execute("SELECT card_no FROM patients WHERE id_no = ?", (id_no,)).fetchone()
    card_no = rec.get(p.card_no)
    if person is None or (card_no and card_no != person["card_no"]):
        err("05", p.card_no if person is not None else p.id_number)
    try:
        visit_dt = parse_roc_datetime(when)
        visit_iso = visit_dt.isoformat()
    except ValueError:
        return out  # the shared checker has already reported the date
    number = rec.get(p.treatment_id)
    if number:
        row = conn.execute("SELECT * FROM treatment_numbers WHERE number = ?", (number,)).fetchone()
        if row is None:
            err("D002", p.treatment_id)
        else:
            if row["id_no"] != id_no:
                err("D003", p.treatment_id)
            if row["hospital_id"] != hosp:
                err("D004", p.treatment_id)
            if row["treatment_dt"] != visit_iso:
                err("D005", p.treatment_id)
            if row["kind"] == "nocard" and not rec.kind.abnormal:
                err("D069", p.treatment_id)
    sig = rec.get(p.signature)
    if sig and not rec.kind.abnormal:
        seq = conn.execute(
            "SELECT security_sig FROM sequences WHERE id_no = ? AND hospital_id = ?"
            " AND treatment_dt = ? AND rolled_back = 0",
            (id_no, hosp, visit_iso),
        ).fetchall()
        if sig.upper() not in {s["security_sig"] for s in seq}:
            err("04", p.signature)
    if not rec.kind.abnormal:
        out.extend(_order_sign_errors(rec, id_no, hosp, visit_dt, sbx_sign))
    return out


def _order_sign_errors(
    rec: IcRecord, id_no: str, hosp: str, when: datetime, sign: Signer
) -> list[dict[str, Any]]:
    """16: a 處方簽章 that is not the one the card gave for that order (prescription.py)."""
    p, out = rec.profile, []
    for i, order in enumerate(rec.orders):
        f = order.fields
        given = f.get(p.order_signature)
        if not given:
            continue
        days_text = (f.get(p.order_days) or "0").strip()
        try:
            total = canonical_quantity(f.get(p.order_quantity) or "")
            days = int(days_text or "0")
        except (InvalidOperation, ValueError):
            continue  # the shared checker has already reported the field
        code = (f.get(p.order_code) or "").upper()
        if given.upper() != sign(id_no, hosp, when, code, days, total):
            out.append(
                {"code": "16", "field": p.order_signature, "message": message_for("16"), "order": i}
            )
    return out


def _as_dict(result: RecordResult) -> list[dict[str, Any]]:
    return [
        {"code": e.code, "field": e.field, "message": e.message, "order": e.order}
        for e in result.errors
    ]


def _store_visit(conn: sqlite3.Connection, rec: IcRecord, upload_id: str) -> None:
    p = rec.profile
    when = parse_roc_datetime(rec.get(p.visit_time) or "")
    diagnoses = [d for d in (rec.get(f) for f in p.diagnoses) if d]
    cur = conn.execute(
        "INSERT INTO visits (id_no, hospital_id, visit_dt, source, treatment_number, diagnoses,"
        " upload_id) VALUES (?,?,?,?,?,?,?)",
        (rec.get(p.id_number), rec.get(p.hospital), when.isoformat(), "ic_upload",
         rec.get(p.treatment_id), json.dumps(diagnoses), upload_id),
    )  # fmt: skip
    n = 0
    for order in rec.orders:
        f = order.fields
        if f.get(p.order_class) != "1":
            continue
        days_text = f.get(p.order_days) or "0"
        days = int(days_text) if days_text.isdigit() else 0
        n += 1
        code = f.get(p.order_code) or ""
        conn.execute(
            "INSERT INTO medications VALUES (?,?,?,?,?,?,?,?)",
            (cur.lastrowid, n, code, code, f.get(p.order_frequency) or "", days,
             f.get(p.order_quantity) or "", int(days >= 28)),
        )  # fmt: skip


def _check(
    conn: sqlite3.Connection, data: bytes, hospital_id: str, now: datetime, sign: Signer
) -> list[_Verdict]:
    held = conn.execute(
        "SELECT id_no, hospital, visit_time FROM ic_keys WHERE hospital = ?", (hospital_id,)
    ).fetchall()
    keys = {RecordKey(r["id_no"], r["hospital"], r["visit_time"]) for r in held}
    results = check_upload(data, received_at=now, uploaded=keys, accepted=keys)
    parsed = {item.index: item.record for item in parse_upload(data).records}
    verdicts = []
    for res in results:
        errors = _as_dict(res)
        rec = parsed.get(res.index) if res.index is not None else None
        if rec is not None:
            errors += _db_errors(conn, rec, hospital_id, sign)
        ok = res.index is not None and all(e["code"] in NOTICE_ONLY for e in errors)
        verdicts.append(_Verdict(res.index, ok, errors, rec))
    return verdicts


def _summary(conn: sqlite3.Connection, upload_id: str) -> dict[str, Any]:
    head = conn.execute("SELECT * FROM ic_uploads WHERE upload_id = ?", (upload_id,)).fetchone()
    rows = conn.execute(
        "SELECT * FROM ic_records WHERE upload_id = ? ORDER BY idx", (upload_id,)
    ).fetchall()
    return {
        "uploadId": upload_id,
        "fileName": head["file_name"],
        "receivedAt": head["received_at"],
        "records": head["records"],
        "accepted": head["accepted"],
        "rejected": head["rejected"],
        "results": [
            {
                "index": None if r["idx"] < 0 else r["idx"],
                "status": r["status"],
                "idNo": r["id_no"],
                "visitDateTime": r["visit_dt"],
                "errors": json.loads(r["codes"]),
            }
            for r in rows
        ],
    }


async def upload(sbx: Sandbox, env: Envelope, params: dict[str, Any]) -> dict[str, Any]:
    name = req_str(params, "fileName", r"[0-9A-Za-z_.\-]{1,60}\.(xml|zip|XML|ZIP)")
    data = file_bytes(params, name)
    now = sbx.clock.now()
    upload_id = "IC" + secrets.token_hex(8).upper()

    def run(conn: sqlite3.Connection) -> dict[str, Any]:
        verdicts = _check(conn, data, env.hospital_id, now, sbx.prescription_signature)
        accepted = [v for v in verdicts if v.accepted]
        for v in verdicts:
            rec = v.record
            p = rec.profile if rec else None
            conn.execute(
                "INSERT INTO ic_records VALUES (?,?,?,?,?,?)",
                (upload_id, -1 if v.index is None else v.index,
                 "accepted" if v.accepted else "rejected",
                 json.dumps(v.errors, ensure_ascii=False),
                 rec.get(p.id_number) if rec and p else None,
                 rec.get(p.visit_time) if rec and p else None),
            )  # fmt: skip
            if v.accepted and rec is not None:
                key = rec.key
                try:
                    visit_iso = parse_roc_datetime(key.visit_time).isoformat()
                except ValueError:  # accepted with a notice only; no visit to show
                    continue
                conn.execute(
                    "INSERT OR REPLACE INTO ic_keys VALUES (?,?,?,?,?)",
                    (key.id_number, key.hospital, key.visit_time, upload_id, v.index),
                )
                conn.execute(
                    "DELETE FROM medications WHERE visit_id IN (SELECT id FROM visits WHERE"
                    " id_no = ? AND hospital_id = ? AND source = 'ic_upload' AND visit_dt = ?)",
                    (key.id_number, key.hospital, visit_iso),
                )
                conn.execute(
                    "DELETE FROM visits WHERE id_no = ? AND hospital_id = ?"
                    " AND source = 'ic_upload' AND visit_dt = ?",
                    (key.id_number, key.hospital, visit_iso),
                )
                _store_visit(conn, rec, upload_id)
        records = sum(1 for v in verdicts if v.index is not None)
        conn.execute(
            "INSERT INTO ic_uploads VALUES (?,?,?,?,?,?,?,?)",
            (upload_id, env.hospital_id, name, now.isoformat(), "", records, len(accepted),
             records - len(accepted)),
        )  # fmt: skip
        return _summary(conn, upload_id)

    summary = await sbx.db.run(run)
    fatal = [r for r in summary["results"] if r["index"] is None]
    if fatal:
        code = fatal[0]["errors"][0]["code"] if fatal[0]["errors"] else "Y001"
        raise SandboxError(code, 422, field="content", details=summary)
    return summary


async def result(sbx: Sandbox, env: Envelope, params: dict[str, Any]) -> dict[str, Any]:
    upload_id = req_str(params, "uploadId", UPLOAD_ID)

    def run(conn: sqlite3.Connection) -> dict[str, Any]:
        owner = conn.execute(
            "SELECT hospital_id FROM ic_uploads WHERE upload_id = ?", (upload_id,)
        ).fetchone()
        if owner is None or owner[0] != env.hospital_id:
            raise SandboxError("SBX01", 404, field="uploadId")
        return _summary(conn, upload_id)

    return await sbx.db.run(run)


ROUTES = (
    Route("/api/v1/IcData/Upload", "30", False, upload),
    Route("/api/v1/IcData/Result", "01", False, result),
)
