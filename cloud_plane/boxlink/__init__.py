"""The cloud end of the box link: idempotent inbox of box events, box state, commands to boxes."""

from cloud_plane.boxlink.commander import BoxCommander
from cloud_plane.boxlink.errors import (
    BoxLinkConnectFailed,
    BoxLinkError,
    BoxLinkLost,
    BoxLinkUnavailable,
)
from cloud_plane.boxlink.inbox import BoxInbox, CommandResultHandler, ReportedHandler
from cloud_plane.boxlink.store import Applied, EventHandler, advance_watermark, after_commit

__all__ = [
    "Applied",
    "BoxCommander",
    "BoxInbox",
    "BoxLinkConnectFailed",
    "BoxLinkError",
    "BoxLinkLost",
    "BoxLinkUnavailable",
    "CommandResultHandler",
    "EventHandler",
    "ReportedHandler",
    "advance_watermark",
    "after_commit",
]
