"""Status decoding, held jobs in the virtual printer, and the USB back end without a device."""

from __future__ import annotations

import asyncio
import socket

import pytest
from printer_docs import drugbag, job_for

from devsim.escpos_printer import VirtualPrinter
from devsim.escpos_session import PrinterState
from edge_agent.config import PrinterSettings
from edge_agent.printer import PrinterService, PrinterStatus, render
from edge_agent.printer.status import from_replies


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (PrinterState(), PrinterStatus.OK),
        (PrinterState(paper="near_end"), PrinterStatus.PAPER_NEAR_END),
        (PrinterState(paper="out"), PrinterStatus.PAPER_OUT),
        (PrinterState(cover_open=True), PrinterStatus.COVER_OPEN),
        (PrinterState(cover_open=True, paper="out"), PrinterStatus.COVER_OPEN),
        (PrinterState(online=False), PrinterStatus.OFFLINE),
    ],
)
def test_agent_reads_what_the_printer_reports(state: PrinterState, expected: PrinterStatus) -> None:
    assert (
        from_replies(state.status_byte(1), state.status_byte(2), state.status_byte(4)) == expected
    )


def test_no_reply_is_unknown() -> None:
    assert from_replies(None, None, None) is PrinterStatus.UNKNOWN


def _send_raw(port: int, data: bytes) -> None:
    """A host that does not ask for status first, like a plain `nc printer 9100 < job`."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(256):
            pass


async def test_job_sent_while_paper_is_out_waits_for_paper(
    printer: VirtualPrinter, settings: PrinterSettings
) -> None:
    await printer.set_state(paper="out")
    await asyncio.to_thread(_send_raw, printer.port, render(drugbag(), settings))
    assert printer.jobs == [] and len(printer.held) == 1
    await printer.set_state(paper="ok")
    async with asyncio.timeout(30):
        [job] = await printer.wait_for_jobs(1)
    assert job.text.splitlines()[0] == "仁心診所 藥袋" and printer.held == []


async def test_usb_printer_not_plugged_in_is_offline() -> None:
    settings = PrinterSettings(
        name="usb", backend="usb", usb_vendor_id=0x04B8, usb_product_id=0x0E15
    )
    service = PrinterService([settings])
    result = await service.print(job_for(drugbag()))
    assert (result.status, result.reason) == ("failed", "offline")
    assert "04b8:0e15" in (result.detail or "")
    assert await service.status() == {"usb": "offline"}


async def test_usb_without_ids_is_offline() -> None:
    result = await PrinterService([PrinterSettings(name="usb", backend="usb")]).print(
        job_for(drugbag())
    )
    assert (result.status, result.reason) == ("failed", "offline")
    assert "usb_vendor_id" in (result.detail or "")
