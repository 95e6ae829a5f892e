"""The box daemon: wires the card readers, the printers, the outbox and the cloud link together.

Card events and print results become outbox events (durable before anything else happens); the
link publishes them and deletes nothing until the cloud acks. Print commands from the cloud go
to the printer service once per job id (see :mod:`edge_agent.print_ledger`).

The daemon writes ``<data_dir>/ready`` once every service has started, for supervisors and the
demo, and removes it on exit; ``<data_dir>/agent.pid`` and ``<data_dir>/link`` (``connected`` or
``disconnected``, refreshed every second) feed the A/B health check (firmware_scripts/).

Bundle offers go to :class:`~edge_agent.bundles.BundleManager`, software updates to
:class:`~edge_agent.update.UpdateManager` (when ``update.enabled``); a software update or a
rollback ends :meth:`BoxDaemon.run` with ``exit_code`` :data:`REBOOT_EXIT_CODE`.

Fleet: a box without a certificate provisions itself first (:mod:`edge_agent.provisioning`);
remote commands other than the above go to :attr:`BoxDaemon.registry` (built-in handlers in
:mod:`edge_agent.remote.handlers`); the twin (:mod:`edge_agent.twin`) applies desired state.
A remote restart ends the run with :data:`RESTART_EXIT_CODE` (the CLI re-executes itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import signal
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from clinicbox import __version__
from clinicbox_core.bundles import TrustedKeys
from clinicbox_core.contracts import (
    BundleAvailable,
    CardInserted,
    CardRemoved,
    CertificateRequest,
    Command,
    CommandResult,
    PrintJob,
    PrintResult,
    ScanRead,
    SoftwareUpdate,
    WorkingSetPart,
    WorkingSetResync,
)
from edge_agent.bundles import BundleManager, BundleStore
from edge_agent.card.errors import CardReadError
from edge_agent.card.service import CardService
from edge_agent.clock import WallClock
from edge_agent.config import BoxSettings
from edge_agent.continuity.manager import ContinuityService
from edge_agent.link import CloudLink
from edge_agent.outbox import AsyncOutbox, OutboxDiskError
from edge_agent.print_ledger import PrintLedger
from edge_agent.printer.service import PrinterService
from edge_agent.provisioning import DeviceIdentity, provision
from edge_agent.remote import CommandRegistry
from edge_agent.remote.handlers import BuiltinHandlers
from edge_agent.scanner import ScannerService
from edge_agent.status_page import StatusPage
from edge_agent.twin import BoxTwin
from edge_agent.update import REBOOT_EXIT_CODE, AbScripts, UpdateManager

log = logging.getLogger(__name__)
RESTART_EXIT_CODE = 76  # a remote "restart agent": the CLI re-executes the same command line
ROTATION_CHECK_S = 3600.0


class BoxDaemon:
    def __init__(
        self, settings: BoxSettings, outbox: AsyncOutbox, identity: DeviceIdentity | None = None
    ) -> None:
        self.settings = settings
        self.outbox = outbox
        self.identity = identity
        self.twin = BoxTwin(settings.data_dir, heartbeat_s=settings.heartbeat_s)
        if identity is not None:
            self.twin.cert_not_after = identity.not_after()
        self._after: set[asyncio.Task[None]] = set()
        self.ledger = PrintLedger(settings.data_dir / "printed.db")
        trusted = TrustedKeys(settings.bundles.trusted_keys)
        self.bundles = BundleManager(BundleStore(settings.data_dir / "bundles.db"), trusted)
        self.updates: UpdateManager | None = None
        if settings.update.enabled:
            self.updates = UpdateManager(
                AbScripts(settings.update.scripts_dir, settings.update.ab_config),
                trusted,
                settings.data_dir,
                self._reboot,
                health_grace_s=settings.update.health_grace_s,
            )
        self.exit_code = 0
        self.printers = PrinterService(settings.printers)
        self.cards = CardService(
            settings.card, self.on_card_event, self.on_card_error, on_readers=self.on_readers
        )
        self.scanners = ScannerService(settings.scanners, self.on_scan)
        self.continuity: ContinuityService | None = None
        if settings.continuity.enabled:
            self.continuity = ContinuityService(
                settings,
                outbox,
                printer=self._print_local,
                link_up=lambda: self.link.connected,
                report=self._report,
                notify=lambda: self.link.notify(),
            )
        self.link = CloudLink(
            settings,
            outbox,
            self.on_command,
            software_version=__version__,
            readers=lambda: self.cards.readers,
            extras=self._reported_state,
            twin=self.twin,
        )
        self._stopping = asyncio.Event()
        #: other packages register their remote-command handlers here
        self.registry = CommandRegistry(settings.box_id)
        BuiltinHandlers(
            self.registry,
            printers=self.printers,
            outbox=outbox,
            identity=identity,
            log_file=settings.log_file,
            reboot_command=settings.reboot_command,
            after_result=self._after_result,
            restart=self._restart,
            reconnect=self.link.reconnect,
            notify=self.link.notify,
        )

    @classmethod
    async def create(
        cls, settings: BoxSettings, identity: DeviceIdentity | None = None
    ) -> BoxDaemon:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        outbox = await AsyncOutbox.open(
            settings.data_dir / "outbox.db",
            settings.box_id,
            WallClock(settings.clock_offset_file),
            low_free_bytes=settings.disk_low_mb * 1024 * 1024,
        )
        return cls(settings, outbox, identity)

    def _after_result(self, action: Callable[[], Awaitable[None]]) -> None:
        async def later() -> None:
            await self.link.flush_results()
            await action()

        task = asyncio.create_task(later())
        self._after.add(task)
        task.add_done_callback(self._after.discard)

    def _restart(self) -> None:
        self.exit_code = RESTART_EXIT_CODE
        self._stopping.set()

    async def _rotation_watch(self) -> None:
        """Start a certificate rotation once it is within ``rotate_before_days`` of expiry."""
        before = dt.timedelta(days=self.settings.provisioning.rotate_before_days)
        while self.identity is not None:
            not_after = await asyncio.to_thread(self.identity.not_after)
            pending = await asyncio.to_thread(self.identity.next_key_file.exists)
            now = dt.datetime.now(dt.UTC)
            if not_after is not None and not pending and not_after - before < now:
                log.info("certificate expires %s: rotating", not_after)
                csr = await asyncio.to_thread(self.identity.csr_pem, next_key=True)
                await self.outbox.append(CertificateRequest(csr_pem=csr))
                self.link.notify()
            await asyncio.sleep(ROTATION_CHECK_S)

    async def on_card_error(self, error: CardReadError) -> None:
        log.warning("card could not be read: %s", error)

    async def on_readers(self, readers: list[str]) -> None:
        log.info("card readers: %s", ", ".join(readers) or "none")
        if self.link.connected:
            await self.link.report()

    async def _report(self) -> None:
        if self.link.connected:
            await self.link.report()

    async def on_card_event(self, body: CardInserted | CardRemoved) -> None:
        if self.continuity is not None and self.continuity.active:
            if isinstance(body, CardInserted):  # registered on the box, shipped as a record
                visit_id = await self.continuity.card_inserted(body)
                log.info("card check-in in continuity mode: visit %d on the box", visit_id)
            return
        try:
            event = await self.outbox.append(body)
        except OutboxDiskError as exc:
            await self._disk_alarm(exc)
            if isinstance(body, CardInserted):
                raise  # a check-in that could not be recorded must not look recorded
            return
        log.info("card event %s seq=%d", body.type, event.seq)
        self.link.notify()

    async def on_scan(self, body: ScanRead) -> None:
        """A scanned code: durable first (outbox), then to the cloud."""
        event = await self.outbox.append(body)
        log.info("scan from %s seq=%d", body.scanner, event.seq)
        self.link.notify()

    def _reported_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            **(self.continuity.reported_extras() if self.continuity is not None else {}),
            "bundles": self.bundles.versions(),
            "bundle_refusals": dict(self.bundles.refusals),
        }
        if self.updates is not None:
            state["update"] = self.updates.state()
        return state

    def _reboot(self) -> None:
        self.exit_code = REBOOT_EXIT_CODE
        self._stopping.set()

    def _ok(self, command: Command) -> CommandResult:
        return CommandResult(command_id=command.command_id, box_id=self.settings.box_id, ok=True)

    async def _disk_alarm(self, exc: OutboxDiskError) -> None:
        """Say it loudly: error log, and the reported state the cloud pages show."""
        disk = self.outbox.disk
        log.error(
            "DISK %s: box data disk %s, %d bytes free: %s",
            disk.state.value.upper(),
            disk.directory,
            disk.free,
            exc,
        )
        if self.link.connected:
            await self.link.report()

    async def on_command(self, command: Command) -> CommandResult:
        body = command.body
        if isinstance(body, BundleAvailable):
            try:
                await self.bundles.offer(body)
            finally:
                await self.link.report()
            return self._ok(command)
        if isinstance(body, SoftwareUpdate) and self.updates is not None:
            await self.updates.install(body)
            return self._ok(command)
        if isinstance(body, PrintJob):
            result = await self._print_once(body)
            return CommandResult(
                command_id=command.command_id,
                box_id=self.settings.box_id,
                ok=result.status == "done",
                error_code=result.reason,
                detail=result.detail,
            )
        if isinstance(body, WorkingSetPart | WorkingSetResync) and self.continuity is not None:
            if isinstance(body, WorkingSetPart):
                outcome = await self.continuity.on_part(body)
            else:
                await self.continuity.resync()
                outcome = "rebuild requested"
            return CommandResult(
                command_id=command.command_id,
                box_id=self.settings.box_id,
                ok=True,
                detail=outcome,
            )
        return await self.registry.dispatch(command)

    async def _print_local(self, job: PrintJob) -> PrintResult:
        """A print from the box's own pages: once per job id, recorded on the box (not sent as
        a ``print.result`` event: the job travels to the cloud inside its visit's record)."""
        previous = await asyncio.to_thread(self.ledger.done, job.job_id)
        if previous is not None:
            return previous
        result = await self.printers.print(job)
        await asyncio.to_thread(self.ledger.record, result)
        return result

    async def _print_once(self, job: PrintJob) -> PrintResult:
        previous = await asyncio.to_thread(self.ledger.done, job.job_id)
        if previous is not None:
            log.info("print job %s already printed; not printing it again", job.job_id)
            return previous
        result = await self.printers.print(job)
        try:
            await asyncio.to_thread(self.ledger.record, result)
        except sqlite3.Error as exc:  # a full disk must not cost the result (the clinical record)
            log.error("print ledger not written for job %s: %s", job.job_id, exc)
        try:
            await self.outbox.append(result)
        except OutboxDiskError as exc:
            await self._disk_alarm(exc)
            raise
        self.link.notify()
        return result

    def stop(self) -> None:
        self._stopping.set()

    async def _watch_link(self) -> None:
        """Keep ``<data_dir>/link`` current for the A/B health check."""
        path = self.settings.data_dir / "link"
        while True:
            state = "connected" if self.link.connected else "disconnected"
            await asyncio.to_thread(path.write_text, state, encoding="utf-8")
            await asyncio.sleep(1.0)

    async def _watch_update(self) -> None:
        assert self.updates is not None
        ready = self.settings.data_dir / "ready"
        await self.updates.watch_after_boot(lambda: self.link.connected and ready.exists())
        await self.link.report()

    async def run(self) -> None:
        data_dir = self.settings.data_dir
        ready = data_dir / "ready"
        (data_dir / "agent.pid").write_text(f"{os.getpid()}\n", encoding="utf-8")
        if self.updates is not None:
            await self.updates.refresh()
            self.link.software_version = self.updates.running_version or __version__
        if self.continuity is not None:
            await self.continuity.start()
        tasks = [
            asyncio.create_task(self.link.run(), name="link"),
            asyncio.create_task(self.cards.run(), name="cards"),
        ]
        if self.settings.scanners:
            tasks.append(asyncio.create_task(self.scanners.run(), name="scanners"))
        if self.continuity is not None:
            tasks.append(asyncio.create_task(self.continuity.run(), name="continuity"))
        helpers = [
            asyncio.create_task(self._watch_link(), name="link-state"),
            asyncio.create_task(self._rotation_watch(), name="rotation"),
        ]
        if self.updates is not None:
            helpers.append(asyncio.create_task(self._watch_update(), name="update-health"))
        ready.write_text("ok\n", encoding="utf-8")
        log.info("box %s of %s running", self.settings.box_id, self.settings.tenant)
        try:
            stopper = asyncio.create_task(self._stopping.wait())
            done, _ = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not stopper and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            ready.unlink(missing_ok=True)
            (data_dir / "link").unlink(missing_ok=True)
            for helper in helpers:
                helper.cancel()
            self.cards.stop()
            await asyncio.to_thread(self.scanners.stop)
            await self.link.stop()
            if self.continuity is not None:
                await self.continuity.stop()
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self.outbox.close()
            self.ledger.close()
            self.bundles.store.close()


async def run_box(settings: BoxSettings) -> int:
    """Provision first if needed, then run until stopped; the exit code is
    :data:`REBOOT_EXIT_CODE` when a reboot is due, :data:`RESTART_EXIT_CODE` for a restart."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    status = StatusPage(settings)
    await status.start()
    try:
        settings, identity = await _provisioned(settings, status)
        daemon = await BoxDaemon.create(settings, identity)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, daemon.stop)
        status.update("running", settings.tenant)
        await daemon.run()
        return daemon.exit_code
    finally:
        await status.stop()


async def _provisioned(
    settings: BoxSettings, status: StatusPage
) -> tuple[BoxSettings, DeviceIdentity | None]:
    """Settings with the device certificate when the box provisions itself (no cert_file set)."""
    if settings.mqtt.cert_file is not None or settings.provisioning.claim_cert_file is None:
        return settings, None
    identity = DeviceIdentity(settings.data_dir, settings.box_id)
    status.code = await asyncio.to_thread(identity.claim_code)
    if not await asyncio.to_thread(lambda: identity.provisioned):
        await provision(settings, identity, status.update)
    mqtt = settings.mqtt.model_copy(
        update={"cert_file": identity.cert_file, "key_file": identity.key_file}
    )
    return settings.model_copy(update={"tenant": identity.tenant, "mqtt": mqtt}), identity
