"""One worker process of simulated boxes for ``bench.fleet_heartbeats``.

Each simulated box is a light MQTT 5 client with its own certificate (CN = its serial, listed in
the broker's ACL under its clinic), connected to the real broker the way the box link connects
(persistent session, the reported state as last will, subscribed to ``cmd`` and ``desired``).
It publishes the same retained ``BoxReported`` message a real box publishes: once on connect,
then every ``--interval`` seconds. The boxes' heartbeats are spread evenly over the interval
(box ``i`` of ``total`` beats at ``epoch + (i / total) * interval + k * interval``), which is
what a fleet that connected at random moments looks like.

No reconnect: a box whose connection fails or drops is counted, with its error, in the status
file (``--status``, JSON, rewritten every second) the orchestrator reads; that is where the
bench says how far the machine goes. SIGTERM stops the worker.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import signal
import time
from collections import Counter
from pathlib import Path

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from clinicbox.mqtt.connect import tls_context
from clinicbox.runtime.pki import Pki
from clinicbox_core.contracts import BoxReported, Channel, Topic
from clinicbox_core.settings_models import MqttSettings

SOFTWARE = "1.0.0-bench"
CONNECTS_IN_FLIGHT = 24  # TLS handshakes one worker runs at once


def box_id(index: int) -> str:
    return f"fb-{index:05d}"


class Box:
    """One simulated box: its identity, its reported-state counter and its topics."""

    def __init__(self, index: int, tenant: str) -> None:
        self.index = index
        self.box_id = box_id(index)
        self.tenant = tenant
        self.version = 0
        self.started = time.monotonic()
        self.last_sync = dt.datetime.now(dt.UTC)

    def topic(self, channel: Channel) -> str:
        return str(Topic(self.tenant, self.box_id, channel))

    def reported(self, *, online: bool) -> str:
        """The message the real box link publishes (``edge_agent/link/cloud_link.py``)."""
        self.version += 1
        return BoxReported(
            box_id=self.box_id,
            online=online,
            software_version=SOFTWARE,
            readers=["Virtual PCD 00 00"],
            outbox_depth=0,
            disk_state="ok",
            disk_free_bytes=12_000_000_000,
            version=self.version,
            desired_version=0,
            config={"heartbeat_s": 60, "log_level": "INFO"},
            printers={"front": "ok", "pharmacy": "ok"},
            disk_free_mb=11_444,
            uptime_s=int(time.monotonic() - self.started),
            last_sync=self.last_sync,
            cert_not_after=dt.datetime.now(dt.UTC) + dt.timedelta(days=80),
        ).model_dump_json()


class Worker:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        tenants = args.tenants.split(",")
        first, count = args.first, args.count
        self.boxes = [Box(i, tenants[i % len(tenants)]) for i in range(first, first + count)]
        self.pki = Pki(Path(args.pki_dir))
        self.stop = asyncio.Event()
        self.connected = 0
        self.published = 0
        self.failed: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()
        self.connect_s = 0.0
        self._gate = asyncio.Semaphore(CONNECTS_IN_FLIGHT)

    def settings(self, box: Box) -> MqttSettings:
        pair = self.pki.client(box.box_id)
        return MqttSettings(
            host=self.args.host,
            port=self.args.port,
            ca_file=Path(self.args.ca),
            cert_file=pair.cert,
            key_file=pair.key,
        )

    def client(self, box: Box) -> aiomqtt.Client:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 3600
        return aiomqtt.Client(
            self.args.host,
            self.args.port,
            identifier=box.box_id,
            protocol=aiomqtt.ProtocolVersion.V5,
            clean_start=False,
            properties=props,
            will=aiomqtt.Will(
                box.topic(Channel.REPORTED), box.reported(online=False), qos=1, retain=True
            ),
            keepalive=30,
            tls_context=tls_context(self.settings(box)),
            timeout=60,
        )

    def next_beat(self, box: Box) -> float:
        """Wall-clock time of this box's next heartbeat slot."""
        interval = float(self.args.interval)
        phase: float = float(self.args.epoch) + box.index / int(self.args.total) * interval
        now = time.time()
        periods = max(0, int((now - phase) // interval) + 1)
        return phase + periods * interval

    async def run_box(self, box: Box) -> None:
        try:
            async with contextlib.AsyncExitStack() as stack:
                async with self._gate:
                    client = self.client(box)
                    await stack.enter_async_context(client)
                    await client.subscribe(box.topic(Channel.CMD), qos=1)
                    await client.subscribe(box.topic(Channel.DESIRED), qos=1)
                self.connected += 1
                reported = box.topic(Channel.REPORTED)
                await client.publish(reported, box.reported(online=True), qos=1, retain=True)
                self.published += 1
                while not self.stop.is_set():
                    await asyncio.sleep(max(0.0, self.next_beat(box) - time.time()))
                    await client.publish(reported, box.reported(online=True), qos=1, retain=True)
                    self.published += 1
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # counted and reported, the bench goes on
            reason = f"{type(exc).__name__}: {exc}"[:120]
            if box.version > 1:
                self.connected -= 1
                self.dropped[reason] += 1
            else:
                self.failed[reason] += 1

    def write_status(self) -> None:
        status = {
            "boxes": len(self.boxes),
            "connected": self.connected,
            "published": self.published,
            "failed": dict(self.failed),
            "dropped": dict(self.dropped),
            "connect_s": self.connect_s,
        }
        path = Path(self.args.status)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(status), encoding="utf-8")
        tmp.replace(path)

    async def main(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.stop.set)
        for box in self.boxes:  # certificates first (CPU), then the connection storm
            self.pki.ensure_client(box.box_id)
        t0 = time.monotonic()
        tasks = [asyncio.create_task(self.run_box(b)) for b in self.boxes]
        while not self.stop.is_set():
            if not self.connect_s and self.connected + sum(self.failed.values()) >= len(self.boxes):
                self.connect_s = time.monotonic() - t0
            self.write_status()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self.stop.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.write_status()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--pki-dir", required=True)
    p.add_argument("--tenants", required=True, help="comma-separated clinic slugs")
    p.add_argument("--first", type=int, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--total", type=int, required=True)
    p.add_argument("--interval", type=float, default=60.0)
    p.add_argument("--epoch", type=float, required=True, help="wall-clock start of the schedule")
    p.add_argument("--status", required=True)
    asyncio.run(Worker(p.parse_args(argv)).main())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
