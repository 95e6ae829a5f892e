"""A TCP proxy that breaks the network on purpose, for fault tests and benchmarks.

The box connects to the proxy instead of the broker; the proxy forwards bytes both ways and,
on command, misbehaves the way a clinic's line does:

- ``cut()``: every open connection is reset and new ones are refused (closed at once) until
  ``restore()``: a router reboot, a pulled cable noticed by both ends.
- ``blackhole()``: connections stay open but nothing gets through in either direction and new
  connections hang; the ends notice only through their own keep-alive: a line that silently
  stops passing packets (the most common real outage, and the hardest for a client).
- ``delay_s``: every chunk is delivered that much later (order kept): latency of a bad line.
- ``drop_rate``: each forwarded chunk resets its connection with this probability: a flaky
  line whose connections keep breaking (TCP itself never loses bytes inside a connection, so
  loss shows up to the application as broken connections and retransmission delay).

It is an asyncio server in the caller's event loop (``await proxy.start()``), so a test that
blocks its loop stalls the proxy too: run blocking calls in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass, field
from enum import StrEnum


class Mode(StrEnum):
    PASS = "pass"
    CUT = "cut"
    BLACKHOLE = "blackhole"


@dataclass
class ProxyStats:
    accepted: int = 0
    refused: int = 0
    resets: int = 0
    bytes_up: int = 0  # client → upstream
    bytes_down: int = 0  # upstream → client
    dropped_bytes: int = 0  # swallowed while black-holed
    modes: list[str] = field(default_factory=list)


class _Pair:
    """One client connection and its upstream connection."""

    def __init__(self, proxy: FaultProxy, client: asyncio.StreamWriter) -> None:
        self.proxy = proxy
        self.client = client
        self.upstream: asyncio.StreamWriter | None = None
        self.tasks: list[asyncio.Task[None]] = []

    def abort(self) -> None:
        for writer in (self.client, self.upstream):
            if writer is not None:
                transport = writer.transport
                with contextlib.suppress(Exception):
                    transport.abort()  # RST, not a polite FIN
        current = asyncio.current_task()
        for task in self.tasks:
            if task is not current:
                task.cancel()


class FaultProxy:
    """``proxy = FaultProxy(upstream_host, upstream_port); await proxy.start(); proxy.port``."""

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int | None = None,
    ) -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.host = host
        self.port = port
        self.delay_s = 0.0
        self.drop_rate = 0.0
        self.mode = Mode.PASS
        self.stats = ProxyStats()
        self._random = random.Random(seed)
        self._server: asyncio.Server | None = None
        self._pairs: set[_Pair] = set()
        self._passing = asyncio.Event()
        self._passing.set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for pair in list(self._pairs):
            pair.abort()
        self._pairs.clear()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> FaultProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---- faults -------------------------------------------------------------------------------

    def _set(self, mode: Mode) -> None:
        self.mode = mode
        self.stats.modes.append(mode.value)
        if mode is Mode.PASS:
            self._passing.set()
        else:
            self._passing.clear()

    def cut(self) -> None:
        """Reset every connection and refuse new ones until :meth:`restore`."""
        self._set(Mode.CUT)
        for pair in list(self._pairs):
            pair.abort()
            self.stats.resets += 1
        self._pairs.clear()

    def blackhole(self) -> None:
        """Swallow everything both ways, keep connections open, let new ones hang."""
        self._set(Mode.BLACKHOLE)

    def restore(self) -> None:
        """Pass traffic again. Connections that were black-holed are reset: their byte streams
        lost data in the middle and cannot be resumed (as after a real outage)."""
        if self.mode is Mode.BLACKHOLE:
            for pair in list(self._pairs):
                pair.abort()
                self.stats.resets += 1
            self._pairs.clear()
        self._set(Mode.PASS)

    @property
    def connections(self) -> int:
        return len(self._pairs)

    # ---- forwarding ---------------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode is Mode.CUT:
            self.stats.refused += 1
            writer.transport.abort()
            return
        pair = _Pair(self, writer)
        self._pairs.add(pair)
        self.stats.accepted += 1
        try:
            await self._passing.wait()  # a black-holed line: the connect hangs
            if pair not in self._pairs:
                return
            up_reader, up_writer = await asyncio.open_connection(
                self.upstream_host, self.upstream_port
            )
        except (OSError, asyncio.CancelledError):
            pair.abort()
            self._pairs.discard(pair)
            return
        pair.upstream = up_writer
        pair.tasks = [
            asyncio.create_task(self._pump(pair, reader, up_writer, up=True)),
            asyncio.create_task(self._pump(pair, up_reader, writer, up=False)),
        ]
        await asyncio.gather(*pair.tasks, return_exceptions=True)
        pair.abort()
        self._pairs.discard(pair)

    async def _pump(
        self, pair: _Pair, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, up: bool
    ) -> None:
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
        deliver = asyncio.create_task(self._deliver(queue, writer))
        loop = asyncio.get_running_loop()
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                if self.mode is not Mode.PASS:
                    self.stats.dropped_bytes += len(data)
                    continue
                if self.drop_rate and self._random.random() < self.drop_rate:
                    self.stats.resets += 1
                    pair.abort()
                    return
                if up:
                    self.stats.bytes_up += len(data)
                else:
                    self.stats.bytes_down += len(data)
                queue.put_nowait((loop.time() + self.delay_s, data))
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            queue.put_nowait(None)
            with contextlib.suppress(Exception):
                await deliver
            pair.abort()

    async def _deliver(
        self, queue: asyncio.Queue[tuple[float, bytes] | None], writer: asyncio.StreamWriter
    ) -> None:
        loop = asyncio.get_running_loop()
        while (item := await queue.get()) is not None:
            at, data = item
            wait = at - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if self.mode is not Mode.PASS:
                self.stats.dropped_bytes += len(data)
                continue
            writer.write(data)
            await writer.drain()
