"""Broker isolation against a real Mosquitto with mTLS and the generated ACL and CRL.

Each test sends what must be refused first and an allowed marker last on the same connection;
the receiver's *first* message must be the marker (mosquitto keeps one publisher's order).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from fleet_helpers import client, device, first_message, tls

from clinicbox.runtime.mosquitto import MosquittoBroker
from clinicbox_core.contracts import Channel, Topic
from clinicbox_core.contracts.provisioning import request_topic, response_topic
from cloud_plane.live_bridge import LIVE_TOPIC_PREFIX
from edge_agent.link import TlsRejected, diagnose

A, B, C = "box-a", "box-b", "box-c"  # A and B serve clinic-1, C serves clinic-2


@pytest.fixture
def fleet_broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    b = MosquittoBroker(tmp_path / "broker", cloud_identities=("cloud-1",))
    b.box_tenants.update({A: "clinic-1", B: "clinic-1", C: "clinic-2"})
    b.start()
    try:
        yield b
    finally:
        b.kill()


def t(tenant: str, box: str, ch: Channel) -> str:
    return str(Topic(tenant, box, ch))


async def test_a_box_cannot_write_another_box_or_clinic_topics(
    fleet_broker: MosquittoBroker,
) -> None:
    forged = [
        t("clinic-1", B, Channel.EVT),
        t("clinic-1", B, Channel.REPORTED),
        t("clinic-2", C, Channel.EVT),
        t("clinic-2", A, Channel.EVT),  # its own id under another clinic
        t("clinic-1", B, Channel.CMD),  # a command to a neighbour
        t("clinic-1", A, Channel.CMD),  # or to itself (commands come from the cloud only)
        t("clinic-1", A, Channel.DESIRED),
        f"{LIVE_TOPIC_PREFIX}/x",
        request_topic(A),
    ]
    async with device(fleet_broker, A) as box_a, device(fleet_broker, "cloud-1") as cloud:
        await cloud.subscribe("clinicbox/#", qos=1)
        for topic in forged:
            await box_a.publish(topic, b"forged", qos=1)
        marker = t("clinic-1", A, Channel.EVT)
        await box_a.publish(marker, b"marker", qos=1)
        assert await first_message(cloud) == (marker, b"marker")


async def test_a_box_cannot_read_another_box_clinic_or_cloud_topics(
    fleet_broker: MosquittoBroker,
) -> None:
    secrets = [
        t("clinic-1", B, Channel.CMD),
        t("clinic-1", B, Channel.DESIRED),
        t("clinic-2", C, Channel.CMD),
        t("clinic-1", B, Channel.EVT),  # box → cloud traffic of a neighbour
        t("clinic-1", B, Channel.REPORTED),
        f"{LIVE_TOPIC_PREFIX}/cloud-1",  # cloud-only
        response_topic(A),
    ]
    async with device(fleet_broker, A) as box_a, device(fleet_broker, "cloud-1") as cloud:
        for filt in ("#", "clinicbox/#", "clinicbox/v1/+/+/cmd", t("clinic-1", B, Channel.CMD)):
            await box_a.subscribe(filt, qos=1)
        for topic in secrets:
            await cloud.publish(topic, b"secret", qos=1)
        marker = t("clinic-1", A, Channel.CMD)
        await cloud.publish(marker, b"marker", qos=1)
        assert await first_message(box_a) == (marker, b"marker")


async def test_an_unlisted_certificate_may_not_publish(fleet_broker: MosquittoBroker) -> None:
    async with (
        device(fleet_broker, "box-z") as stranger,
        device(fleet_broker, A) as box_a,
        device(fleet_broker, "cloud-1") as cloud,
    ):
        await cloud.subscribe("clinicbox/#", qos=1)
        for ch in (Channel.EVT, Channel.REPORTED, Channel.CMD_RESULT):
            await stranger.publish(t("clinic-1", "box-z", ch), b"x", qos=1)
        await box_a.publish(t("clinic-1", A, Channel.EVT), b"marker", qos=1)
        assert await first_message(cloud) == (t("clinic-1", A, Channel.EVT), b"marker")


async def test_a_revoked_box_cannot_connect(fleet_broker: MosquittoBroker) -> None:
    pair = fleet_broker.client_cert(B)
    assert not isinstance(
        diagnose(fleet_broker.host, fleet_broker.port, tls(fleet_broker, pair)), TlsRejected
    )
    serial = x509.load_pem_x509_certificate(pair.cert.read_bytes()).serial_number
    fleet_broker.pki.write_crl([(serial, dt.datetime.now(dt.UTC))], fleet_broker.crl_file)
    fleet_broker.reload()
    error = diagnose(fleet_broker.host, fleet_broker.port, tls(fleet_broker, pair))
    assert isinstance(error, TlsRejected) and error.params["side"] == "client"
    # the others are unaffected
    async with device(fleet_broker, A):
        pass


async def test_the_claim_credential_can_only_provision(fleet_broker: MosquittoBroker) -> None:
    claim = fleet_broker.claim_cert("claim-batch-1")
    port = fleet_broker.claim_port
    assert port is not None
    # not accepted on the device listener at all
    error = diagnose(fleet_broker.host, fleet_broker.port, tls(fleet_broker, claim))
    assert isinstance(error, TlsRejected) and error.params["side"] == "client"
    # and a device certificate is not accepted on the claim listener
    device_pair = fleet_broker.client_cert(A)
    error = diagnose(fleet_broker.host, port, tls(fleet_broker, device_pair))
    assert isinstance(error, TlsRejected) and error.params["side"] == "client"
    async with (
        client(fleet_broker, "SN-1", claim, port=port) as new_box,
        device(fleet_broker, "cloud-1") as cloud,
    ):
        await cloud.subscribe("clinicbox/#", qos=1)
        await new_box.subscribe("#", qos=1)
        for topic in (
            request_topic("SN-2"),
            t("clinic-1", A, Channel.EVT),
            t("clinic-1", "SN-1", Channel.EVT),
        ):
            await new_box.publish(topic, b"forged", qos=1)
        await new_box.publish(request_topic("SN-1"), b"own request", qos=1)
        assert await first_message(cloud) == (request_topic("SN-1"), b"own request")
        for topic in (response_topic("SN-2"), t("clinic-1", A, Channel.CMD)):
            await cloud.publish(topic, b"not yours", qos=1)
        await cloud.publish(response_topic("SN-1"), b"yours", qos=1)
        assert await first_message(new_box) == (response_topic("SN-1"), b"yours")
