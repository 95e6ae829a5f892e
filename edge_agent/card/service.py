"""The box's card service: reader transitions in, ``CardInserted``/``CardRemoved`` out.

The monitor thread (edge_agent.card.monitor) posts transitions onto the event loop with
``call_soon_threadsafe``. Each reader gets one asyncio worker that handles its transitions in
order: an insertion reads the card in a worker thread (pyscard blocks), then reports
``CardInserted``; a removal reports ``CardRemoved``, but only after a ``CardInserted`` for that
reader, so consumers always see the pair. A card that cannot be read (not an NHI card, read
error, pulled out mid-read) is logged, goes to ``on_error`` if given, and produces no event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

from clinicbox_core.contracts.messages import CardInserted, CardRemoved
from edge_agent.card.errors import CardReadError, CardReadReason, PcscUnavailable
from edge_agent.card.monitor import ReaderMonitor, Transition
from edge_agent.card.reader import read_card
from edge_agent.config import CardSettings

log = logging.getLogger(__name__)

CardEvent = CardInserted | CardRemoved
OnEvent = Callable[[CardEvent], Awaitable[None]]
OnError = Callable[[CardReadError], Awaitable[None]]
OnReaders = Callable[[list[str]], Awaitable[None]]

MONITOR_JOIN_SECONDS = 15.0  # longer than the largest poll_timeout_ms (10 s)


class CardService:
    """Watches every reader (or those matching ``settings.reader_filter``) until :meth:`stop`."""

    def __init__(
        self,
        settings: CardSettings,
        on_event: OnEvent,
        on_error: OnError | None = None,
        *,
        on_readers: OnReaders | None = None,
    ) -> None:
        self.settings = settings
        self._on_event = on_event
        self._on_error = on_error
        self._on_readers = on_readers
        self._readers: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inbox: asyncio.Queue[Transition | None] | None = None
        self._workers: dict[str, tuple[asyncio.Queue[Transition], asyncio.Task[None]]] = {}
        self._stop_requested = False
        self._reader_notices: set[asyncio.Task[None]] = set()

    @property
    def readers(self) -> list[str]:
        """The readers currently watched (a copy)."""
        return list(self._readers)

    def stop(self) -> None:
        """Make :meth:`run` return; safe to call from any thread, before or during ``run``."""
        self._stop_requested = True
        loop, inbox = self._loop, self._inbox
        if loop is not None and inbox is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(inbox.put_nowait, None)

    async def run(self) -> None:
        """Watch the readers and report card events until :meth:`stop` (or cancellation)."""
        if self._loop is not None:
            raise RuntimeError("CardService.run() is already running")
        if self._stop_requested:
            return
        self._loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[Transition | None] = asyncio.Queue()
        self._inbox = inbox
        executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="card-read")
        monitor = ReaderMonitor(self.settings, self._post_from_thread, self._set_readers)
        monitor.start()
        try:
            while (transition := await inbox.get()) is not None:
                self._dispatch(transition, executor)
        finally:
            monitor.stop()
            await asyncio.to_thread(monitor.join, MONITOR_JOIN_SECONDS)
            workers = [task for _, task in self._workers.values()]
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            self._workers.clear()
            executor.shutdown(wait=False, cancel_futures=True)
            self._loop, self._inbox = None, None
            self._readers = []

    # ---- monitor thread → loop -----------------------------------------------------------

    def _post_from_thread(self, transition: Transition) -> None:
        loop, inbox = self._loop, self._inbox
        if loop is not None and inbox is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(inbox.put_nowait, transition)

    def _set_readers(self, readers: list[str]) -> None:
        self._readers = list(readers)
        loop = self._loop
        if self._on_readers is not None and loop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._readers_changed, list(readers))

    def _readers_changed(self, readers: list[str]) -> None:
        if self._on_readers is not None and self._loop is not None:
            task = asyncio.create_task(self._notify_readers(self._on_readers, readers))
            self._reader_notices.add(task)
            task.add_done_callback(self._reader_notices.discard)

    @staticmethod
    async def _notify_readers(on_readers: OnReaders, readers: list[str]) -> None:
        try:
            await on_readers(readers)
        except Exception:
            log.exception("card readers handler failed")

    # ---- loop side -----------------------------------------------------------------------

    def _dispatch(self, transition: Transition, executor: ThreadPoolExecutor) -> None:
        worker = self._workers.get(transition.reader)
        if worker is None or worker[1].done():
            queue: asyncio.Queue[Transition] = asyncio.Queue()
            task = asyncio.create_task(
                self._reader_worker(transition.reader, queue, executor),
                name=f"card-reader {transition.reader}",
            )
            worker = self._workers[transition.reader] = (queue, task)
        worker[0].put_nowait(transition)

    async def _reader_worker(
        self, reader: str, queue: asyncio.Queue[Transition], executor: ThreadPoolExecutor
    ) -> None:
        loop = asyncio.get_running_loop()
        reported = False
        while True:
            transition = await queue.get()
            if transition.kind == "removed":
                if reported:
                    reported = False
                    await self._emit(CardRemoved(reader=reader))
                continue
            try:
                card = await loop.run_in_executor(executor, read_card, reader)
            except PcscUnavailable as exc:
                await self._report(
                    CardReadError(CardReadReason.READ_FAILED, reader=reader, **exc.params)
                )
                continue
            except CardReadError as exc:
                await self._report(exc)
                continue
            if reported:  # a swap we saw only as "inserted": close the previous card first
                await self._emit(CardRemoved(reader=reader))
            reported = True
            await self._emit(CardInserted(reader=reader, card=card))

    async def _emit(self, event: CardEvent) -> None:
        try:
            await self._on_event(event)
        except Exception:
            log.exception("card event handler failed for %s", event.type)

    async def _report(self, error: CardReadError) -> None:
        log.warning("card in %s not read: %s", error.params.get("reader"), error)
        if self._on_error is None:
            return
        try:
            await self._on_error(error)
        except Exception:
            log.exception("card error handler failed")
