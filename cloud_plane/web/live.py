"""Per-tenant in-process publish/subscribe for live page updates (the ``/events`` stream).

``publish()`` is the single entry point for every event, whether a web handler raised it after
its transaction committed or a bridge received it from another cloud process: a bridge calls
``publish(..., origin="mqtt")``, and an outbound bridge registers a tap with :meth:`add_tap` and
forwards only events whose ``origin`` is ``"local"`` (so nothing loops).

A subscriber that falls more than ``max_pending`` events behind is closed rather than allowed to
grow without bound; the browser's ``EventSource`` reconnects and the page reloads its state.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final

#: Event kinds the pages react to.
VISIT_CREATED: Final = "visit.created"
VISIT_UPDATED: Final = "visit.updated"
PRINT_UPDATED: Final = "print.updated"
BOX_STATUS: Final = "box.status"
QUEUE_CALLED: Final = "queue.called"  # 叫號: a doctor's session called a number
BOOKING_CHANGED: Final = "booking.changed"  # an online booking was made or cancelled
SCAN_READ: Final = "scan.read"  # a barcode scanned at a box (pharmacy: a prescription slip)
CARD_READ: Final = "card.read"  # an NHI card read at a pharmacy's box (fills the form)
_CLINIC_KINDS = {VISIT_CREATED, VISIT_UPDATED, PRINT_UPDATED, BOX_STATUS}
KINDS: Final = frozenset({*_CLINIC_KINDS, QUEUE_CALLED, BOOKING_CHANGED, SCAN_READ, CARD_READ})

LOCAL_ORIGIN: Final = "local"


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One event for one tenant. ``seq`` is unique within this hub (the SSE ``id:``)."""

    tenant_id: int
    kind: str
    data: Mapping[str, Any]
    seq: int
    origin: str = LOCAL_ORIGIN


_CLOSED: Final = object()


@dataclass(eq=False)
class Subscription:
    """An open subscription: async-iterate it for events; close it when done.

    It is registered when :meth:`LiveHub.subscribe` returns, so no event published after that
    call is missed, even before the first ``__anext__``.
    """

    hub: LiveHub
    tenant_id: int
    max_pending: int
    _queue: asyncio.Queue[LiveEvent | object] = field(default_factory=asyncio.Queue)
    closed: bool = False
    overflowed: bool = False

    def _offer(self, event: LiveEvent) -> None:
        if self.closed:
            return
        if self._queue.qsize() >= self.max_pending:
            self.overflowed = True
            self._end()
            return
        self._queue.put_nowait(event)

    def _end(self) -> None:
        if not self.closed:
            self.closed = True
            self.hub._forget(self)
            self._queue.put_nowait(_CLOSED)

    def close(self) -> None:
        """Stop receiving; a pending ``__anext__`` ends with ``StopAsyncIteration``."""
        self._end()

    async def next(self, within: float | None = None) -> LiveEvent | None:
        """The next event, or ``None`` after ``within`` seconds without one.

        Raises ``StopAsyncIteration`` once the subscription is closed and drained.
        """
        try:
            item = await asyncio.wait_for(self._queue.get(), within)
        except TimeoutError:
            return None
        if item is _CLOSED:
            self._queue.put_nowait(_CLOSED)  # later calls end too
            raise StopAsyncIteration
        assert isinstance(item, LiveEvent)
        return item

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> LiveEvent:
        event = await self.next()
        assert event is not None
        return event

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


Tap = Callable[[LiveEvent], None]


class LiveHub:
    """Fan-out of :class:`LiveEvent` to the subscribers of one tenant, in one process."""

    def __init__(self, *, max_pending: int = 1000) -> None:
        self._max_pending = max_pending
        self._subs: dict[int, set[Subscription]] = {}
        self._taps: list[Tap] = []
        self._seq = itertools.count(1)

    def publish(
        self,
        tenant_id: int,
        kind: str,
        data: Mapping[str, Any],
        *,
        origin: str = LOCAL_ORIGIN,
    ) -> LiveEvent:
        """Deliver an event to every current subscriber of ``tenant_id`` (never blocks)."""
        if kind not in KINDS:
            raise ValueError(f"unknown live event kind {kind!r}; known: {sorted(KINDS)}")
        event = LiveEvent(tenant_id, kind, dict(data), next(self._seq), origin)
        for sub in list(self._subs.get(tenant_id, ())):
            sub._offer(event)
        for tap in list(self._taps):
            tap(event)
        return event

    def subscribe(self, tenant_id: int) -> Subscription:
        """A new subscription to ``tenant_id``'s events, registered immediately."""
        sub = Subscription(self, tenant_id, self._max_pending)
        self._subs.setdefault(tenant_id, set()).add(sub)
        return sub

    def add_tap(self, tap: Tap) -> Callable[[], None]:
        """Call ``tap`` with every published event (all tenants); returns an unregister hook."""
        self._taps.append(tap)
        return lambda: self._taps.remove(tap)

    def subscriber_count(self, tenant_id: int) -> int:
        return len(self._subs.get(tenant_id, ()))

    def close_all(self) -> None:
        """End every subscription (server shutdown): open streams finish cleanly."""
        for subs in list(self._subs.values()):
            for sub in list(subs):
                sub.close()

    def _forget(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.tenant_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.tenant_id]
