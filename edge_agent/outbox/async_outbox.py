"""Asyncio facade of :class:`Outbox`: every call runs on one dedicated writer thread.

SQLite calls block (fsync on every commit), so they never run on the event loop. One thread owns
the handle, which also serialises writers the way datasette's single write connection does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from clinicbox_core.contracts import Event
from clinicbox_core.contracts.messages import EventBody
from edge_agent.clock import SYSTEM_CLOCK, WallClock
from edge_agent.outbox.disk import DEFAULT_LOW_FREE_BYTES, DiskGuard
from edge_agent.outbox.outbox import Outbox

T = TypeVar("T")


class AsyncOutbox:
    """Use ``await AsyncOutbox.open(path, box_id)``; ``await close()`` when done."""

    def __init__(self, outbox: Outbox, executor: ThreadPoolExecutor) -> None:
        self._outbox = outbox
        self._executor = executor

    @classmethod
    async def open(
        cls,
        path: Path,
        box_id: str,
        clock: WallClock = SYSTEM_CLOCK,
        low_free_bytes: int = DEFAULT_LOW_FREE_BYTES,
    ) -> AsyncOutbox:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-writer")
        loop = asyncio.get_running_loop()
        try:
            outbox = await loop.run_in_executor(
                executor, Outbox, path, box_id, clock, low_free_bytes
            )
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(outbox, executor)

    @property
    def disk(self) -> DiskGuard:
        """The disk state as of the last write (read without a round trip to the writer)."""
        return self._outbox.disk

    @property
    def box_id(self) -> str:
        return self._outbox.box_id

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def append(self, body: EventBody) -> Event:
        return await self._run(lambda: self._outbox.append(body))

    async def unacked(self, after_seq: int = 0, limit: int = 100) -> list[Event]:
        return await self._run(lambda: self._outbox.unacked(after_seq, limit))

    async def ack(self, upto_seq: int) -> int:
        return await self._run(lambda: self._outbox.ack(upto_seq))

    async def depth(self) -> int:
        return await self._run(self._outbox.depth)

    async def last_seq(self) -> int:
        return await self._run(self._outbox.last_seq)

    async def acked_seq(self) -> int:
        return await self._run(self._outbox.acked_seq)

    async def close(self) -> None:
        await self._run(self._outbox.close)
        self._executor.shutdown(wait=True)
