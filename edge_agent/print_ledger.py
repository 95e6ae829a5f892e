"""Which print jobs this box has already finished, so a redelivered print command is not printed
twice.

MQTT QoS 1 delivers a command at least once: after a reconnect, or after the box restarts
inside its persistent session, the broker may hand over a print job the box already printed.
The ledger records each job's outcome *after* the printer accepted it; a crash between printing
and recording therefore reprints once (a duplicate drug bag is recoverable, a missing one is not).
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from pathlib import Path

from clinicbox_core.contracts import PrintResult

_SCHEMA = """
CREATE TABLE IF NOT EXISTS printed_jobs (
    job_id TEXT PRIMARY KEY,       -- PrintJob.job_id from the cloud
    result TEXT NOT NULL,          -- PrintResult JSON, replayed on redelivery
    printed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
"""


class PrintLedger:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def done(self, job_id: uuid.UUID) -> PrintResult | None:
        """The result recorded for a successfully printed job, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT result FROM printed_jobs WHERE job_id = ?", (str(job_id),)
            ).fetchone()
        return PrintResult.model_validate_json(row[0]) if row else None

    def record(self, result: PrintResult) -> None:
        """Remember a finished job; failed jobs are not recorded so a retry prints."""
        if result.status != "done":
            return
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO printed_jobs (job_id, result) VALUES (?, ?)",
                (str(result.job_id), result.model_dump_json()),
            )

    def prune(self, keep: int = 10_000) -> None:
        """Keep the most recent ``keep`` jobs; redeliveries only concern recent ones."""
        with self._lock:
            self._db.execute(
                "DELETE FROM printed_jobs WHERE job_id NOT IN "
                "(SELECT job_id FROM printed_jobs ORDER BY printed_at DESC LIMIT ?)",
                (keep,),
            )

    def close(self) -> None:
        self._db.close()
