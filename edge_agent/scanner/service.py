"""The box's serial barcode scanners: a reader thread per scanner (pyserial blocks), codes
posted onto the event loop and handed to ``on_scan`` as :class:`ScanRead` bodies.

A scanner that is unplugged or not there yet is retried every ``retry_s`` seconds; the box
keeps running without it. Codes are delivered in the order scanned.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable

import serial

from clinicbox_core.contracts import ScanRead
from edge_agent.config import ScannerSettings
from edge_agent.scanner.lines import LineSplitter

log = logging.getLogger(__name__)

OnScan = Callable[[ScanRead], Awaitable[None]]
READ_TIMEOUT_S = 0.2  # how often a reader thread looks at its stop flag


class ScannerService:
    def __init__(self, scanners: list[ScannerSettings], on_scan: OnScan) -> None:
        self.scanners = scanners
        self._on_scan = on_scan
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._queue: asyncio.Queue[ScanRead] = asyncio.Queue()
        self.open_ports: set[str] = set()  # scanners whose port is open now (status, tests)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for cfg in self.scanners:
            t = threading.Thread(
                target=self._read, args=(cfg, loop), name=f"scanner-{cfg.name}", daemon=True
            )
            t.start()
            self._threads.append(t)
        while True:
            body = await self._queue.get()
            try:
                await self._on_scan(body)
            except Exception:
                log.exception("scan from %s could not be recorded", body.scanner)

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=2)

    def _read(self, cfg: ScannerSettings, loop: asyncio.AbstractEventLoop) -> None:
        splitter = LineSplitter(cfg.max_length)
        while not self._stop.is_set():
            try:
                port = serial.Serial(cfg.serial_device, cfg.baudrate, timeout=READ_TIMEOUT_S)
            except (serial.SerialException, OSError) as exc:
                log.warning("scanner %s: %s; retrying", cfg.name, exc)
                self._stop.wait(cfg.retry_s)
                continue
            log.info("scanner %s on %s", cfg.name, cfg.serial_device)
            self.open_ports.add(cfg.name)
            try:
                with port:
                    while not self._stop.is_set():
                        data = port.read(port.in_waiting or 1)
                        for code in splitter.feed(data):
                            body = ScanRead(scanner=cfg.name, code=code)
                            loop.call_soon_threadsafe(self._queue.put_nowait, body)
            except (serial.SerialException, OSError) as exc:
                log.warning("scanner %s lost: %s; retrying", cfg.name, exc)
                self._stop.wait(cfg.retry_s)
            finally:
                self.open_ports.discard(cfg.name)
