"""The raw-broker baseline several benchmarks print: one client publishes payloads QoS 1 as fast
as a 64-message window allows, one subscriber receives them all; no database, no cloud code."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import aiomqtt

from clinicbox.mqtt.connect import tls_context
from clinicbox.runtime.mosquitto import MosquittoBroker
from clinicbox_core.settings_models import MqttSettings

WINDOW = 64


def broker_settings(
    broker: MosquittoBroker, identity: str, port: int | None = None
) -> MqttSettings:
    """Client settings for ``identity`` (its certificate is issued on first use)."""
    cert = broker.client_cert(identity)
    return MqttSettings(
        host=broker.host,
        port=port or broker.port,
        ca_file=broker.ca_file,
        cert_file=cert.cert,
        key_file=cert.key,
    )


def _client(broker: MosquittoBroker, identity: str) -> aiomqtt.Client:
    return aiomqtt.Client(
        broker.host,
        broker.port,
        identifier=identity,
        tls_context=tls_context(broker_settings(broker, identity)),
        protocol=aiomqtt.ProtocolVersion.V5,
        max_inflight_messages=WINDOW,
    )


async def raw_publish_seconds(
    broker: MosquittoBroker,
    payloads: Sequence[str],
    *,
    topic: str,
    subscriber: str = "cloud-1",
    publisher: str = "cloud-2",
) -> float:
    """Seconds from the first publish until the subscriber has received every payload."""
    got = 0
    done = asyncio.Event()
    async with _client(broker, subscriber) as sub, _client(broker, publisher) as pub:
        pub.pending_calls_threshold = 2 * WINDOW
        await sub.subscribe(topic, qos=1)

        async def receive() -> None:
            nonlocal got
            async for _ in sub.messages:
                got += 1
                if got == len(payloads):
                    done.set()
                    return

        receiver = asyncio.create_task(receive())
        t0 = time.perf_counter()
        for i in range(0, len(payloads), WINDOW):
            chunk = payloads[i : i + WINDOW]
            await asyncio.gather(*(pub.publish(topic, p, qos=1) for p in chunk))
        await done.wait()
        elapsed = time.perf_counter() - t0
        receiver.cancel()
    return elapsed
