"""Every SQL statement the outbox runs, as constants (the query-plan test checks each one)."""

from __future__ import annotations

COUNTER_GET = "SELECT box_id, last_seq, acked_seq FROM outbox_counter WHERE id = 1"
COUNTER_INIT = "INSERT INTO outbox_counter (id, box_id, last_seq, acked_seq) VALUES (1, ?, 0, 0)"
COUNTER_NEXT_SEQ = (
    "UPDATE outbox_counter SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq"
)
COUNTER_SET_ACKED = "UPDATE outbox_counter SET acked_seq = ? WHERE id = 1"
EVENT_INSERT = "INSERT INTO outbox_event (seq, event_id, payload) VALUES (?, ?, ?)"
EVENT_UNACKED = "SELECT payload FROM outbox_event WHERE seq > ? ORDER BY seq LIMIT ?"
EVENT_DELETE_UPTO = "DELETE FROM outbox_event WHERE seq <= ?"

# name -> (sql, sample parameters) for the query-plan test
ALL: dict[str, tuple[str, tuple[object, ...]]] = {
    "COUNTER_GET": (COUNTER_GET, ()),
    "COUNTER_INIT": (COUNTER_INIT, ("box-1",)),
    "COUNTER_NEXT_SEQ": (COUNTER_NEXT_SEQ, ()),
    "COUNTER_SET_ACKED": (COUNTER_SET_ACKED, (1,)),
    "EVENT_INSERT": (EVENT_INSERT, (1, "00000000-0000-0000-0000-000000000000", "{}")),
    "EVENT_UNACKED": (EVENT_UNACKED, (0, 100)),
    "EVENT_DELETE_UPTO": (EVENT_DELETE_UPTO, (1,)),
}
