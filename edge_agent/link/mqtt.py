"""The box side of :mod:`clinicbox.mqtt`: the same connect and diagnosis, failures as
:class:`~edge_agent.link.errors.LinkError` subclasses."""

from __future__ import annotations

import contextlib
import ssl

import aiomqtt

from clinicbox import mqtt as shared
from clinicbox.mqtt.connect import Failure
from clinicbox_core.settings_models import MqttSettings
from edge_agent.link.errors import BrokerRefused, BrokerUnreachable, LinkError, TlsRejected

_TLS_SIDE = {
    Failure.TLS_CLIENT: "client",
    Failure.TLS_SERVER: "server",
    Failure.TLS_HANDSHAKE: "handshake",
}


def as_link_error(d: shared.Diagnosis, host: str, port: int) -> LinkError:
    if d.failure in _TLS_SIDE:
        return TlsRejected(side=_TLS_SIDE[d.failure], reason=d.reason)
    if d.failure is Failure.REFUSED:
        return BrokerRefused(host=host, port=port, reason=d.reason)
    return BrokerUnreachable(host=host, port=port, reason=d.reason or d.failure.value)


def tls_context(mqtt: MqttSettings) -> ssl.SSLContext | None:
    """Blocking (reads files): call it from a thread. ``None`` when ``ca_file`` is unset."""
    try:
        return shared.tls_context(mqtt)
    except shared.MqttConfigError as exc:
        raise TlsRejected(side="config", reason="files", detail=str(exc)) from exc


async def connect(
    stack: contextlib.AsyncExitStack,
    client: aiomqtt.Client,
    mqtt: MqttSettings,
    ctx: ssl.SSLContext | None,
) -> None:
    """Enter ``client`` on ``stack``; on failure raise the matching :class:`LinkError`."""
    try:
        await shared.connect(stack, client, mqtt, ctx)
    except shared.Diagnosis as d:
        raise as_link_error(d, mqtt.host, mqtt.port) from d


def diagnose(host: str, port: int, ctx: ssl.SSLContext | None) -> LinkError:
    """Why a connection to ``host:port`` fails, as the box reports it."""
    return as_link_error(shared.diagnose(host, port, ctx), host, port)
