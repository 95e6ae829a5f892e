"""The virtual printer's viewer/control API, and its command line, over real sockets."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from printer_docs import drugbag, job_for

from clinicbox.runtime.ports import free_port, port_open
from devsim.escpos_http import make_app
from devsim.escpos_printer import VirtualPrinter
from edge_agent.config import PrinterSettings
from edge_agent.printer import PrinterService


@pytest.fixture
async def api(printer: VirtualPrinter) -> AsyncIterator[str]:
    runner = web.AppRunner(make_app(printer))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_state_jobs_and_files(
    api: str, printer: VirtualPrinter, settings: PrinterSettings
) -> None:
    service = PrinterService([settings])
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{api}/state", json={"paper": "out"}) as resp:
            assert resp.status == 200
            assert (await resp.json())["paper"] == "out"
        assert (await service.print(job_for(drugbag()))).reason == "paper_out"
        async with http.get(f"{api}/jobs") as resp:
            assert await resp.json() == []

        async with http.post(f"{api}/state", json={"paper": "ok", "cover": "closed"}) as resp:
            assert (await resp.json()) == {
                "paper": "ok",
                "cover": "closed",
                "online": True,
                "held": 0,
            }
        assert (await service.print(job_for(drugbag()))).status == "done"
        async with asyncio.timeout(30):
            await printer.wait_for_jobs(1)
        async with http.get(f"{api}/jobs") as resp:
            [listed] = await resp.json()
        assert listed["number"] == 1 and listed["lines"][0] == "仁心診所 藥袋" and listed["cut"]
        async with http.get(f"{api}{listed['txt']}") as resp:
            assert "姓名：王小明　先生" in await resp.text()
        async with http.get(f"{api}{listed['png']}") as resp:
            assert resp.content_type == "image/png"
            assert (await resp.read()).startswith(b"\x89PNG")
        async with http.get(f"{api}/") as resp:
            assert "工作 1" in await resp.text()
        async with http.get(f"{api}/jobs/2.txt") as resp:
            assert resp.status == 404

        async with http.post(f"{api}/state", json={"online": False}) as resp:
            assert (await resp.json())["online"] is False
        assert (await service.print(job_for(drugbag()))).reason == "offline"
        async with http.post(f"{api}/state", json={"paper": "empty"}) as resp:
            assert resp.status == 400


@pytest.fixture
def printer_process(tmp_path: Path) -> Iterator[tuple[int, int, Path]]:
    port, http_port, out = free_port(), free_port(), tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devsim.escpos_printer",
            "--port",
            str(port),
            "--out",
            str(out),
            "--http-port",
            str(http_port),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        assert b"virtual printer on" in proc.stdout.readline()
        assert port_open("127.0.0.1", http_port)
        yield port, http_port, out
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()


async def test_command_line_printer(printer_process: tuple[int, int, Path]) -> None:
    port, http_port, out = printer_process
    service = PrinterService([PrinterSettings(name="cli", port=port)])
    assert (await service.print(job_for(drugbag()))).status == "done"
    async with aiohttp.ClientSession() as http:
        async with asyncio.timeout(30):
            while True:
                async with http.get(f"http://127.0.0.1:{http_port}/jobs") as resp:
                    jobs = await resp.json()
                if jobs:
                    break
                await asyncio.sleep(0.1)
    assert jobs[0]["lines"][2] == "姓名：王小明　先生"
    assert (out / "job-0001.png").is_file() and (out / "job-0001.bin").is_file()
