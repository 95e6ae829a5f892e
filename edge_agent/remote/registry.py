"""Which handler runs each remote command type; other packages plug theirs in here.

``registry.register("some.type", handler)`` makes the box answer that command (the daemon
handles print jobs, bundles, updates and the working set itself, ``ws.resync`` among them). A
type without a handler gets ``error.command.no_handler``, and a command received after its
``expires_at`` gets ``error.command.expired`` without running.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from clinicbox_core.contracts import Command, CommandResult

Handler = Callable[[Command], Awaitable[CommandResult]]


class CommandRegistry:
    def __init__(self, box_id: str) -> None:
        self.box_id = box_id
        self._handlers: dict[str, Handler] = {}

    def register(self, command_type: str, handler: Handler) -> None:
        if command_type in self._handlers:
            raise ValueError(f"a handler for {command_type} is already registered")
        self._handlers[command_type] = handler

    def handles(self, command_type: str) -> bool:
        return command_type in self._handlers

    def fail(self, command: Command, code: str, detail: str | None = None) -> CommandResult:
        return CommandResult(
            command_id=command.command_id,
            box_id=self.box_id,
            ok=False,
            error_code=code,
            detail=detail,
        )

    async def dispatch(self, command: Command) -> CommandResult:
        if command.expires_at is not None and command.expires_at < datetime.now(UTC):
            return self.fail(command, "error.command.expired", command.body.type)
        handler = self._handlers.get(command.body.type)
        if handler is None:
            return self.fail(command, "error.command.no_handler", command.body.type)
        return await handler(command)
