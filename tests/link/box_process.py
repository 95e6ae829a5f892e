"""A real box process for the link tests: ``python -m tests.link.box_process --help``.

Appends events to its outbox until ``last_seq`` reaches ``--events`` (so a restarted process does
not create more), runs the CloudLink until the cloud acknowledged everything, prints one JSON
line with its counts and exits. Commands other than OutboxAck are answered ok.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from clinicbox_core.contracts import CardRemoved, Command, CommandResult
from clinicbox_core.settings_models import MqttSettings
from edge_agent.config import BoxSettings
from edge_agent.link import CloudLink
from edge_agent.outbox import AsyncOutbox


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
            reconnect_min_s=0.05,
            reconnect_max_s=0.5,
        ),
    )
    outbox = await AsyncOutbox.open(args.outbox, args.box_id)

    async def on_command(command: Command) -> CommandResult:
        return CommandResult(command_id=command.command_id, box_id=args.box_id, ok=True)

    link = CloudLink(
        settings, outbox, on_command, window=args.window, ack_timeout_s=args.ack_timeout
    )
    runner = asyncio.create_task(link.run())
    created = 0
    while await outbox.last_seq() < args.events:
        await outbox.append(CardRemoved(reader=f"reader-{await outbox.last_seq() + 1}"))
        created += 1
        link.notify()
    print(json.dumps({"phase": "appended", "created": created}), flush=True)
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
    p = argparse.ArgumentParser(prog="python -m tests.link.box_process")
    p.add_argument("--box-id", required=True)
    p.add_argument("--tenant", required=True)
    p.add_argument("--outbox", type=Path, required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", type=Path, required=True)
    p.add_argument("--cert", type=Path, required=True)
    p.add_argument("--key", type=Path, required=True)
    p.add_argument("--events", type=int, default=100)
    p.add_argument("--window", type=int, default=32)
    p.add_argument("--ack-timeout", type=float, default=2.0)
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse(sys.argv[1:]))))
