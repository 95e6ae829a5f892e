"""Monthly claims upload (醫療費用申報) and its result query.

Follows 醫療費用申報檔加密上傳 API 作業說明 (101.11.20, reference/specs/
nhi-claims-encrypted-upload-api-1011120.txt): the file name is
(醫事機構代碼 10)(醫事類別 2)(費用年月 YYYMM)(申報類別 1 送核 / 2 補報)(月份註記 1/2/3)
(中文碼, B for XML), the 醫事機構代碼 must be the uploading one's, NHI_Query answers A10/A11
for an accepted upload. The content is checked by the shared claims validator
(clinicbox_core.nhi.claims.validate: every finding of severity ``error`` rejects the file, SBX04,
with the findings), and the sandbox adds what only the receiving platform can see: the name
agrees with the content (t1 vs 醫事類別, t2, t3, t5) and the same file is not filed twice (SBX05).
The transport (API DLL + encryption) is replaced by the signed JSON call.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import secrets
import sqlite3
from typing import Any

from clinicbox_core.nhi.claims.findings import Finding
from clinicbox_core.nhi.claims.validate import validate
from clinicbox_core.nhi.claims.xml_parser import ClaimsParseError, parse_raw
from nhi_sandbox.errors import SandboxError
from nhi_sandbox.services.common import Route
from nhi_sandbox.services.files import file_bytes
from nhi_sandbox.signature import Envelope
from nhi_sandbox.state import Sandbox
from nhi_sandbox.wire import req_str

__all__ = ["ROUTES", "parse_file_name"]

FILE_NAME = re.compile(
    r"^(?P<hosp>[0-9A-Z]{10})(?P<kind>[0-9]{2})(?P<ym>[0-9]{5})(?P<appl>[12])(?P<half>[123])"
    r"(?P<enc>[BECN])\.(?P<ext>xml|zip)$",
    re.IGNORECASE,
)
# 醫事類別 (HOSP_DATA_TYPE) → the claims file's t1: 門診 10, 特約藥局 30. 住診 (21/22/29) and
# 40/50 use other formats the validator does not read, so the sandbox refuses them.
KIND_T1 = {"11": "10", "12": "10", "13": "10", "14": "10", "15": "10", "19": "10", "30": "30"}
RECEIPT = r"NHI_[0-9]{8}"


def parse_file_name(name: str) -> dict[str, str]:
    m = FILE_NAME.fullmatch(name)
    if m is None:
        raise SandboxError("SBX02", 400, field="fileName")
    parts = {k: v.upper() for k, v in m.groupdict().items()}
    if parts["kind"] not in KIND_T1:
        raise SandboxError("SBX02", 400, field="fileName", message="檔名之醫事類別不支援")
    if not 1 <= int(parts["ym"][3:]) <= 12:
        raise SandboxError("SBX02", 400, field="fileName", message="檔名之費用年月不符")
    if parts["enc"] != "B":
        raise SandboxError("SBX02", 400, field="fileName", message="XML 格式中文碼必填 B")
    return parts


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "severity": f.severity,
        "location": f.location(),
        "case": f.case,
        "caseIndex": f.case_index,
        "order": f.order,
        "field": f.field,
        "value": f.value,
        "zh": f.zh,
        "en": f.en,
    }


def _name_vs_content(data: bytes, parts: dict[str, str]) -> list[dict[str, Any]]:
    """Where the file name and the 總表段 disagree (only when the file parses)."""
    try:
        tdata = parse_raw(data).tdata
    except ClaimsParseError:
        return []
    expected = {"t1": KIND_T1[parts["kind"]], "t2": parts["hosp"], "t3": parts["ym"]}
    expected["t5"] = parts["appl"]
    out = []
    for fld, want in expected.items():
        got = (tdata.get(fld) or "").strip()
        if got != want:
            out.append(
                {
                    "rule": "SBX-NAME",
                    "severity": "error",
                    "location": f"總表段 / {fld}",
                    "field": fld,
                    "value": got,
                    "zh": f"檔名所示 {want} 與申報檔 {fld}={got} 不符",
                    "en": f"file name says {want}, the file's {fld} is {got}",
                }
            )
    return out


async def upload(sbx: Sandbox, env: Envelope, params: dict[str, Any]) -> dict[str, Any]:
    name = req_str(params, "fileName", r"[0-9A-Za-z.]{1,40}")
    parts = parse_file_name(name)
    if parts["hosp"] != env.hospital_id:
        raise SandboxError("SBX03", 403, field="fileName")
    data = file_bytes(params, name)
    sha = hashlib.sha256(data).hexdigest()
    loop = asyncio.get_running_loop()
    checked = await loop.run_in_executor(None, validate, data)  # CPU-bound: off the loop
    findings = [_finding(f) for f in checked] + _name_vs_content(data, parts)
    errors = [f for f in findings if f["severity"] == "error"]
    now = sbx.clock.now()
    status = "REJECTED" if errors else "A11"

    def run(conn: sqlite3.Connection) -> str:
        dup = conn.execute(
            "SELECT receipt_no FROM claims WHERE hospital_id = ? AND file_sha = ?"
            " AND status = 'A11'",
            (env.hospital_id, sha),
        ).fetchone()
        if dup is not None:
            raise SandboxError("SBX05", 409, field="content", details={"receiptNo": dup[0]})
        while True:
            receipt = f"NHI_{secrets.randbelow(10**8):08d}"
            if not conn.execute("SELECT 1 FROM claims WHERE receipt_no = ?", (receipt,)).fetchone():
                break
        conn.execute(
            "INSERT INTO claims VALUES (?,?,?,?,?,?,?,?,?)",
            (receipt, env.hospital_id, name, parts["ym"], parts["appl"], status,
             json.dumps(findings, ensure_ascii=False), sha, now.isoformat()),
        )  # fmt: skip
        return receipt

    receipt = await sbx.db.run(run)
    if errors:
        raise SandboxError(
            "SBX04", 422, field="content", details={"receiptNo": receipt, "findings": findings}
        )
    return {"receiptNo": receipt, "status": status, "findings": findings}


async def query(sbx: Sandbox, env: Envelope, params: dict[str, Any]) -> dict[str, Any]:
    receipt = req_str(params, "receiptNo", RECEIPT)

    def run(conn: sqlite3.Connection) -> dict[str, Any]:
        row = conn.execute(
            "SELECT * FROM claims WHERE receipt_no = ? AND hospital_id = ?",
            (receipt, env.hospital_id),
        ).fetchone()
        if row is None:
            raise SandboxError("SBX01", 404, field="receiptNo")
        return {
            "receiptNo": row["receipt_no"],
            "fileName": row["file_name"],
            "feeMonth": row["fee_month"],
            "status": row["status"],
            "receivedAt": row["received_at"],
            "findings": json.loads(row["findings"]),
        }

    return await sbx.db.run(run)


ROUTES = (
    Route("/api/v1/Claims/Upload", "30", False, upload),
    Route("/api/v1/Claims/Query", "01", False, query),
)
