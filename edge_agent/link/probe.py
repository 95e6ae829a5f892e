"""Notice quickly that the broker can be reached again, without waiting out the back-off.

After a long outage the box's reconnect back-off sits at its ceiling (``reconnect_max_s``,
30 s): without a probe the clinic's backlog would wait up to that long after the line returns.
While disconnected the box instead opens a bare TCP connection to the broker every
``probe_interval_s`` (jittered): no TLS, no MQTT, so the broker pays one accept and one close.
A line that is down fails the connect (or it is reset at once, as by a router or a proxy that
refuses); a reachable broker accepts and stays silent (an MQTT broker never speaks first), so a
connection still open after ``settle_s`` means "try now".

Fleet trade-off: when the broker itself comes back, every box's probe succeeds within one
interval. To keep thousands of boxes from connecting (TLS handshakes) in the same second, a
successful probe is followed by a uniform random wait in ``[0, probe_spread_s]``: the fleet's
reconnects spread over ``probe_interval_s + probe_spread_s`` instead of over the back-off's
30 s. A large fleet raises ``probe_spread_s`` (about fleet size / handshakes per second the
broker takes), or sets ``probe_interval_s = 0`` to turn probing off.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable

DEFAULT_SETTLE_S = 0.2
CONNECT_TIMEOUT_S = 2.0


async def broker_reachable(
    host: str,
    port: int,
    *,
    connect_timeout_s: float = CONNECT_TIMEOUT_S,
    settle_s: float = DEFAULT_SETTLE_S,
) -> bool:
    """Whether a TCP connection to ``host:port`` opens and stays open for ``settle_s``."""
    try:
        async with asyncio.timeout(connect_timeout_s):
            reader, writer = await asyncio.open_connection(host, port)
    except (OSError, TimeoutError):
        return False
    try:
        async with asyncio.timeout(settle_s):
            data = await reader.read(1)
        return data != b""  # closed at once: refused by whatever answered
    except TimeoutError:
        return True  # open and silent: the broker waits for our hello
    except OSError:
        return False  # reset
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def pause_or_reachable(
    delay_s: float,
    *,
    interval_s: float,
    spread_s: float,
    probe: Callable[[], Awaitable[bool]],
    stopped: asyncio.Event,
    rng: random.Random | None = None,
) -> bool:
    """Wait ``delay_s`` (the back-off), cut short when ``probe`` succeeds or ``stopped`` is set.

    Probes every ``interval_s`` (each wait jittered by ±50 %); after a success waits a random
    part of ``spread_s`` (never beyond ``delay_s``). ``True`` when a probe cut the wait short.
    ``interval_s == 0`` turns probing off (a plain back-off sleep).
    """
    rng = rng or random.Random()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + delay_s
    probing = interval_s > 0
    while not stopped.is_set():
        left = deadline - loop.time()
        if left <= 0:
            return False
        step = min(left, interval_s * rng.uniform(0.5, 1.5)) if probing else left
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(step):
                await stopped.wait()
        if stopped.is_set() or not probing or deadline - loop.time() <= 0:
            continue
        if await probe():
            spread = min(rng.uniform(0, spread_s), max(0.0, deadline - loop.time()))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(spread):
                    await stopped.wait()
            return True
    return False
