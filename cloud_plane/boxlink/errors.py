"""Typed errors of the cloud's box link.

ClinicboxError
└── DeviceError
    └── BoxLinkError              the cloud's MQTT link to the boxes failed
        ├── BoxLinkConnectFailed  no connection: unreachable, TLS refused, CONNACK refused
        │                         (``params['reason']`` says which)
        ├── BoxLinkLost           an established connection dropped
        └── BoxLinkUnavailable    a command cannot be sent: not connected right now
"""

from __future__ import annotations

from clinicbox_core.errors import DeviceError


class BoxLinkError(DeviceError):
    default_key = "error.boxlink"


class BoxLinkConnectFailed(BoxLinkError):
    default_key = "error.boxlink.connect_failed"


class BoxLinkLost(BoxLinkError):
    default_key = "error.boxlink.lost"


class BoxLinkUnavailable(BoxLinkError):
    default_key = "error.boxlink.unavailable"
