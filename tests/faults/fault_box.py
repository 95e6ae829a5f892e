"""A box process for the fault tests: ``python -m tests.faults.fault_box --help``.

The real :class:`~edge_agent.outbox.AsyncOutbox` and :class:`~edge_agent.link.CloudLink` (mTLS,
persistent session), producing visits at ``--pace`` until the outbox's ``last_seq`` reaches
``--events`` (so a process restarted after kill -9 continues, never re-creates), then running
until the cloud acknowledged everything. ``--kind card`` makes ``card.inserted`` events with a
distinct valid patient per seq (the cloud registers a visit for each), ``--kind removed``
makes ``card.removed``. Prints JSON lines: one per ``--every`` events, and a final summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date
from pathlib import Path

from clinicbox_core.contracts import CardInserted, CardRemoved, Command, CommandResult
from clinicbox_core.contracts.messages import EventBody
from clinicbox_core.nhi.card import NhiCardBasic
from clinicbox_core.nhi.id_number import check_digit
from clinicbox_core.settings_models import MqttSettings
from edge_agent.clock import WallClock
from edge_agent.config import BoxSettings
from edge_agent.link import CloudLink
from edge_agent.outbox import AsyncOutbox


def patient_id(seq: int, prefix: str = "Q1") -> str:
    """A valid national id, distinct per ``seq`` (``prefix``: a letter and 1 or 2)."""
    nine = f"{prefix}{seq:07d}"
    return nine + check_digit(nine)


def body(kind: str, seq: int, id_prefix: str = "Q1") -> EventBody:
    if kind == "removed":
        return CardRemoved(reader=f"reader-{seq}")
    card = NhiCardBasic(
        card_no=f"{900000000000 + seq:012d}",
        name=f"斷線{seq % 1000:03d}",
        id_no=patient_id(seq, id_prefix),
        birth_date=date(1960 + seq % 50, 1 + seq % 12, 1 + seq % 28),
        sex="M",
        issue_date=date(2020, 1, 1),
    )
    return CardInserted(reader="Virtual PCD 00 00", card=card)


async def main(args: argparse.Namespace) -> int:
    settings = BoxSettings(
        box_id=args.box_id,
        tenant=args.tenant,
        data_dir=args.outbox.parent,
        mqtt=MqttSettings(
            host="127.0.0.1",
            port=args.port,
            ca_file=args.ca,
            cert_file=args.cert,
            key_file=args.key,
            keepalive_s=5,
            reconnect_min_s=0.05,
            reconnect_max_s=0.5,
        ),
    )
    outbox = await AsyncOutbox.open(args.outbox, args.box_id, WallClock(args.clock_file))

    async def on_command(command: Command) -> CommandResult:
        return CommandResult(command_id=command.command_id, box_id=args.box_id, ok=True)

    link = CloudLink(settings, outbox, on_command, window=32, ack_timeout_s=args.ack_timeout)
    runner = asyncio.create_task(link.run())
    created = 0
    while (seq := await outbox.last_seq() + 1) <= args.events:
        event = await outbox.append(body(args.kind, seq, args.id_prefix))
        created += 1
        link.notify()
        if event.seq % args.every == 0:
            line = {"phase": "append", "seq": event.seq, "at": event.occurred_at.isoformat()}
            print(json.dumps(line), flush=True)
        await asyncio.sleep(args.pace)
    await link.wait_drained()
    await link.stop()
    await runner
    summary = {
        "phase": "done",
        "created": created,
        "last_seq": await outbox.last_seq(),
        "depth": await outbox.depth(),
        "connects": link.connects,
        "resends": link.resends,
    }
    await outbox.close()
    print(json.dumps(summary), flush=True)
    return 0


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tests.faults.fault_box")
    p.add_argument("--box-id", required=True)
    p.add_argument("--tenant", required=True)
    p.add_argument("--outbox", type=Path, required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", type=Path, required=True)
    p.add_argument("--cert", type=Path, required=True)
    p.add_argument("--key", type=Path, required=True)
    p.add_argument("--events", type=int, default=100)
    p.add_argument("--kind", choices=["card", "removed"], default="removed")
    p.add_argument("--id-prefix", default="Q1", help="letter + 1|2: patients' national ids")
    p.add_argument("--pace", type=float, default=0.0, help="seconds between events")
    p.add_argument("--every", type=int, default=10, help="print a line every N events")
    p.add_argument("--ack-timeout", type=float, default=1.5)
    p.add_argument("--clock-file", type=Path, default=None, help="see edge_agent.clock")
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse(sys.argv[1:]))))
