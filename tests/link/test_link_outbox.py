"""The durable outbox: seq assignment, acks, persistence across reopen and kill -9, invariants."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinicbox_core.contracts import CardRemoved
from edge_agent.outbox import AckBeyondLastSeq, AsyncOutbox, Outbox, OutboxBelongsToOtherBox
from edge_agent.outbox.schema import SCHEMA_VERSION, current_version

BODY = CardRemoved(reader="r1")


def test_append_assigns_consecutive_seqs_and_returns_the_event(tmp_path: Path) -> None:
    ob = Outbox(tmp_path / "o.db", "box-1")
    events = [ob.append(BODY) for _ in range(3)]
    assert [e.seq for e in events] == [1, 2, 3]
    assert {e.box_id for e in events} == {"box-1"}
    assert len({e.event_id for e in events}) == 3
    assert ob.unacked() == events
    assert ob.depth() == 3 and ob.last_seq() == 3


def test_unacked_pages_in_seq_order(tmp_path: Path) -> None:
    ob = Outbox(tmp_path / "o.db", "box-1")
    for _ in range(10):
        ob.append(BODY)
    assert [e.seq for e in ob.unacked(after_seq=3, limit=4)] == [4, 5, 6, 7]
    assert ob.unacked(after_seq=10) == []


def test_ack_deletes_only_the_acknowledged_prefix(tmp_path: Path) -> None:
    ob = Outbox(tmp_path / "o.db", "box-1")
    for _ in range(5):
        ob.append(BODY)
    assert ob.ack(3) == 3
    assert [e.seq for e in ob.unacked()] == [4, 5]
    assert ob.ack(2) == 0  # older ack arriving late: no-op
    assert ob.ack(3) == 0  # duplicate ack: no-op
    assert ob.depth() == 2 and ob.acked_seq() == 3


def test_ack_beyond_last_seq_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    ob = Outbox(tmp_path / "o.db", "box-1")
    ob.append(BODY)
    with pytest.raises(AckBeyondLastSeq) as info:
        ob.ack(2)
    assert info.value.params == {"upto_seq": 2, "last_seq": 1}
    assert ob.depth() == 1 and ob.acked_seq() == 0


def test_seq_stays_monotonic_after_every_row_is_deleted_and_reopened(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    ob = Outbox(path, "box-1")
    ob.append(BODY)
    ob.append(BODY)
    ob.ack(2)
    assert ob.depth() == 0
    ob.close()
    reopened = Outbox(path, "box-1")
    assert reopened.append(BODY).seq == 3


def test_opening_another_boxs_outbox_is_refused(tmp_path: Path) -> None:
    Outbox(tmp_path / "o.db", "box-1").close()
    with pytest.raises(OutboxBelongsToOtherBox):
        Outbox(tmp_path / "o.db", "box-2")


def test_schema_is_migrated_once_and_pragmas_are_durable(tmp_path: Path) -> None:
    ob = Outbox(tmp_path / "o.db", "box-1")
    assert current_version(ob.conn) == SCHEMA_VERSION
    assert ob.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert ob.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    ob.close()
    again = Outbox(tmp_path / "o.db", "box-1")
    rows = again.conn.execute("SELECT count(*) FROM _schema").fetchone()[0]
    assert rows == SCHEMA_VERSION


async def test_async_facade_runs_on_one_writer_thread(tmp_path: Path) -> None:
    ob = await AsyncOutbox.open(tmp_path / "o.db", "box-1")
    try:
        import asyncio

        events = await asyncio.gather(*(ob.append(BODY) for _ in range(50)))
        assert sorted(e.seq for e in events) == list(range(1, 51))
        assert await ob.ack(50) == 50
        assert await ob.depth() == 0 and await ob.last_seq() == 50
    finally:
        await ob.close()


_KILL_CHILD = """
import sys
from pathlib import Path
from clinicbox_core.contracts import CardRemoved
from edge_agent.outbox import Outbox
ob = Outbox(Path(sys.argv[1]), "box-1")
while True:
    e = ob.append(CardRemoved(reader="r"))
    print(e.seq, e.event_id, flush=True)
"""


def test_every_returned_append_survives_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILL_CHILD, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.stdout is not None
    seen: dict[int, str] = {}
    try:
        for line in proc.stdout:
            seq, event_id = line.split()
            seen[int(seq)] = event_id
            if len(seen) >= 300:
                break
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    ob = Outbox(path, "box-1")
    stored = {e.seq: str(e.event_id) for e in ob.unacked(limit=1_000_000)}
    print(f"returned before kill -9: {len(seen)}, stored after: {len(stored)}")
    assert all(stored.get(seq) == eid for seq, eid in seen.items())
    assert sorted(stored) == list(range(1, len(stored) + 1))
    assert ob.append(BODY).seq == len(stored) + 1


ops = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(1, 5)),
        st.tuples(st.just("ack"), st.integers(-2, 30)),
        st.tuples(st.just("reopen"), st.just(0)),
    ),
    max_size=40,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=ops)
def test_random_append_and_ack_sequences_keep_the_invariants(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, int]]
) -> None:
    path = tmp_path_factory.mktemp("prop") / "o.db"
    ob = Outbox(path, "box-p")
    model_last, model_acked = 0, 0
    try:
        for op, n in ops:
            if op == "append":
                for _ in range(n):
                    event = ob.append(BODY)
                    model_last += 1
                    assert event.seq == model_last
            elif op == "ack":
                upto = model_acked + n  # relative: below, at and beyond the current state
                if upto < 0:
                    continue
                if upto > model_last:
                    with pytest.raises(AckBeyondLastSeq):
                        ob.ack(upto)
                else:
                    deleted = ob.ack(upto)
                    assert deleted == max(0, upto - model_acked)
                    model_acked = max(model_acked, upto)
            else:
                ob.close()
                ob = Outbox(path, "box-p")
            # invariants
            remaining = [e.seq for e in ob.unacked(limit=10_000)]
            assert remaining == list(range(model_acked + 1, model_last + 1))
            assert ob.depth() == model_last - model_acked == len(remaining)
            assert ob.last_seq() == model_last and ob.acked_seq() == model_acked
    finally:
        ob.close()
