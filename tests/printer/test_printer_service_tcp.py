"""PrinterService → real TCP socket → VirtualPrinter."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from printer_docs import drugbag, job_for

from clinicbox.runtime.ports import free_port
from clinicbox_core.printdoc.model import PrintDocument, TextLine
from devsim.escpos_printer import VirtualPrinter
from edge_agent.config import PrinterSettings
from edge_agent.printer import PrinterService, raster


async def wait_jobs(printer: VirtualPrinter, count: int) -> None:
    async with asyncio.timeout(30):
        await printer.wait_for_jobs(count)


async def test_drug_bag_prints_chinese_text_and_paper(
    printer: VirtualPrinter, settings: PrinterSettings
) -> None:
    service = PrinterService([settings])
    result = await service.print(job_for(drugbag("王小明")))
    assert (result.status, result.reason) == ("done", None)
    await wait_jobs(printer, 1)
    stored = printer.jobs[0]
    lines = stored.text.splitlines()
    assert lines[:5] == [
        "仁心診所 藥袋",
        "-" * 42,
        "姓名：王小明　先生",
        "Amoxicillin 500mg 膠囊",
        "用法：一天三次，飯後服用，共七天",
    ]
    assert "[QR https://clinicbox.tw/rx/123]" in lines and lines[-1] == "[cut]"
    assert stored.job.warnings == ()
    with Image.open(stored.png_path) as png:
        assert png.width >= 576
        assert 400 <= png.height <= 2000, png.height
        # ink where the title is: the top of the paper is not blank
        darkest = png.convert("L").crop((0, 0, png.width, 80)).getextrema()[0]
        assert isinstance(darkest, int) and darkest < 64
    assert stored.bin_path.read_bytes().startswith(b"\x10\x04\x01")  # asked status first


async def test_rare_character_line_prints_as_an_image(
    printer: VirtualPrinter, settings: PrinterSettings
) -> None:
    result = await PrinterService([settings]).print(job_for(drugbag("王小堃")))
    assert result.status == "done"
    await wait_jobs(printer, 1)
    lines = printer.jobs[0].text.splitlines()
    assert lines[2] == "[image 216x30]"  # 姓名：王小堃　先生: 18 cells of 12 dots
    assert "?" not in printer.jobs[0].text


async def test_paper_out_fails_the_job_and_prints_nothing(
    printer: VirtualPrinter, settings: PrinterSettings
) -> None:
    await printer.set_state(paper="out")
    service = PrinterService([settings])
    result = await service.print(job_for(drugbag()))
    assert (result.status, result.reason) == ("failed", "paper_out")
    assert result.detail
    assert await service.status() == {"counter": "paper_out"}
    assert printer.connections, "the service did reach the printer"
    assert printer.jobs == [] and printer.held == []

    await printer.set_state(paper="ok")
    assert (await service.print(job_for(drugbag()))).status == "done"
    await wait_jobs(printer, 1)
    assert len(printer.jobs) == 1


async def test_cover_open_fails_the_job(printer: VirtualPrinter, settings: PrinterSettings) -> None:
    await printer.set_state(cover_open=True)
    service = PrinterService([settings])
    result = await service.print(job_for(drugbag()))
    assert (result.status, result.reason) == ("failed", "cover_open")
    assert await service.status() == {"counter": "cover_open"}
    assert printer.jobs == [] and printer.held == []


async def test_printer_down_is_offline(printer: VirtualPrinter, settings: PrinterSettings) -> None:
    await printer.set_state(online=False)
    service = PrinterService([settings])
    result = await service.print(job_for(drugbag()))
    assert (result.status, result.reason) == ("failed", "offline")
    assert "refused" in (result.detail or "")
    assert await service.status() == {"counter": "offline"}

    await printer.set_state(online=True)
    assert (await service.print(job_for(drugbag()))).status == "done"
    assert await service.status() == {"counter": "ok"}


@pytest.fixture
def unresponsive_port() -> Iterator[int]:
    """A listener whose accept queue is full, so new connections never complete."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    try:
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


async def test_connect_that_hangs_is_timeout(unresponsive_port: int) -> None:
    settings = PrinterSettings(name="slow", port=unresponsive_port, timeout_s=0.5)
    result = await PrinterService([settings]).print(job_for(drugbag()))
    assert (result.status, result.reason) == ("failed", "timeout")


async def test_no_printer_for_role(settings: PrinterSettings) -> None:
    settings = settings.model_copy(update={"roles": ["receipt"]})
    result = await PrinterService([settings]).print(job_for(drugbag(), role="drugbag"))
    assert (result.status, result.reason) == ("failed", "no_printer_for_role")


async def test_jobs_go_to_the_printer_serving_the_role(tmp_path: Path) -> None:
    receipt = VirtualPrinter("127.0.0.1", free_port(), tmp_path / "receipt")
    bags = VirtualPrinter("127.0.0.1", free_port(), tmp_path / "bags")
    await receipt.start()
    await bags.start()
    try:
        service = PrinterService(
            [
                PrinterSettings(name="front", roles=["receipt"], port=receipt.port),
                PrinterSettings(name="pharmacy", roles=["drugbag"], port=bags.port),
            ]
        )
        assert (await service.print(job_for(drugbag(), role="drugbag"))).status == "done"
        await wait_jobs(bags, 1)
        assert receipt.jobs == []
        assert await service.status() == {"front": "ok", "pharmacy": "ok"}
    finally:
        await receipt.stop()
        await bags.stop()


async def test_two_concurrent_jobs_do_not_interleave(
    printer: VirtualPrinter, settings: PrinterSettings
) -> None:
    service = PrinterService([settings])
    first, second = await asyncio.gather(
        service.print(job_for(drugbag("陳大文"))), service.print(job_for(drugbag("林美玲")))
    )
    assert first.status == second.status == "done"
    await wait_jobs(printer, 2)
    names = sorted(line for j in printer.jobs for line in j.text.splitlines() if "姓名" in line)
    assert names == ["姓名：林美玲　先生", "姓名：陳大文　先生"]
    assert all(
        len(j.text.splitlines()) == len(printer.jobs[0].text.splitlines()) for j in printer.jobs
    )
    spans = sorted(printer.connections)
    assert len(spans) == 2
    assert spans[0][1] < spans[1][0], f"connections overlapped: {spans}"


async def test_missing_font_is_render_failed(
    printer: VirtualPrinter,
    settings: PrinterSettings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """A box without fonts-noto-cjk cannot draw rare characters: the job fails, not prints '?'."""
    monkeypatch.setattr(raster, "FONT_DIRS", (tmp_path,))
    raster._font_file.cache_clear()
    raster._face.cache_clear()
    try:
        doc = PrintDocument(title="t", blocks=[TextLine(text="王小堃")])
        result = await PrinterService([settings]).print(job_for(doc))
    finally:
        raster._font_file.cache_clear()
        raster._face.cache_clear()
    assert (result.status, result.reason) == ("failed", "render_failed")
    assert "NotoSansCJK" in (result.detail or "")
    assert printer.connections == []
