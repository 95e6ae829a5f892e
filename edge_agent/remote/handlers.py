"""The box's built-in remote commands: restart the agent, print a test page, collect logs,
rotate and install the certificate, reboot. (``ws.resync`` belongs to the working set.)

Restart and reboot act only after their result has reached the broker (``after_result``), so
the cloud learns the outcome even though the process goes away.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import logging
import subprocess
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from clinicbox_core.contracts import (
    CertificateRequest,
    CollectLogs,
    Command,
    CommandResult,
    InstallCertificate,
    PrintJob,
    PrintTestPage,
)
from clinicbox_core.printdoc import Cut, PrintDocument, TextLine
from edge_agent.outbox import AsyncOutbox
from edge_agent.printer.service import PrinterService
from edge_agent.provisioning.identity import DeviceIdentity
from edge_agent.remote.registry import CommandRegistry

log = logging.getLogger(__name__)
AfterResult = Callable[[Callable[[], Awaitable[None]]], None]


class BuiltinHandlers:
    def __init__(
        self,
        registry: CommandRegistry,
        *,
        printers: PrinterService,
        outbox: AsyncOutbox,
        identity: DeviceIdentity | None,
        log_file: Path | None,
        reboot_command: list[str],
        after_result: AfterResult,
        restart: Callable[[], None],
        reconnect: Callable[[], None],
        notify: Callable[[], None],
    ) -> None:
        self.r = registry
        self.printers = printers
        self.outbox = outbox
        self.identity = identity
        self.log_file = log_file
        self.reboot_command = reboot_command
        self.after_result = after_result
        self.restart = restart
        self.reconnect = reconnect
        self.notify = notify
        registry.register("agent.restart", self.restart_agent)
        registry.register("printer.test_page", self.print_test_page)
        registry.register("logs.collect", self.collect_logs)
        registry.register("cert.rotate", self.rotate_certificate)
        registry.register("cert.install", self.install_certificate)
        registry.register("system.reboot", self.reboot)

    def _ok(self, command: Command, detail: str | None = None, **output: str) -> CommandResult:
        return CommandResult(
            command_id=command.command_id,
            box_id=self.r.box_id,
            ok=True,
            detail=detail,
            output=output or None,
        )

    async def restart_agent(self, command: Command) -> CommandResult:
        async def act() -> None:
            self.restart()

        self.after_result(act)
        return self._ok(command, "restarting")

    async def reboot(self, command: Command) -> CommandResult:
        async def act() -> None:
            log.warning("rebooting: %s", " ".join(self.reboot_command))
            await asyncio.to_thread(subprocess.run, self.reboot_command, check=False)

        self.after_result(act)
        return self._ok(command, "rebooting")

    async def print_test_page(self, command: Command) -> CommandResult:
        body = command.body
        assert isinstance(body, PrintTestPage)
        doc = PrintDocument(
            title="test page",
            blocks=[
                TextLine(text="clinicbox", bold=True, double=True),
                TextLine(text=f"box {self.r.box_id}"),
                TextLine(text=f"printer role {body.printer}"),
                TextLine(text="測試頁 OK"),
                Cut(),
            ],
        )
        job = PrintJob(job_id=uuid.uuid4(), printer=body.printer, document=doc)
        result = await self.printers.print(job)
        if result.status != "done":
            return self.r.fail(command, result.reason or "print_failed", result.detail)
        return self._ok(command, "printed")

    async def collect_logs(self, command: Command) -> CommandResult:
        body = command.body
        assert isinstance(body, CollectLogs)
        if self.log_file is None:
            return self.r.fail(command, "error.command.no_log_file")
        data = await asyncio.to_thread(_tail_gzip, self.log_file, body.max_bytes)
        if data is None:
            return self.r.fail(command, "error.command.no_log_file", str(self.log_file))
        packed, raw_size = data
        return self._ok(
            command,
            f"{raw_size} bytes of log, {len(packed)} gzipped",
            log_gzip_b64=base64.b64encode(packed).decode("ascii"),
        )

    async def rotate_certificate(self, command: Command) -> CommandResult:
        if self.identity is None:
            return self.r.fail(command, "error.command.no_identity")
        csr = await asyncio.to_thread(self.identity.csr_pem, next_key=True)
        await self.outbox.append(CertificateRequest(csr_pem=csr))
        self.notify()
        return self._ok(command, "csr_sent")

    async def install_certificate(self, command: Command) -> CommandResult:
        body = command.body
        assert isinstance(body, InstallCertificate)
        if self.identity is None:
            return self.r.fail(command, "error.command.no_identity")
        await asyncio.to_thread(self.identity.install, body.cert_pem)

        async def act() -> None:
            self.reconnect()

        self.after_result(act)
        return self._ok(command, "installed")


def _tail_gzip(path: Path, max_gzipped: int) -> tuple[bytes, int] | None:
    """The newest part of ``path`` whose gzip fits ``max_gzipped`` bytes (halving until it does)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    take = len(raw)
    while True:
        packed = gzip.compress(raw[len(raw) - take :])
        if len(packed) <= max_gzipped or take <= 1:
            return packed, take
        take //= 2
