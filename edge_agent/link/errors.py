"""Typed errors of the box ↔ cloud MQTT link (library errors are translated here, at the edge).

ClinicboxError
└── DeviceError
    └── LinkError                 the MQTT link to the cloud failed
        ├── BrokerUnreachable     no TCP connection, or no CONNACK in time
        ├── TlsRejected           TLS failed: the broker's certificate is not trusted
        │                         (side="server") or the broker refused ours (side="client")
        ├── BrokerRefused         the broker answered CONNACK with a failure reason code
        └── LinkLost              an established connection dropped
"""

from __future__ import annotations

from clinicbox_core.errors import DeviceError


class LinkError(DeviceError):
    default_key = "error.link"


class BrokerUnreachable(LinkError):
    default_key = "error.link.broker_unreachable"


class TlsRejected(LinkError):
    default_key = "error.link.tls_rejected"


class BrokerRefused(LinkError):
    default_key = "error.link.broker_refused"


class LinkLost(LinkError):
    default_key = "error.link.lost"
