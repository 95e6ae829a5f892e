"""The sandbox's SQLite store: one connection, one writer thread, one transaction per call.

Every read and write goes through :meth:`Database.run`, which runs a plain function on a
single-thread executor inside a transaction (commit on return, rollback on exception). So the
event loop never blocks on SQLite and there is exactly one writer.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

__all__ = ["SCHEMA", "Database"]

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hospitals (
  hospital_id TEXT PRIMARY KEY, sam_id TEXT NOT NULL, secret TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS used_randoms (
  hospital_id TEXT NOT NULL, client_random TEXT NOT NULL,
  PRIMARY KEY (hospital_id, client_random));
CREATE TABLE IF NOT EXISTS patients (
  id_no TEXT PRIMARY KEY, card_no TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
  birthday TEXT NOT NULL, sex TEXT NOT NULL, issue_date TEXT NOT NULL, status TEXT NOT NULL,
  card_validity TEXT NOT NULL, counter INTEGER NOT NULL, insurer_code TEXT NOT NULL,
  insurer_id TEXT NOT NULL, emergency_tel TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sequences (
  id INTEGER PRIMARY KEY, id_no TEXT NOT NULL, hospital_id TEXT NOT NULL,
  treatment_dt TEXT NOT NULL, year INTEGER NOT NULL, seq_no TEXT NOT NULL, item TEXT NOT NULL,
  department TEXT, treatment_number TEXT NOT NULL, security_sig TEXT NOT NULL,
  same_day TEXT NOT NULL, counted INTEGER NOT NULL, rolled_back INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS ix_sequences_patient ON sequences (id_no, treatment_dt);
CREATE TABLE IF NOT EXISTS treatment_numbers (
  number TEXT PRIMARY KEY, id_no TEXT NOT NULL, hospital_id TEXT NOT NULL,
  treatment_dt TEXT NOT NULL, kind TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS visits (
  id INTEGER PRIMARY KEY, id_no TEXT NOT NULL, hospital_id TEXT NOT NULL,
  visit_dt TEXT NOT NULL, source TEXT NOT NULL, treatment_number TEXT,
  diagnoses TEXT NOT NULL, upload_id TEXT);
CREATE INDEX IF NOT EXISTS ix_visits_patient ON visits (id_no, visit_dt);
CREATE TABLE IF NOT EXISTS medications (
  visit_id INTEGER NOT NULL REFERENCES visits (id), seq INTEGER NOT NULL, code TEXT NOT NULL,
  name TEXT NOT NULL, frequency TEXT NOT NULL, days INTEGER NOT NULL, total TEXT NOT NULL,
  chronic INTEGER NOT NULL, PRIMARY KEY (visit_id, seq));
CREATE TABLE IF NOT EXISTS ic_uploads (
  upload_id TEXT PRIMARY KEY, hospital_id TEXT NOT NULL, file_name TEXT NOT NULL,
  received_at TEXT NOT NULL, file_sha TEXT NOT NULL, records INTEGER NOT NULL,
  accepted INTEGER NOT NULL, rejected INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ic_records (
  upload_id TEXT NOT NULL, idx INTEGER NOT NULL, status TEXT NOT NULL, codes TEXT NOT NULL,
  id_no TEXT, visit_dt TEXT, PRIMARY KEY (upload_id, idx));
CREATE TABLE IF NOT EXISTS ic_keys (
  id_no TEXT NOT NULL, hospital TEXT NOT NULL, visit_time TEXT NOT NULL,
  upload_id TEXT NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (id_no, hospital, visit_time));
CREATE TABLE IF NOT EXISTS claims (
  receipt_no TEXT PRIMARY KEY, hospital_id TEXT NOT NULL, file_name TEXT NOT NULL,
  fee_month TEXT NOT NULL, appl_type TEXT NOT NULL, status TEXT NOT NULL,
  findings TEXT NOT NULL, file_sha TEXT NOT NULL, received_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS prescriptions (
  prescription_id TEXT PRIMARY KEY, hospital_id TEXT NOT NULL, id_no TEXT NOT NULL,
  treatment_number TEXT NOT NULL UNIQUE, rx_type TEXT NOT NULL, refills INTEGER NOT NULL,
  issued_at TEXT NOT NULL, items TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vhc_tokens (
  token TEXT PRIMARY KEY, id_no TEXT NOT NULL, issued_at TEXT NOT NULL, used_at TEXT,
  used_by TEXT);
CREATE TABLE IF NOT EXISTS referrals (
  referral_id TEXT PRIMARY KEY, from_hospital TEXT NOT NULL, to_hospital TEXT NOT NULL,
  id_no TEXT NOT NULL, icd10 TEXT NOT NULL, department TEXT NOT NULL, reason TEXT NOT NULL,
  treatment_number TEXT NOT NULL, created_at TEXT NOT NULL, status TEXT NOT NULL,
  accepted_at TEXT);
"""


class Database:
    """``await db.run(fn)`` runs ``fn(conn)`` in one transaction on the writer thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nhi-sandbox-db")
        self._conn: sqlite3.Connection | None = None

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(SCHEMA)
        self._conn = conn

    def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._conn is None:
            self._open()
        conn = self._conn
        assert conn is not None
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, fn)

    async def close(self) -> None:
        def _close() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, _close)
        self._executor.shutdown(wait=True)
