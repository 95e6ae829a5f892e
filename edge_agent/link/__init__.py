"""The box's MQTT 5 (mTLS) link to the cloud: outbox drain, commands, reported state."""

from clinicbox.mqtt import Backoff
from edge_agent.link.cloud_link import CloudLink, CommandHandler
from edge_agent.link.errors import (
    BrokerRefused,
    BrokerUnreachable,
    LinkError,
    LinkLost,
    TlsRejected,
)
from edge_agent.link.mqtt import diagnose, tls_context

__all__ = [
    "Backoff",
    "BrokerRefused",
    "BrokerUnreachable",
    "CloudLink",
    "CommandHandler",
    "LinkError",
    "LinkLost",
    "TlsRejected",
    "diagnose",
    "tls_context",
]
