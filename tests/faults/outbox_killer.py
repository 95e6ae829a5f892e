"""Kill -9 a box writer in the middle of writing, hundreds of times: ``python -m
tests.faults.outbox_killer --path outbox.db --box-id B --iterations 300 --seed 1``.

Each iteration forks a child (this process has already imported everything, so a child costs
milliseconds, not an interpreter start) that opens the real :class:`~edge_agent.outbox.Outbox`
and appends events as fast as it can, reporting every seq whose ``append`` has *returned* on a
pipe, and now and then acknowledges a prefix the way the cloud would. The parent sends SIGKILL
after a random delay, so the kill lands anywhere: inside a transaction, in the fsync, between
commit and report, inside an ack's delete. After each kill the parent reopens the outbox and
checks it:

- ``PRAGMA integrity_check`` is ``ok`` (never a corrupt file);
- every seq the child saw returned is still there or was acknowledged (nothing durable lost);
- the stored seqs are exactly ``acked_seq+1 .. last_seq`` (contiguous, no hole, no extra);
- every stored payload parses as an Event of this box with its seq (no torn row).

Prints one JSON line: iterations, events created, violations (must all be 0).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import sys
import time
from datetime import date
from pathlib import Path

from clinicbox_core.contracts import CardInserted, Event
from clinicbox_core.nhi.card import NhiCardBasic
from edge_agent.outbox import Outbox

CARD = NhiCardBasic(
    card_no="000012345678",
    name="測試病人",
    id_no="A123456789",
    birth_date=date(1986, 1, 1),
    sex="M",
    issue_date=date(2021, 1, 1),
)


def _body(n: int) -> CardInserted:
    card = CARD
    return CardInserted(reader=f"reader-{n}", card=card)


def child(path: Path, box_id: str, fd: int, seed: int, ack_rate: float) -> None:
    """Append (and sometimes ack) forever; write each returned seq to ``fd``."""
    rng = random.Random(seed)
    outbox = Outbox(path, box_id)
    out = os.fdopen(fd, "w", buffering=1)
    n = 0
    while True:
        event = outbox.append(_body(n))
        out.write(f"{event.seq}\n")
        n += 1
        if rng.random() < ack_rate:
            acked, last = outbox.acked_seq(), outbox.last_seq()
            if last > acked:
                outbox.ack(rng.randint(acked + 1, last))


def check(path: Path, box_id: str, returned: list[int]) -> dict[str, int]:
    """Reopen after a kill; count each kind of violation."""
    v = {"corrupt": 0, "lost": 0, "hole_or_extra": 0, "torn": 0}
    conn = sqlite3.connect(path)
    if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        v["corrupt"] += 1
    conn.close()
    outbox = Outbox(path, box_id)
    try:
        acked, last = outbox.acked_seq(), outbox.last_seq()
        rows = outbox.conn.execute("SELECT seq, payload FROM outbox_event ORDER BY seq").fetchall()
        seqs = [int(r[0]) for r in rows]
        if seqs != list(range(acked + 1, last + 1)):
            v["hole_or_extra"] += 1
        present = set(seqs)
        v["lost"] += sum(1 for s in returned if s > acked and s not in present)
        v["lost"] += sum(1 for s in returned if s > last)
        for seq, payload in rows:
            try:
                event = Event.model_validate_json(payload)
            except ValueError:
                v["torn"] += 1
                continue
            if event.seq != seq or event.box_id != box_id:
                v["torn"] += 1
    finally:
        outbox.close()
    return v


def run(
    path: Path, box_id: str, iterations: int, seed: int, max_delay_s: float, ack_rate: float
) -> dict[str, int]:
    rng = random.Random(seed)
    totals = {"corrupt": 0, "lost": 0, "hole_or_extra": 0, "torn": 0, "child_failed": 0}
    returned_total = 0
    for i in range(iterations):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read_fd)
            try:
                child(path, box_id, write_fd, seed * 100_003 + i, ack_rate)
            finally:
                os._exit(1)
        os.close(write_fd)
        reader = os.fdopen(read_fd)
        first = ""
        if rng.random() < 0.8:  # mostly once it is writing; sometimes while it opens
            first = reader.readline()
        time.sleep(rng.uniform(0.0, max_delay_s))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        if not os.WIFSIGNALED(status):
            totals["child_failed"] += 1  # it died on its own: a bug, not our kill
        with reader:
            data = first + reader.read()
        # a line cut by the kill is not a returned seq
        returned = [int(x) for x in data.split("\n")[:-1] if x]
        returned_total += len(returned)
        for k, n in check(path, box_id, returned).items():
            totals[k] += n
    outbox = Outbox(path, box_id)
    summary = {
        "iterations": iterations,
        "returned": returned_total,
        "last_seq": outbox.last_seq(),
        "acked_seq": outbox.acked_seq(),
        "depth": outbox.depth(),
        **totals,
    }
    outbox.close()
    return summary


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.faults.outbox_killer")
    p.add_argument("--path", type=Path, required=True)
    p.add_argument("--box-id", required=True)
    p.add_argument("--iterations", type=int, default=300)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-delay", type=float, default=0.03)
    p.add_argument("--ack-rate", type=float, default=0.1, help="0: never ack (drain later)")
    args = p.parse_args(argv)
    summary = run(args.path, args.box_id, args.iterations, args.seed, args.max_delay, args.ack_rate)
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
