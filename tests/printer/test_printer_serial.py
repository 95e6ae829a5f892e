"""PrinterService → pyserial on a real pty → the virtual printer reading the master side."""

from __future__ import annotations

import asyncio
import os
import tty
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from printer_docs import drugbag, job_for

from devsim.escpos_printer import VirtualPrinter
from edge_agent.config import PrinterSettings
from edge_agent.printer import PrinterService


@pytest.fixture
async def serial_printer(tmp_path: Path) -> AsyncIterator[tuple[VirtualPrinter, PrinterSettings]]:
    master, slave = os.openpty()
    tty.setraw(slave)
    vp = VirtualPrinter("127.0.0.1", 0, tmp_path / "jobs")
    await vp.start()
    vp.attach_serial(master)
    settings = PrinterSettings(
        name="serial", backend="serial", serial_device=os.ttyname(slave), baudrate=38400
    )
    try:
        yield vp, settings
    finally:
        await vp.stop()
        os.close(slave)  # the test keeps the slave open so the master never sees a hang-up
        os.close(master)


async def test_drug_bag_over_serial(serial_printer: tuple[VirtualPrinter, PrinterSettings]) -> None:
    printer, settings = serial_printer
    service = PrinterService([settings])
    result = await service.print(job_for(drugbag("王小明")))
    assert (result.status, result.reason) == ("done", None)
    async with asyncio.timeout(30):
        await printer.wait_for_jobs(1)
    lines = printer.jobs[0].text.splitlines()
    assert lines[0] == "仁心診所 藥袋" and lines[2] == "姓名：王小明　先生"
    assert printer.jobs[0].job.cut and printer.jobs[0].job.warnings == ()
    assert printer.jobs[0].job.status_requests[:3] == (1, 2, 4)
    assert await service.status() == {"serial": "ok"}


async def test_paper_out_over_serial(
    serial_printer: tuple[VirtualPrinter, PrinterSettings],
) -> None:
    printer, settings = serial_printer
    await printer.set_state(paper="out")
    service = PrinterService([settings])
    result = await service.print(job_for(drugbag()))
    assert (result.status, result.reason) == ("failed", "paper_out")
    assert await service.status() == {"serial": "paper_out"}
    assert printer.jobs == [] and printer.held == []


async def test_concurrent_serial_jobs_stay_whole(
    serial_printer: tuple[VirtualPrinter, PrinterSettings],
) -> None:
    printer, settings = serial_printer
    service = PrinterService([settings])
    names = ["陳大文", "林美玲", "張志明"]
    results = await asyncio.gather(*(service.print(job_for(drugbag(n))) for n in names))
    assert [r.status for r in results] == ["done"] * 3
    async with asyncio.timeout(30):
        jobs = await printer.wait_for_jobs(3)
    assert all(j.job.warnings == () for j in jobs)
    printed = sorted(j.text.splitlines()[2] for j in jobs)
    assert printed == sorted(f"姓名：{n}　先生" for n in names)


async def test_missing_serial_device_is_offline(tmp_path: Path) -> None:
    settings = PrinterSettings(name="s", backend="serial", serial_device=str(tmp_path / "ttyS9"))
    result = await PrinterService([settings]).print(job_for(drugbag()))
    assert (result.status, result.reason) == ("failed", "offline")
