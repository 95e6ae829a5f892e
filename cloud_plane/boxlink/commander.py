"""Send a command to one box through a running :class:`BoxInbox`'s broker connection."""

from __future__ import annotations

from clinicbox_core.contracts import Command
from cloud_plane.boxlink.inbox import BoxInbox


class BoxCommander:
    """``await BoxCommander(inbox).send(tenant, box_id, command)``.

    Delivery is QoS 1 into the box's persistent session: a box that is offline receives the
    command when it reconnects (unless the broker loses it in a crash: retry from the caller
    when no :class:`CommandResult` with the same ``command_id`` comes back). A box never runs
    the same ``command_id`` twice while it remembers it, so resending is safe.
    """

    def __init__(self, inbox: BoxInbox) -> None:
        self._inbox = inbox

    async def send(self, tenant: str, box_id: str, command: Command) -> None:
        await self._inbox.send_command(tenant, box_id, command)
