"""The broker's front door: mTLS required, per-box ACL, typed errors for TLS failures."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import aiomqtt
import pytest
from linkkit import TENANT, box_settings, wait_until

from clinicbox.runtime.mosquitto import MosquittoBroker
from clinicbox.runtime.pki import Pki
from clinicbox_core.contracts import CardRemoved, Command, CommandResult, OutboxAck, Topic
from clinicbox_core.contracts.topics import Channel
from edge_agent.link import BrokerUnreachable, CloudLink, TlsRejected, diagnose, tls_context
from edge_agent.outbox import AsyncOutbox


def _ctx(broker: MosquittoBroker, identity: str | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(broker.ca_file))
    if identity is not None:
        pair = broker.client_cert(identity)
        ctx.load_cert_chain(str(pair.cert), str(pair.key))
    return ctx


def _client(broker: MosquittoBroker, identity: str | None, ctx: ssl.SSLContext) -> aiomqtt.Client:
    return aiomqtt.Client(
        broker.host,
        broker.port,
        identifier=identity,
        protocol=aiomqtt.ProtocolVersion.V5,
        tls_context=ctx,
        timeout=5,
    )


def test_a_client_without_a_certificate_is_refused(broker: MosquittoBroker) -> None:
    error = diagnose(broker.host, broker.port, _ctx(broker, None))
    assert isinstance(error, TlsRejected) and error.params["side"] == "client"
    # the same probe with a certificate gets through TLS and waits for MQTT
    ok = diagnose(broker.host, broker.port, _ctx(broker, "box-a"))
    assert isinstance(ok, BrokerUnreachable) and ok.params["reason"] == "no_connack"


def test_a_broker_signed_by_another_ca_is_not_trusted(
    broker: MosquittoBroker, tmp_path: Path
) -> None:
    other = Pki(tmp_path / "other-ca")
    ctx = ssl.create_default_context(cafile=str(other.ensure_ca().cert))
    error = diagnose(broker.host, broker.port, ctx)
    assert isinstance(error, TlsRejected) and error.params["side"] == "server"


async def _reject(command: Command) -> CommandResult:
    raise AssertionError("no command expected")


async def test_cloud_link_without_certificate_reports_a_typed_tls_error(
    broker: MosquittoBroker, tmp_path: Path
) -> None:
    settings = box_settings(broker, "box-a", tmp_path)
    settings.mqtt.cert_file = None
    settings.mqtt.key_file = None
    outbox = await AsyncOutbox.open(tmp_path / "o.db", "box-a")
    link = CloudLink(settings, outbox, _reject, connect_timeout_s=2)
    task = asyncio.create_task(link.run())

    async def failed_once() -> bool:
        return link.last_error is not None

    await wait_until(failed_once)
    await link.stop()
    await task
    print("typed error:", repr(link.last_error))
    assert isinstance(link.last_error, TlsRejected)
    assert link.last_error.params["side"] == "client"
    assert link.connects == 0
    await outbox.close()


async def test_box_a_cannot_read_box_b_commands_nor_publish_as_box_b(
    broker: MosquittoBroker,
) -> None:
    a_cmd = str(Topic(TENANT, "box-a", Channel.CMD))
    b_cmd = str(Topic(TENANT, "box-b", Channel.CMD))
    b_evt = str(Topic(TENANT, "box-b", Channel.EVT))
    a_evt = str(Topic(TENANT, "box-a", Channel.EVT))
    spy_payload = Command(body=OutboxAck(upto_seq=7)).model_dump_json()
    broker.bind_box("box-a", TENANT)
    broker.bind_box("box-b", TENANT)
    async with (
        _client(broker, "box-a", _ctx(broker, "box-a")) as box_a,
        _client(broker, "box-b", _ctx(broker, "box-b")) as box_b,
        _client(broker, "cloud-1", _ctx(broker, "cloud-1")) as cloud,
    ):
        await box_a.subscribe(a_cmd, qos=1)
        await box_a.subscribe(b_cmd, qos=1)  # mosquitto grants it but filters on delivery
        await box_a.subscribe("clinicbox/v1/#", qos=1)
        await box_b.subscribe(b_cmd, qos=1)
        await cloud.subscribe("clinicbox/v1/+/+/evt", qos=1)
        # cloud → box B, then a marker to box A: A must see only the marker
        await cloud.publish(b_cmd, spy_payload, qos=1)
        await cloud.publish(a_cmd, "marker", qos=1)
        got_b = await anext(aiter(box_b.messages))
        assert str(got_b.topic) == b_cmd
        got_a = await anext(aiter(box_a.messages))
        assert (str(got_a.topic), got_a.payload) == (a_cmd, b"marker")
        # box A publishes on B's evt topic (denied), then on its own (allowed)
        forged = CardRemoved(reader="forged").model_dump_json()
        await box_a.publish(b_evt, forged, qos=1)
        await box_a.publish(a_evt, "own", qos=1)
        got_cloud = await anext(aiter(cloud.messages))
        assert str(got_cloud.topic) == a_evt
        # anything box B's command would have reached A before the marker; drain what is queued
        seen_by_a = [str(m.topic) for m in [got_a, *_queued(box_a)]]
        seen_by_cloud = [str(m.topic) for m in [got_cloud, *_queued(cloud)]]
    print(f"box A received {seen_by_a}; cloud received {seen_by_cloud}")
    assert b_cmd not in seen_by_a
    assert b_evt not in seen_by_cloud


def _queued(client: aiomqtt.Client) -> list[aiomqtt.Message]:
    queue = client._queue  # the messages aiomqtt already received
    return [queue.get_nowait() for _ in range(queue.qsize())]


def test_tls_context_translates_a_missing_key_into_a_typed_error(
    broker: MosquittoBroker, tmp_path: Path
) -> None:
    settings = box_settings(broker, "box-a", tmp_path)
    settings.mqtt.key_file = tmp_path / "missing.key"
    with pytest.raises(TlsRejected) as info:
        tls_context(settings.mqtt)
    assert info.value.params["side"] == "config"
