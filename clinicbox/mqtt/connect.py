"""Open an aiomqtt (MQTT 5) connection and find out why it failed.

aiomqtt reports most connect failures as a bare ``MqttError`` (a TLS 1.3 client-certificate
rejection even only as a CONNACK timeout), so after a failure :func:`diagnose` asks the broker
once more with a plain TLS handshake and classifies by exception *type* what it answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from dataclasses import dataclass
from enum import StrEnum

import aiomqtt
from aiomqtt.exceptions import MqttConnectError

from clinicbox_core.settings_models import MqttSettings

DIAGNOSE_TIMEOUT_S = 3.0


class MqttConfigError(ValueError):
    """The TLS files named in the settings cannot be used."""


class Failure(StrEnum):
    UNREACHABLE = "unreachable"  # no TCP connection
    NO_CONNACK = "no_connack"  # TCP/TLS fine, MQTT did not answer
    REFUSED = "refused"  # the broker answered CONNACK with an error code
    TLS_CLIENT = "tls_client"  # the broker refused our certificate
    TLS_SERVER = "tls_server"  # we do not trust the broker's certificate
    TLS_HANDSHAKE = "tls_handshake"  # other TLS failure


@dataclass(frozen=True, slots=True)
class Diagnosis(Exception):
    """Why a connection failed; raised by :func:`connect`, returned by :func:`diagnose`."""

    failure: Failure
    reason: str = ""

    def __str__(self) -> str:
        return f"{self.failure.value}: {self.reason}" if self.reason else self.failure.value


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
        raise MqttConfigError(f"{type(exc).__name__}: {exc}") from exc
    return ctx


async def connect(
    stack: contextlib.AsyncExitStack,
    client: aiomqtt.Client,
    mqtt: MqttSettings,
    ctx: ssl.SSLContext | None,
) -> None:
    """Enter ``client`` on ``stack``; on failure raise the :class:`Diagnosis`."""
    try:
        await stack.enter_async_context(client)
    except MqttConnectError as exc:
        raise Diagnosis(Failure.REFUSED, str(exc.rc)) from exc
    except aiomqtt.MqttError as exc:
        raise await asyncio.to_thread(diagnose, mqtt.host, mqtt.port, ctx) from exc


def diagnose(host: str, port: int, ctx: ssl.SSLContext | None) -> Diagnosis:
    """Why a connection to ``host:port`` fails, found by a fresh TCP (+TLS) attempt."""
    try:
        sock = socket.create_connection((host, port), timeout=DIAGNOSE_TIMEOUT_S)
    except OSError as exc:
        return Diagnosis(Failure.UNREACHABLE, type(exc).__name__)
    with contextlib.closing(sock):
        if ctx is None:
            return Diagnosis(Failure.NO_CONNACK)
        try:
            with ctx.wrap_socket(sock, server_hostname=host) as tls:
                tls.settimeout(DIAGNOSE_TIMEOUT_S)
                # A broker that refuses our certificate (TLS 1.3) says so right after the
                # handshake; one that accepts it waits for our CONNECT and the read times out.
                try:
                    tls.recv(1)
                except TimeoutError:
                    return Diagnosis(Failure.NO_CONNACK)
                except ssl.SSLError as exc:
                    return Diagnosis(Failure.TLS_CLIENT, str(exc.reason))
                return Diagnosis(Failure.TLS_CLIENT, "closed_after_handshake")
        except ssl.SSLCertVerificationError as exc:
            return Diagnosis(Failure.TLS_SERVER, str(exc.verify_message))
        except ssl.SSLError as exc:
            return Diagnosis(Failure.TLS_HANDSHAKE, str(exc.reason))
        except OSError as exc:
            return Diagnosis(Failure.UNREACHABLE, type(exc).__name__)
