"""MQTT client plumbing shared by the box link and the cloud's box inbox: TLS context, connect
with failure diagnosis, reconnect back-off. Each side maps :class:`Diagnosis` to its own errors."""

from clinicbox.mqtt.backoff import Backoff
from clinicbox.mqtt.connect import (
    Diagnosis,
    Failure,
    MqttConfigError,
    connect,
    diagnose,
    tls_context,
)

__all__ = [
    "Backoff",
    "Diagnosis",
    "Failure",
    "MqttConfigError",
    "connect",
    "diagnose",
    "tls_context",
]
