"""The running sandbox: its store, clock, IDC secret, registered hospitals and seeded people.

``Sandbox.open`` creates the data directory on first start (seeding the population from the
seed and recording it), or reopens it (refusing a different seed, SBX41, so two populations
never mix). Hospitals given on the command line are registered (or their secret replaced).
:meth:`Sandbox.authenticate` is the signature check every NHI-host endpoint starts with.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from clinicbox_core.nhi.roc_date import format_roc_datetime
from nhi_sandbox.clock import Clock
from nhi_sandbox.db import Database
from nhi_sandbox.errors import SandboxError
from nhi_sandbox.seed import generate
from nhi_sandbox.signature import Envelope, signature_matches, split_envelope

__all__ = ["SANDBOX_KEY", "HospitalKey", "Sandbox"]


@dataclass(frozen=True, slots=True)
class HospitalKey:
    """A hospital the sandbox's "IDC" knows: its 醫事機構代碼, SAM ID and shared secret."""

    hospital_id: str
    sam_id: str
    secret: str

    @classmethod
    def parse(cls, text: str) -> HospitalKey:
        """``HOSPITALID:SAMID:SECRET`` (the form of ``--hospital``)."""
        parts = text.split(":", 2)
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"expected HOSPITALID:SAMID:SECRET, got {text!r}")
        return cls(*parts)


def _meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def _set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


class Sandbox:
    def __init__(self, db: Database, clock: Clock, idc_secret: bytes, allow_clock: bool) -> None:
        self.db = db
        self.clock = clock
        self.idc_secret = idc_secret
        self.allow_clock = allow_clock

    @classmethod
    async def open(
        cls,
        data_dir: Path,
        *,
        seed: int,
        hospitals: list[HospitalKey],
        patients: int = 50,
        allow_clock: bool = False,
    ) -> Sandbox:
        db = Database(data_dir / "nhi-sandbox.sqlite3")
        clock = Clock()

        def init(conn: sqlite3.Connection) -> tuple[bytes, float]:
            stored = _meta(conn, "seed")
            if stored is None:
                _set_meta(conn, "seed", str(seed))
                _set_meta(conn, "idc_secret", os.urandom(32).hex())
                _set_meta(conn, "clock_offset", "0")
                _set_meta(conn, "created", clock.now().date().isoformat())
                _seed(conn, seed, patients, clock.now().date())
            elif stored != str(seed):
                raise SandboxError("SBX41", 500, message=f"data dir holds seed {stored}")
            for h in hospitals:
                conn.execute(
                    "INSERT OR REPLACE INTO hospitals (hospital_id, sam_id, secret) VALUES (?,?,?)",
                    (h.hospital_id, h.sam_id, h.secret),
                )
            return bytes.fromhex(_meta(conn, "idc_secret") or ""), float(
                _meta(conn, "clock_offset") or 0
            )

        secret, offset = await db.run(init)
        clock.offset_s = offset
        return cls(db, clock, secret, allow_clock)

    async def close(self) -> None:
        await self.db.close()

    # ---- signatures -------------------------------------------------------------------------

    async def authenticate(
        self, body: dict[str, Any], path: str, service_type: str, *, card: bool
    ) -> Envelope:
        """Check the SAM stand-in signature, consume ``clientRandom``; 9001/9013/9014/9020."""
        env = split_envelope(body, card=card)

        def check(conn: sqlite3.Connection) -> None:
            row = conn.execute(
                "SELECT sam_id, secret FROM hospitals WHERE hospital_id = ?", (env.hospital_id,)
            ).fetchone()
            if row is None:
                raise SandboxError("9013", 401, field="hospitalId")
            if row["sam_id"] != env.sam_id:
                raise SandboxError("9014", 401, field="samId")
            if not signature_matches(row["secret"], service_type, path, env):
                raise SandboxError("9020", 401, field="signature")
            try:
                conn.execute(
                    "INSERT INTO used_randoms (hospital_id, client_random) VALUES (?, ?)",
                    (env.hospital_id, env.client_random.lower()),
                )
            except sqlite3.IntegrityError as exc:
                raise SandboxError(
                    "9020", 401, field="clientRandom", message="IDC 驗章錯誤：clientRandom 已使用過"
                ) from exc

        await self.db.run(check)
        return env

    # ---- IDC-made values ----------------------------------------------------------------------

    def treatment_number(self, id_no: str, hospital_id: str, when: datetime, salt: str) -> str:
        """A 20-character 就醫識別碼 the sandbox can resolve back (stored in treatment_numbers)."""
        msg = f"{id_no}|{hospital_id}|{format_roc_datetime(when)}|{salt}".encode()
        digest = hmac.new(self.idc_secret, msg, hashlib.sha256).digest()
        return base64.b32encode(digest).decode()[:20]

    def security_signature(self, id_no: str, hospital_id: str, when: datetime, seq: str) -> str:
        """The 256-character 安全簽章 of a 就醫序號 (verified again on IC upload, code 04)."""
        msg = f"SEQ|{id_no}|{hospital_id}|{format_roc_datetime(when)}|{seq}".encode()
        blocks = [
            hmac.new(self.idc_secret, msg + bytes([i]), hashlib.sha512).hexdigest() for i in (1, 2)
        ]
        return "".join(blocks).upper()

    def prescription_signature(
        self, id_no: str, hospital_id: str, when: datetime, code: str, days: int, total: str
    ) -> str:
        """The 40-character 處方簽章 of one order (verified again on IC upload, code 16)."""
        msg = f"RX|{id_no}|{hospital_id}|{format_roc_datetime(when)}|{code}|{days}|{total}"
        return hmac.new(self.idc_secret, msg.encode(), hashlib.sha256).hexdigest()[:40].upper()


def _seed(conn: sqlite3.Connection, seed: int, count: int, today: date) -> None:
    for p in generate(seed, count):
        conn.execute(
            "INSERT INTO patients VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                p.id_no,
                p.card_no,
                p.name,
                p.birthday.isoformat(),
                p.sex,
                p.issue_date.isoformat(),
                p.status,
                (today + timedelta(days=p.validity_days)).isoformat(),
                p.counter,
                p.insurer_code,
                p.insurer_id,
                p.emergency_tel,
            ),
        )
        for v in p.visits:
            when = datetime.combine(today - timedelta(days=v.days_ago), datetime.min.time())
            when = when.replace(hour=v.hour)
            cur = conn.execute(
                "INSERT INTO visits (id_no, hospital_id, visit_dt, source, diagnoses)"
                " VALUES (?,?,?,?,?)",
                (p.id_no, v.hospital_id, when.isoformat(), "seed", json.dumps(v.diagnoses)),
            )
            for i, m in enumerate(v.medications, 1):
                conn.execute(
                    "INSERT INTO medications VALUES (?,?,?,?,?,?,?,?)",
                    (
                        cur.lastrowid,
                        i,
                        m.code,
                        m.name,
                        m.frequency,
                        m.days,
                        m.total,
                        int(m.chronic),
                    ),
                )


SANDBOX_KEY = web.AppKey("sandbox", Sandbox)
