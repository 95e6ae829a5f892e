"""Fixtures for the printer tests: a real virtual printer on a free TCP port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from clinicbox.runtime.ports import free_port
from devsim.escpos_printer import VirtualPrinter
from edge_agent.config import PrinterSettings


@pytest.fixture
async def printer(tmp_path: Path) -> AsyncIterator[VirtualPrinter]:
    vp = VirtualPrinter("127.0.0.1", free_port(), tmp_path / "jobs")
    await vp.start()
    try:
        yield vp
    finally:
        await vp.stop()


@pytest.fixture
def settings(printer: VirtualPrinter) -> PrinterSettings:
    return PrinterSettings(name="counter", port=printer.port, timeout_s=5.0)
