"""A virtual ESC/POS receipt printer on TCP (port 9100 style) or a serial line (pty).

Real at the OS boundary: the edge agent prints to it over a real socket or tty exactly as it would
to an Epson-compatible printer. Each TCP connection's bytes, up to a GS V cut or the end of the
connection, are one job; on a serial line jobs end at a cut or when the host closes the port.
Real-time status requests (DLE EOT n) are answered from ``state``:

* paper out or cover open: status says so; jobs that still arrive are held (``held``), not
  printed, and print when the printer is ready again, as a real printer resumes from its buffer;
* offline (``online=False``): the TCP port stops listening, so connections are refused.

Every printed job is parsed (devsim.escpos_parse) and kept as .bin, .txt and .png files under
``out_dir`` (devsim.escpos_store). ``python -m devsim.escpos_printer --port 9100 --out DIR
[--http-port N]`` runs it with the HTTP viewer/control API of devsim.escpos_http.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import itertools
import os
import select
import signal
import threading
import time
from pathlib import Path

from devsim.escpos_session import JobStream, Paper, PrinterState
from devsim.escpos_store import StoredJob, store_job


class VirtualPrinter:
    def __init__(
        self, host: str = "127.0.0.1", port: int = 9100, out_dir: Path | str = "."
    ) -> None:
        self.host = host
        self.port = port
        self.out_dir = Path(out_dir)
        self.state = PrinterState()
        self.jobs: list[StoredJob] = []
        self.held: list[bytes] = []
        # (opened, closed) event numbers of each finished TCP connection, in closing order.
        self.connections: list[tuple[int, int]] = []
        self._events = itertools.count(1)
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._accept_lock = asyncio.Lock()
        self._changed = asyncio.Condition()
        self._serial_stop = threading.Event()
        self._serial_threads: list[threading.Thread] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    # ---- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self._listen()

    async def stop(self) -> None:
        await self._unlisten()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        self._serial_stop.set()
        for thread in self._serial_threads:
            await asyncio.to_thread(thread.join)
        self._serial_threads.clear()

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._on_connection, self.host, self.port, reuse_address=True
            )
            self.port = self._server.sockets[0].getsockname()[1]

    async def _unlisten(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    # ---- state ----------------------------------------------------------------------------

    async def set_state(
        self,
        *,
        paper: Paper | None = None,
        cover_open: bool | None = None,
        online: bool | None = None,
    ) -> None:
        """Change the front-panel state; held jobs print as soon as the printer is ready."""
        if paper is not None:
            self.state.paper = paper
        if cover_open is not None:
            self.state.cover_open = cover_open
        if online is not None:
            self.state.online = online
            await (self._listen() if online else self._unlisten())
        if self.state.ready:
            async with self._accept_lock:
                held, self.held = self.held, []
                for data in held:
                    await self._store(data)

    async def wait_for_jobs(self, count: int) -> list[StoredJob]:
        """The printed jobs once there are at least ``count`` (bound it with asyncio.timeout)."""
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.jobs) >= count)
            return list(self.jobs)

    # ---- TCP ------------------------------------------------------------------------------

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        opened = next(self._events)
        stream = JobStream(self.state)
        try:
            while data := await reader.read(65536):
                reply = stream.feed(data)
                if reply:
                    writer.write(reply)
                    await writer.drain()
                await self._accept_all(stream.take_jobs())
        except ConnectionError:
            pass
        finally:
            stream.close()
            await self._accept_all(stream.take_jobs())
            self.connections.append((opened, next(self._events)))
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            self._handlers.discard(task)

    # ---- serial ---------------------------------------------------------------------------

    def attach_serial(self, fd: int) -> None:
        """Serve the printer on a serial line: ``fd`` is the master side of a pty (or a tty)."""
        if self._loop is None:
            raise RuntimeError("start() the printer before attaching a serial line")
        thread = threading.Thread(target=self._serve_serial, args=(fd, self._loop), daemon=True)
        self._serial_threads.append(thread)
        thread.start()

    def _serve_serial(self, fd: int, loop: asyncio.AbstractEventLoop) -> None:
        stream = JobStream(self.state)
        while not self._serial_stop.is_set():
            readable, _, _ = select.select([fd], [], [], 0.1)
            if not readable:
                continue
            try:
                data = os.read(fd, 65536)
            except OSError as exc:
                if exc.errno != errno.EIO:  # EIO: the host closed the port (pty slave closed)
                    raise
                stream.close()
                data = b""
                time.sleep(0.05)
            if data:
                reply = stream.feed(data)
                if reply:
                    os.write(fd, reply)
            jobs = stream.take_jobs()
            if jobs:
                asyncio.run_coroutine_threadsafe(self._accept_all(jobs), loop).result()

    # ---- jobs -----------------------------------------------------------------------------

    async def _accept_all(self, jobs: list[bytes]) -> None:
        for data in jobs:
            async with self._accept_lock:
                if self.state.ready:
                    await self._store(data)
                else:
                    self.held.append(data)

    async def _store(self, data: bytes) -> None:
        stored = await asyncio.to_thread(store_job, self.out_dir, len(self.jobs) + 1, data)
        async with self._changed:
            self.jobs.append(stored)
            self._changed.notify_all()


async def _serve(args: argparse.Namespace) -> None:
    from aiohttp import web

    from devsim.escpos_http import make_app

    printer = VirtualPrinter(args.host, args.port, args.out)
    await printer.start()
    runner: web.AppRunner | None = None
    if args.http_port is not None:
        runner = web.AppRunner(make_app(printer))
        await runner.setup()
        await web.TCPSite(runner, args.host, args.http_port).start()
    print(f"virtual printer on {args.host}:{printer.port}, jobs in {printer.out_dir}", flush=True)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, done.set)
    try:
        await done.wait()
    finally:
        if runner is not None:
            await runner.cleanup()
        await printer.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Virtual ESC/POS receipt printer (TCP)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--out", type=Path, default=Path("var/printer"))
    parser.add_argument("--http-port", type=int, default=None)
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
