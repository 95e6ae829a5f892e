"""The box's durable outbox: every event is stored here before it is sent, and deleted only once
the cloud acknowledges it (see :class:`Outbox` and its asyncio facade :class:`AsyncOutbox`)."""

from edge_agent.outbox.async_outbox import AsyncOutbox
from edge_agent.outbox.disk import DiskState
from edge_agent.outbox.errors import (
    AckBeyondLastSeq,
    DiskFull,
    DiskNearlyFull,
    OutboxBelongsToOtherBox,
    OutboxDiskError,
    OutboxError,
)
from edge_agent.outbox.outbox import Outbox

__all__ = [
    "AckBeyondLastSeq",
    "AsyncOutbox",
    "DiskFull",
    "DiskNearlyFull",
    "DiskState",
    "Outbox",
    "OutboxBelongsToOtherBox",
    "OutboxDiskError",
    "OutboxError",
]
