"""The scanner service reads a real serial device: a pty pair stands in for the scanner (the
box opens the slave side with pyserial; the test writes to the master side as the scanner
would, in pieces). A scanner that is not there yet is picked up once it appears."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from clinicbox_core.contracts import ScanRead
from edge_agent.config import ScannerSettings
from edge_agent.scanner import ScannerService


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():  # noqa: ASYNC110  (a thread changes it; wait_for bounds it)
        await asyncio.sleep(0.02)


async def test_codes_from_a_pty_scanner_arrive_in_order(tmp_path: Path) -> None:
    master, slave = os.openpty()
    device = os.ttyname(slave)
    got: list[ScanRead] = []

    async def on_scan(body: ScanRead) -> None:
        got.append(body)

    link = tmp_path / "scanner"  # not there at start: the service retries until it appears
    service = ScannerService(
        [ScannerSettings(name="counter", serial_device=str(link), retry_s=0.1)], on_scan
    )
    task = asyncio.create_task(service.run())
    try:
        link.symlink_to(device)
        await asyncio.wait_for(_until(lambda: "counter" in service.open_ports), timeout=20)
        for chunk in (b"CBRX1$AB", b"C*1\r", b"\nSECOND\r", b"\n\xfe\xfe\r\nTHIRD\n"):
            os.write(master, chunk)
        await asyncio.wait_for(_until(lambda: len(got) >= 3), timeout=20)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await asyncio.to_thread(service.stop)
        os.close(master)
        os.close(slave)
    assert [(b.scanner, b.code) for b in got] == [
        ("counter", "CBRX1$ABC*1"), ("counter", "SECOND"), ("counter", "THIRD")
    ]  # fmt: skip
