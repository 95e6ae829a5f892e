"""The cloud side of :mod:`clinicbox.mqtt`: connect the box inbox's aiomqtt (MQTT 5, mTLS)
client, failures as :class:`~cloud_plane.boxlink.errors.BoxLinkConnectFailed` with the
diagnosed reason (unreachable, tls_client, tls_server, refused, ...)."""

from __future__ import annotations

import contextlib
import ssl

import aiomqtt

from clinicbox import mqtt as shared
from clinicbox.mqtt import Backoff
from clinicbox_core.settings_models import MqttSettings
from cloud_plane.boxlink.errors import BoxLinkConnectFailed

__all__ = ["Backoff", "connect", "tls_context"]


def tls_context(mqtt: MqttSettings) -> ssl.SSLContext | None:
    """Client TLS context from the settings (blocking file reads: call from a thread)."""
    try:
        return shared.tls_context(mqtt)
    except shared.MqttConfigError as exc:
        raise BoxLinkConnectFailed(reason="tls_config", detail=str(exc)) from exc


async def connect(
    stack: contextlib.AsyncExitStack,
    client: aiomqtt.Client,
    mqtt: MqttSettings,
    ctx: ssl.SSLContext | None,
) -> None:
    try:
        await shared.connect(stack, client, mqtt, ctx)
    except shared.Diagnosis as d:
        raise BoxLinkConnectFailed(
            reason=d.failure.value, detail=d.reason, host=mqtt.host, port=mqtt.port
        ) from d
