"""The synchronous outbox: owns the one SQLite handle (WAL, synchronous=FULL).

Durability: ``append`` commits before it returns and ``synchronous=FULL`` fsyncs the WAL on every
commit, so a returned event survives ``kill -9`` and power loss. Invariants (checked by the
hypothesis test): seq is strictly increasing and never reused, even after every row is deleted
(the counter row keeps ``last_seq``); only rows with ``seq <= acked_seq`` are ever deleted;
``depth == last_seq - acked_seq`` because rows are created contiguously and deleted as a prefix.

The handle is used from one thread at a time (a lock guards it); on the event loop use
:class:`edge_agent.outbox.AsyncOutbox`, which runs it on a dedicated writer thread.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from clinicbox_core.contracts import Event
from clinicbox_core.contracts.messages import EventBody
from edge_agent.clock import SYSTEM_CLOCK, WallClock
from edge_agent.outbox import queries
from edge_agent.outbox.disk import DEFAULT_LOW_FREE_BYTES, DiskGuard, is_disk_full
from edge_agent.outbox.errors import AckBeyondLastSeq, OutboxBelongsToOtherBox
from edge_agent.outbox.schema import migrate

BUSY_TIMEOUT_MS = 5000


class Outbox:
    """Durable, ordered store of the events this box has not yet had acknowledged."""

    def __init__(
        self,
        path: Path,
        box_id: str,
        clock: WallClock = SYSTEM_CLOCK,
        low_free_bytes: int = DEFAULT_LOW_FREE_BYTES,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.box_id = box_id
        self.clock = clock
        self.disk = DiskGuard(path.parent, low_free_bytes)
        self._lock = threading.Lock()
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db = Database(conn, execute_plugins=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._db.enable_wal()
        conn.execute("PRAGMA synchronous = FULL")
        migrate(conn)
        with self._write() as c:
            row = c.execute(queries.COUNTER_GET).fetchone()
            if row is None:
                c.execute(queries.COUNTER_INIT, (box_id,))
            elif row[0] != box_id:
                raise OutboxBelongsToOtherBox(path=str(path), owner=row[0], box_id=box_id)

    @property
    def conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection = self._db.conn
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction (the write lock is taken up front)."""
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def append(self, body: EventBody) -> Event:
        """Store a new event with the next seq; once this returns the event is durable.

        On a low disk a non-essential event is refused (:class:`DiskNearlyFull`); when SQLite
        cannot write, the transaction rolls back and :class:`DiskFull` is raised (see
        :mod:`edge_agent.outbox.disk`)."""
        self.disk.before_write(body.type)
        try:
            with self._write() as c:
                (seq,) = c.execute(queries.COUNTER_NEXT_SEQ).fetchone()
                event = Event(
                    box_id=self.box_id, seq=int(seq), occurred_at=self.clock.now(), body=body
                )
                c.execute(
                    queries.EVENT_INSERT, (event.seq, str(event.event_id), event.model_dump_json())
                )
        except sqlite3.Error as exc:
            if is_disk_full(exc):
                raise self.disk.write_failed() from exc
            raise
        return event

    def unacked(self, after_seq: int = 0, limit: int = 100) -> list[Event]:
        """Events not yet acknowledged with ``seq > after_seq``, in seq order, at most ``limit``."""
        with self._lock:
            rows = self.conn.execute(queries.EVENT_UNACKED, (after_seq, limit)).fetchall()
        return [Event.model_validate_json(row[0]) for row in rows]

    def ack(self, upto_seq: int) -> int:
        """The cloud stored every event up to ``upto_seq``: delete them; return how many went.

        An ack at or below the current one is a no-op (acks may arrive twice or out of order); an
        ack beyond the last seq ever handed out is refused with :class:`AckBeyondLastSeq`.
        """
        try:
            with self._write() as c:
                _, last_seq, acked_seq = c.execute(queries.COUNTER_GET).fetchone()
                if upto_seq > last_seq:
                    raise AckBeyondLastSeq(upto_seq=upto_seq, last_seq=last_seq)
                if upto_seq <= acked_seq:
                    return 0
                deleted = c.execute(queries.EVENT_DELETE_UPTO, (upto_seq,)).rowcount
                c.execute(queries.COUNTER_SET_ACKED, (upto_seq,))
        except sqlite3.Error as exc:
            if is_disk_full(exc):  # even a delete needs WAL space; the next ack retries
                raise self.disk.write_failed() from exc
            raise
        return int(deleted)

    def _counter(self) -> tuple[int, int]:
        with self._lock:
            _, last_seq, acked_seq = self.conn.execute(queries.COUNTER_GET).fetchone()
        return int(last_seq), int(acked_seq)

    def depth(self) -> int:
        """How many events wait for the cloud's acknowledgement."""
        last_seq, acked_seq = self._counter()
        return last_seq - acked_seq

    def last_seq(self) -> int:
        """The last seq handed out (0 before the first event)."""
        return self._counter()[0]

    def acked_seq(self) -> int:
        """The highest seq the cloud acknowledged (0 before the first ack)."""
        return self._counter()[1]

    def close(self) -> None:
        with self._lock:
            self._db.close()
