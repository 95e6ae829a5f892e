"""Open an aiomqtt (MQTT 5) connection and translate every way it can fail into a LinkError.

aiomqtt reports most connect failures as a bare ``MqttError`` (a TLS 1.3 client-certificate
rejection even only as a CONNACK timeout), so after a failure we ask the broker once more with a
plain TLS handshake and classify by exception *type* what it answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl

import aiomqtt
from aiomqtt.exceptions import MqttConnectError

from clinicbox_core.settings_models import MqttSettings
from edge_agent.link.errors import BrokerRefused, BrokerUnreachable, LinkError, TlsRejected

DIAGNOSE_TIMEOUT_S = 3.0


def tls_context(mqtt: MqttSettings) -> ssl.SSLContext | None:
    """The client TLS context (server verified against ``ca_file``, client cert if set).

    Blocking (reads files): call it from a thread. ``None`` when ``ca_file`` is unset (plain).
    """
    if mqtt.ca_file is None:
        return None
    try:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(mqtt.ca_file))
        if mqtt.cert_file is not None:
            key = str(mqtt.key_file) if mqtt.key_file is not None else None
            ctx.load_cert_chain(str(mqtt.cert_file), key)
    except (OSError, ssl.SSLError) as exc:
        raise TlsRejected(side="config", reason=type(exc).__name__, detail=str(exc)) from exc
    return ctx


async def connect(
    stack: contextlib.AsyncExitStack,
    client: aiomqtt.Client,
    mqtt: MqttSettings,
    ctx: ssl.SSLContext | None,
) -> None:
    """Enter ``client`` on ``stack``; on failure raise the matching :class:`LinkError`."""
    try:
        await stack.enter_async_context(client)
    except MqttConnectError as exc:
        raise BrokerRefused(host=mqtt.host, port=mqtt.port, reason=str(exc.rc)) from exc
    except aiomqtt.MqttError as exc:
        error = await asyncio.to_thread(diagnose, mqtt.host, mqtt.port, ctx)
        raise error from exc


def diagnose(host: str, port: int, ctx: ssl.SSLContext | None) -> LinkError:
    """Why a connection to ``host:port`` fails, found by a fresh TCP (+TLS) attempt."""
    try:
        sock = socket.create_connection((host, port), timeout=DIAGNOSE_TIMEOUT_S)
    except OSError as exc:
        return BrokerUnreachable(host=host, port=port, reason=type(exc).__name__)
    with contextlib.closing(sock):
        if ctx is None:
            return BrokerUnreachable(host=host, port=port, reason="no_connack")
        try:
            with ctx.wrap_socket(sock, server_hostname=host) as tls:
                tls.settimeout(DIAGNOSE_TIMEOUT_S)
                # A broker that refuses our certificate (TLS 1.3) says so right after the
                # handshake; one that accepts it waits for our CONNECT and the read times out.
                try:
                    tls.recv(1)
                except TimeoutError:
                    return BrokerUnreachable(host=host, port=port, reason="no_connack")
                except ssl.SSLError as exc:
                    return TlsRejected(side="client", reason=str(exc.reason))
                return TlsRejected(side="client", reason="closed_after_handshake")
        except ssl.SSLCertVerificationError as exc:
            return TlsRejected(side="server", reason=str(exc.verify_message))
        except ssl.SSLError as exc:
            return TlsRejected(side="handshake", reason=str(exc.reason))
        except OSError as exc:
            return BrokerUnreachable(host=host, port=port, reason=type(exc).__name__)
