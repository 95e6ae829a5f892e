"""Connect the cloud's aiomqtt (MQTT 5, mTLS) client and classify a failure by exception type.

aiomqtt reports a refused client certificate (TLS 1.3) only as a CONNACK timeout, so after a
failure one plain TLS handshake to the broker tells us which side is at fault.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import ssl

import aiomqtt
from aiomqtt.exceptions import MqttConnectError

from clinicbox_core.settings_models import MqttSettings
from cloud_plane.boxlink.errors import BoxLinkConnectFailed

PROBE_TIMEOUT_S = 3.0


def tls_context(mqtt: MqttSettings) -> ssl.SSLContext | None:
    """Client TLS context from the settings (blocking file reads: call from a thread)."""
    if mqtt.ca_file is None:
        return None
    try:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(mqtt.ca_file))
        if mqtt.cert_file is not None:
            key = str(mqtt.key_file) if mqtt.key_file is not None else None
            ctx.load_cert_chain(str(mqtt.cert_file), key)
    except (OSError, ssl.SSLError) as exc:
        raise BoxLinkConnectFailed(reason="tls_config", detail=str(exc)) from exc
    return ctx


async def connect(
    stack: contextlib.AsyncExitStack,
    client: aiomqtt.Client,
    mqtt: MqttSettings,
    ctx: ssl.SSLContext | None,
) -> None:
    try:
        await stack.enter_async_context(client)
    except MqttConnectError as exc:
        raise BoxLinkConnectFailed(reason="refused", detail=str(exc.rc)) from exc
    except aiomqtt.MqttError as exc:
        reason = await asyncio.to_thread(probe, mqtt.host, mqtt.port, ctx)
        raise BoxLinkConnectFailed(reason=reason, host=mqtt.host, port=mqtt.port) from exc


def probe(host: str, port: int, ctx: ssl.SSLContext | None) -> str:
    """``unreachable``, ``tls_server`` (broker cert untrusted), ``tls_client`` (ours refused)
    or ``no_connack`` (TLS fine, MQTT did not answer)."""
    try:
        sock = socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S)
    except OSError:
        return "unreachable"
    with contextlib.closing(sock):
        if ctx is None:
            return "no_connack"
        try:
            with ctx.wrap_socket(sock, server_hostname=host) as tls:
                tls.settimeout(PROBE_TIMEOUT_S)
                try:
                    tls.recv(1)
                except TimeoutError:
                    return "no_connack"
                except ssl.SSLError:
                    return "tls_client"
                return "tls_client"
        except ssl.SSLCertVerificationError:
            return "tls_server"
        except ssl.SSLError:
            return "tls_handshake"
        except OSError:
            return "unreachable"


class Backoff:
    """Exponential back-off with full jitter between ``min_s`` and ``max_s``."""

    def __init__(self, min_s: float, max_s: float) -> None:
        self.min_s, self.max_s, self._attempt = min_s, max(min_s, max_s), 0

    def next(self) -> float:
        ceiling = min(self.max_s, self.min_s * 2 ** min(self._attempt, 32))
        self._attempt += 1
        return random.uniform(self.min_s, ceiling)

    def reset(self) -> None:
        self._attempt = 0
