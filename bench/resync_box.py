"""The box process of :mod:`bench.resync`: the real outbox and link, offline while it works.

Appends the backlog described by ``--plan`` (a JSON file: a list of event bodies) while its
link keeps failing to reach the broker (the bench's proxy is cut), prints ``{"phase":
"filled", ...}``, then runs until the cloud has acknowledged everything and prints ``{"phase":
"done", ...}``. The link uses the production back-off settings unless told otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from pydantic import TypeAdapter

from clinicbox_core.contracts import Command, CommandResult
from clinicbox_core.contracts.messages import EventBody
from clinicbox_core.settings_models import MqttSettings
from edge_agent.config import BoxSettings
from edge_agent.link import CloudLink
from edge_agent.link.cloud_link import DEFAULT_WINDOW
from edge_agent.outbox import AsyncOutbox

_BODIES = TypeAdapter(list[EventBody])


async def main(args: argparse.Namespace) -> int:
    bodies = _BODIES.validate_json(args.plan.read_bytes())
    mqtt = MqttSettings(
        host="127.0.0.1",
        port=args.port,
        ca_file=args.ca,
        cert_file=args.cert,
        key_file=args.key,
        reconnect_max_s=args.reconnect_max,
        probe_interval_s=args.probe_interval,
    )
    settings = BoxSettings(
        box_id=args.box_id, tenant=args.tenant, data_dir=args.outbox.parent, mqtt=mqtt
    )
    outbox = await AsyncOutbox.open(args.outbox, args.box_id)

    async def on_command(command: Command) -> CommandResult:
        return CommandResult(command_id=command.command_id, box_id=args.box_id, ok=True)

    link = CloudLink(settings, outbox, on_command, window=args.window)
    runner = asyncio.create_task(link.run())
    for body in bodies:
        await outbox.append(body)
    payload_bytes = sum(len(e.model_dump_json()) for e in await outbox.unacked(0, len(bodies)))
    print(
        json.dumps({"phase": "filled", "events": len(bodies), "payload_bytes": payload_bytes}),
        flush=True,
    )
    link.notify()
    await link.wait_drained()
    await link.stop()
    await runner
    done = {"connects": link.connects, "resends": link.resends, "probe_wakeups": link.probe_wakeups}
    print(json.dumps({"phase": "done", **done}))
    await outbox.close()
    return 0


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.resync_box")
    p.add_argument("--box-id", required=True)
    p.add_argument("--tenant", required=True)
    p.add_argument("--outbox", type=Path, required=True)
    p.add_argument("--plan", type=Path, required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", type=Path, required=True)
    p.add_argument("--cert", type=Path, required=True)
    p.add_argument("--key", type=Path, required=True)
    p.add_argument("--window", type=int, default=DEFAULT_WINDOW)
    p.add_argument("--reconnect-max", type=float, default=30.0)
    p.add_argument("--probe-interval", type=float, default=MqttSettings().probe_interval_s)
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse(sys.argv[1:]))))
