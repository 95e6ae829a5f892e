"""Put a virtual card into pcscd's "Virtual PCD" reader, from asyncio.

vsmartcard's vpcd driver listens on a TCP port (35963 for the first slot); while a card's TCP
connection is open the reader reports a card present, and closing it is a removal. pcscd polls
the driver every 400 ms, so ``insert`` waits until vpcd has actually talked to the card (asked for
its ATR): after that the reader reports the card, and the caller knows the insertion is real.

:func:`inserted_card` is the reusable test/demo helper: it makes sure pcscd runs, inserts, and
removes the card again however the block ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator

from clinicbox.runtime.pcscd import ensure_pcscd, vpcd_port, wait_card_state
from clinicbox_core.errors import DeviceError
from devsim.vpcd_protocol import (
    CardPulled,
    Control,
    SocketOptions,
    VirtualCard,
    answer,
    frame,
    read_frame,
)

log = logging.getLogger(__name__)

# pcscd names the readers of vpcd's two slots (ports p and p+1; p = 35963 for the system pcscd's
# /etc/reader.conf.d/vpcd, CHANNELID 0x8C7B, or a private pcscd's port) like this.
VPCD_READER_SLOT0 = "Virtual PCD 00 00"
VPCD_READER_SLOT1 = "Virtual PCD 00 01"


def reader_for_port(port: int) -> str | None:
    """The reader name pcscd shows for a local vpcd slot port, if the port is one of ours."""
    first = vpcd_port()
    return {first: VPCD_READER_SLOT0, first + 1: VPCD_READER_SLOT1}.get(port)


# A removal is noticed at pcscd's next driver poll (every 400 ms); allow for a few.
REMOVAL_TIMEOUT = 3.0
POWER_UP_GRACE = 1.0  # seconds; pcscd powers a new card up within ~1 ms of seeing it


class VpcdUnavailable(DeviceError):
    """No vpcd reader driver accepted the card (pcscd down, or the slot already holds a card)."""

    default_key = "error.vpcd_unavailable"


class VirtualCardSlot:
    """One slot of the vpcd reader; holds at most one virtual card at a time."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        *,
        accept_timeout: float = 5.0,
        reader: str | None = None,
        quickack: bool = True,
    ) -> None:
        self.host = host
        self.port = vpcd_port() if port is None else port
        self.accept_timeout = accept_timeout
        self.reader = reader or (reader_for_port(self.port) if host == "127.0.0.1" else None)
        self.quickack = quickack  # off only to measure what it saves (devsim.nhi_card_latency)
        self._card: VirtualCard | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None
        self._seen = asyncio.Event()
        self._powered = asyncio.Event()
        self._lost_unseen = False  # vpcd hung up on the card; pcscd may not have noticed yet
        self._lock = asyncio.Lock()

    @property
    def card(self) -> VirtualCard | None:
        """The card in the slot, or ``None``; also ``None`` once vpcd hung up on it."""
        return self._card

    @property
    def inserted(self) -> bool:
        return self._card is not None

    async def insert(self, card: VirtualCard) -> None:
        """Insert ``card``; a no-op if it is already in. Another card is pulled out first.

        Returns once vpcd has polled the card and pcscd has powered it up, and (for vpcd's own
        ports on this machine) once PC/SC reports the card present.
        """
        async with self._lock:
            if self._card is card:
                return
            await self._remove_locked()
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), self.accept_timeout
                )
            except (OSError, TimeoutError) as exc:
                raise VpcdUnavailable(host=self.host, port=self.port, detail=str(exc)) from exc
            self._card, self._writer = card, writer
            self._seen, self._powered = asyncio.Event(), asyncio.Event()
            self._task = asyncio.create_task(self._serve(card, reader, writer))
            try:
                await asyncio.wait_for(self._seen.wait(), self.accept_timeout)
            except TimeoutError as exc:
                await self._remove_locked()
                raise VpcdUnavailable(
                    host=self.host,
                    port=self.port,
                    detail="vpcd never polled the card: is another card in this slot?",
                ) from exc
            # pcscd powers a new card up right after noticing it, then publishes the state.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._powered.wait(), POWER_UP_GRACE)
            if self.reader is not None and self._card is card:
                await asyncio.to_thread(wait_card_state, self.reader, True, POWER_UP_GRACE)
            if self._card is not card:
                raise VpcdUnavailable(
                    host=self.host, port=self.port, detail="vpcd hung up right away"
                )

    async def remove(self) -> None:
        """Pull the card out; returns once pcscd reports the reader empty (a no-op if empty)."""
        async with self._lock:
            await self._remove_locked()

    async def _remove_locked(self) -> None:
        task, writer = self._task, self._writer
        was_in = self._card is not None or self._lost_unseen
        self._card, self._task, self._writer = None, None, None
        self._lost_unseen = False
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        if was_in:
            await self._wait_reader_empty()

    async def _wait_reader_empty(self) -> None:
        """Return once pcscd shows the reader empty.

        vpcd only reports "no card" if one of pcscd's polls finds no connection at all; a new
        card connecting before that poll would swap the cards unseen (no removal event, and
        pcscd never powers the new card up). So a removal is complete only once PC/SC says so.
        """
        if self.reader is None:
            return
        seen = await asyncio.to_thread(wait_card_state, self.reader, False, REMOVAL_TIMEOUT)
        if not seen:
            log.warning("pcscd did not report %s empty after the card left", self.reader)

    async def _serve(
        self, card: VirtualCard, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        sock: SocketOptions | None = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not self.quickack:
            sock = None
        power_on_seen = False
        try:
            while True:
                message = await read_frame(reader, sock)
                self._seen.set()
                reply = answer(card, message)
                log.debug("vpcd → card %s, card → vpcd %s", message.hex(), reply and reply.hex())
                if reply is not None:
                    writer.write(frame(reply))
                    await writer.drain()
                if message == bytes([Control.POWER_ON]):
                    power_on_seen = True
                elif power_on_seen and message == bytes([Control.GET_ATR]):
                    self._powered.set()
        except CardPulled:
            log.info("virtual card pulled out in the middle of a command")
            self._lost(card, writer)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            log.warning("vpcd on port %d hung up on the virtual card: %r", self.port, exc)
            self._lost(card, writer)

    def _lost(self, card: VirtualCard, writer: asyncio.StreamWriter) -> None:
        writer.close()
        if self._card is card:
            self._card, self._task, self._writer = None, None, None
            self._lost_unseen = True
        self._seen.set()
        self._powered.set()

    async def __aenter__(self) -> VirtualCardSlot:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.remove()


@contextlib.asynccontextmanager
async def card_slot(
    host: str = "127.0.0.1", port: int | None = None
) -> AsyncIterator[VirtualCardSlot]:
    """Ensure pcscd runs and yield an empty slot; whatever card is in it is removed on exit.

    The reusable fixture body for any test directory: ``async with card_slot() as slot:``.
    """
    await asyncio.to_thread(ensure_pcscd)
    async with VirtualCardSlot(host, port) as slot:
        yield slot


@contextlib.asynccontextmanager
async def inserted_card(
    card: VirtualCard, host: str = "127.0.0.1", port: int | None = None
) -> AsyncIterator[VirtualCardSlot]:
    """Ensure pcscd runs, insert ``card`` and yield the slot; the card is removed on exit."""
    async with card_slot(host, port) as slot:
        await slot.insert(card)
        yield slot
