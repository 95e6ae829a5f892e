"""Topic names: ``clinicbox/v1/{tenant}/{box}/{channel}``.

Channels:
- ``evt``        box → cloud, durable events from the box outbox (QoS 1, carry box seq)
- ``cmd``        cloud → box, commands (print, outbox ack, ...)
- ``cmd-result`` box → cloud, the outcome of a command, echoing its ``command_id``
- ``desired``    cloud → box, retained target state (device twin, issue 5)
- ``reported``   box → cloud, retained current state; also the last-will "offline" message

The cloud subscribes to box → cloud channels through a shared subscription so several cloud
processes split the load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

PREFIX = "clinicbox/v1"
SHARE_GROUP = "cloud"
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class Channel(StrEnum):
    EVT = "evt"
    CMD = "cmd"
    CMD_RESULT = "cmd-result"
    DESIRED = "desired"
    REPORTED = "reported"


@dataclass(frozen=True, slots=True)
class Topic:
    tenant: str
    box: str
    channel: Channel

    def __post_init__(self) -> None:
        for name, value in (("tenant", self.tenant), ("box", self.box)):
            if not _SEGMENT.match(value):
                raise ValueError(f"topic {name} {value!r} must match {_SEGMENT.pattern}")

    def __str__(self) -> str:
        return f"{PREFIX}/{self.tenant}/{self.box}/{self.channel.value}"

    @classmethod
    def parse(cls, topic: str) -> Topic:
        parts = topic.split("/")
        if len(parts) != 5 or f"{parts[0]}/{parts[1]}" != PREFIX:
            raise ValueError(f"not a clinicbox topic: {topic!r}")
        return cls(parts[2], parts[3], Channel(parts[4]))


def cloud_shared_subscription(channel: Channel) -> str:
    """Filter the cloud uses for one box → cloud channel of every box."""
    return f"$share/{SHARE_GROUP}/{PREFIX}/+/+/{channel.value}"
