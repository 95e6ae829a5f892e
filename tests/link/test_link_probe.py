"""The box notices that the broker can be reached again without waiting out its back-off: a
bare TCP probe (open and silent = reachable; refused or reset = not), and a real link whose
back-off is a minute connects once a cut line is restored."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from linkkit import box_settings, wait_until

from clinicbox.runtime.mosquitto import MosquittoBroker
from clinicbox_core.contracts import Command, CommandResult
from devsim.netfault import FaultProxy
from edge_agent.link import CloudLink
from edge_agent.link.probe import broker_reachable, pause_or_reachable
from edge_agent.outbox import AsyncOutbox

# A connect attempt the cut line resets mid-handshake leaves paho's TLS socket to the garbage
# collector (as in tests/faults): collected inside the test below, where this filter applies.
SOCKET_LEFT_TO_GC = pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)


@contextlib.asynccontextmanager
async def _server(*, silent: bool) -> AsyncIterator[int]:
    """A TCP server that stays silent (like a broker) or closes every connection at once."""
    held: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if silent:
            held.append(writer)
        else:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        for w in held:
            w.close()
        server.close()
        await server.wait_closed()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_probe_tells_a_listening_broker_from_a_refusing_line() -> None:
    async with _server(silent=True) as port:
        assert await broker_reachable("127.0.0.1", port)
        async with FaultProxy("127.0.0.1", port) as proxy:
            proxy.cut()
            assert not await broker_reachable("127.0.0.1", proxy.port)
            proxy.restore()
            assert await broker_reachable("127.0.0.1", proxy.port)
    async with _server(silent=False) as port:
        assert not await broker_reachable("127.0.0.1", port)
    assert not await broker_reachable("127.0.0.1", _closed_port())


async def test_pause_ends_at_the_first_successful_probe_or_at_stop() -> None:
    calls = 0

    async def third_time_lucky() -> bool:
        nonlocal calls
        calls += 1
        return calls >= 3

    stopped = asyncio.Event()
    cut_short = await pause_or_reachable(
        600, interval_s=0.01, spread_s=0.01, probe=third_time_lucky, stopped=stopped
    )
    assert cut_short and calls == 3
    off = await pause_or_reachable(
        0.05, interval_s=0, spread_s=0, probe=third_time_lucky, stopped=stopped
    )
    assert not off and calls == 3  # probing off: the plain back-off, no probe
    stopped.set()
    assert not await pause_or_reachable(
        600, interval_s=0.01, spread_s=0, probe=third_time_lucky, stopped=stopped
    )


async def _no_commands(command: Command) -> CommandResult:
    raise AssertionError("no command expected")


@SOCKET_LEFT_TO_GC
async def test_a_box_with_a_minute_of_back_off_connects_when_the_line_returns(
    broker: MosquittoBroker, tmp_path: Path
) -> None:
    async with FaultProxy(broker.host, broker.port) as proxy:
        proxy.cut()
        settings = box_settings(broker, "box-p", tmp_path)
        mqtt = settings.mqtt.model_copy(
            update={
                "port": proxy.port,
                "reconnect_min_s": 60.0,
                "reconnect_max_s": 60.0,
                "probe_interval_s": 0.1,
                "probe_spread_s": 0.1,
            }
        )
        settings = settings.model_copy(update={"mqtt": mqtt})
        outbox = await AsyncOutbox.open(tmp_path / "box.db", "box-p")
        link = CloudLink(settings, outbox, _no_commands, connect_timeout_s=2)
        runner = asyncio.create_task(link.run())
        try:

            async def refused() -> bool:  # the first attempt met the cut line
                return link.last_error is not None

            await wait_until(refused)
            proxy.restore()
            async with asyncio.timeout(45):  # far below the minute of back-off
                await link.wait_connected()
            assert link.probe_wakeups == 1 and link.connects == 1
        finally:
            await link.stop()
            await runner
            await outbox.close()
            gc.collect()
