"""Fixtures for the card tests: the real pcscd + vpcd slot and a running CardService.

pcscd is private to this test run (tests/conftest.py); the reusable part lives in
``devsim.vpcd_slot.card_slot()`` (any test directory can ``async with card_slot() as slot``),
these fixtures only wrap it. The slot is emptied on teardown even when a test fails.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from clinicbox_core.contracts.messages import CardInserted, CardRemoved
from devsim.vpcd_slot import VPCD_READER_SLOT0, VirtualCardSlot, card_slot
from edge_agent.card import CardReadError, CardService
from edge_agent.config import CardSettings

# Guards against hangs only; nothing asserts how fast anything is.
WAIT_SECONDS = 15.0


@pytest.fixture
async def slot() -> AsyncIterator[VirtualCardSlot]:
    async with card_slot() as empty_slot:
        yield empty_slot


@dataclass
class CardRecorder:
    """Collects what a CardService reports, in order."""

    service: CardService | None = None
    task: asyncio.Task[None] | None = None
    events: asyncio.Queue[CardInserted | CardRemoved] = field(default_factory=asyncio.Queue)
    errors: asyncio.Queue[CardReadError] = field(default_factory=asyncio.Queue)
    history: list[CardInserted | CardRemoved | CardReadError] = field(default_factory=list)

    async def on_event(self, event: CardInserted | CardRemoved) -> None:
        self.history.append(event)
        await self.events.put(event)

    async def on_error(self, error: CardReadError) -> None:
        self.history.append(error)
        await self.errors.put(error)

    async def next_event(self) -> CardInserted | CardRemoved:
        return await asyncio.wait_for(self.events.get(), WAIT_SECONDS)

    async def next_error(self) -> CardReadError:
        return await asyncio.wait_for(self.errors.get(), WAIT_SECONDS)

    readers_changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    readers: list[str] = field(default_factory=list)

    async def on_readers(self, readers: list[str]) -> None:
        async with self.readers_changed:
            self.readers = readers
            self.readers_changed.notify_all()

    async def wait_for_reader(self, reader: str) -> None:
        async with asyncio.timeout(WAIT_SECONDS), self.readers_changed:
            await self.readers_changed.wait_for(lambda: reader in self.readers)


StartService = Callable[[], Awaitable[CardRecorder]]


@pytest.fixture
async def start_card_service() -> AsyncIterator[StartService]:
    """Starts CardServices watching the first vpcd reader; all are stopped after the test."""
    running: list[CardRecorder] = []

    async def start() -> CardRecorder:
        recorder = CardRecorder()
        recorder.service = CardService(
            CardSettings(reader_filter=VPCD_READER_SLOT0),
            recorder.on_event,
            recorder.on_error,
            on_readers=recorder.on_readers,
        )
        recorder.task = asyncio.create_task(recorder.service.run())
        running.append(recorder)
        return recorder

    try:
        yield start
    finally:
        for recorder in running:
            assert recorder.service is not None and recorder.task is not None
            recorder.service.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(recorder.task, WAIT_SECONDS)


@pytest.fixture
async def card_events(slot: VirtualCardSlot, start_card_service: StartService) -> CardRecorder:
    """A CardService already watching the first vpcd reader (the slot is emptied after)."""
    recorder = await start_card_service()
    await recorder.wait_for_reader(VPCD_READER_SLOT0)
    return recorder
