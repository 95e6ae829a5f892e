"""Watch every PC/SC reader for card insertions and removals, in a dedicated thread.

One blocking ``SCardGetStatusChange`` covers all readers plus the ``\\\\?PnP?\\Notification``
pseudo-reader, so readers plugged in later are picked up, and it returns as soon as pcscd
publishes a change (no polling on our side). Its timeout (``poll_timeout_ms``) only bounds how
long ``stop()`` can take when ``SCardCancel`` is not enough; pcscd's own 400 ms driver poll is
what bounds how fast a card is noticed.

pcscd counts card events per reader in the high 16 bits of the event state. A changed count
while the state stayed "present" means the card was swapped faster than we looked: that is
reported as a removal followed by an insertion, so no card goes unread.

Transitions are handed to ``post`` from this thread; the caller moves them to its event loop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from smartcard import scard

from edge_agent.card.reader import establish_context
from edge_agent.config import CardSettings

log = logging.getLogger(__name__)

PNP_NOTIFICATION = "\\\\?PnP?\\Notification"
RETRY_SECONDS = 1.0
_ABSENT_FLAGS = scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_IGNORE | scard.SCARD_STATE_UNAVAILABLE
_RESTART = (
    scard.SCARD_E_NO_SERVICE,
    scard.SCARD_E_SERVICE_STOPPED,
    scard.SCARD_E_INVALID_HANDLE,
)


@dataclass(frozen=True)
class Transition:
    """A card went into or out of ``reader``."""

    reader: str
    kind: Literal["inserted", "removed"]


def _present(event_state: int) -> bool:
    return bool(event_state & scard.SCARD_STATE_PRESENT) and not event_state & _ABSENT_FLAGS


def _event_count(event_state: int) -> int:
    return (event_state >> 16) & 0xFFFF


class ReaderMonitor:
    """Runs ``SCardGetStatusChange`` in a daemon thread until :meth:`stop`."""

    def __init__(
        self,
        settings: CardSettings,
        post: Callable[[Transition], None],
        on_readers: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.settings = settings
        self._post = post
        self._on_readers = on_readers
        self._stopping = threading.Event()
        self._context_lock = threading.Lock()
        self._context: int | None = None
        self._thread = threading.Thread(target=self._run, name="card-monitor", daemon=True)
        self._states: dict[str, int] = {}
        self._present: dict[str, bool] = {}
        self._readers: list[str] = []

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end; wakes a blocked ``SCardGetStatusChange`` at once."""
        self._stopping.set()
        with self._context_lock:
            if self._context is not None:
                scard.SCardCancel(self._context)

    def join(self, timeout: float | None = None) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    # ---- thread side -------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                context = establish_context()
            except Exception as exc:
                log.warning("no PC/SC service, retrying in %.0f s: %s", RETRY_SECONDS, exc)
                self._set_readers([])
                self._stopping.wait(RETRY_SECONDS)
                continue
            with self._context_lock:
                self._context = context
            try:
                self._watch(context)
            except Exception:
                log.exception("card monitor failed; restarting it")
                self._stopping.wait(RETRY_SECONDS)
            finally:
                with self._context_lock:
                    self._context = None
                scard.SCardReleaseContext(context)
                self._forget_all()

    def _watch(self, context: int) -> None:
        pnp_state = scard.SCARD_STATE_UNAWARE
        while not self._stopping.is_set():
            readers = self._list_readers(context)
            if readers is None:
                return
            self._set_readers(readers)
            states = [(PNP_NOTIFICATION, pnp_state)]
            states += [(r, self._states.get(r, scard.SCARD_STATE_UNAWARE)) for r in readers]
            hresult, changed = scard.SCardGetStatusChange(
                context, self.settings.poll_timeout_ms, states
            )
            if hresult in (scard.SCARD_E_TIMEOUT, scard.SCARD_E_CANCELLED):
                continue
            if hresult in _RESTART:
                log.warning("PC/SC service went away: %s", scard.SCardGetErrorMessage(hresult))
                return
            if hresult != scard.SCARD_S_SUCCESS:
                # e.g. a reader vanished between listing and waiting: list again
                log.debug("SCardGetStatusChange: %s", scard.SCardGetErrorMessage(hresult))
                self._stopping.wait(0.05)
                continue
            for name, event_state, _atr in changed:
                if name == PNP_NOTIFICATION:
                    pnp_state = event_state & ~scard.SCARD_STATE_CHANGED
                else:
                    self._update(name, event_state)

    def _list_readers(self, context: int) -> list[str] | None:
        hresult, readers = scard.SCardListReaders(context, [])
        if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
            readers = []
        elif hresult in _RESTART:
            return None
        elif hresult != scard.SCARD_S_SUCCESS:
            log.warning("SCardListReaders: %s", scard.SCardGetErrorMessage(hresult))
            readers = []
        wanted = self.settings.reader_filter
        return [str(r) for r in readers if wanted is None or wanted in r]

    def _update(self, reader: str, event_state: int) -> None:
        previous = self._states.get(reader)
        was_present = self._present.get(reader, False)
        is_present = _present(event_state)
        self._states[reader] = event_state & ~scard.SCARD_STATE_CHANGED
        self._present[reader] = is_present
        if was_present and is_present:
            if previous is not None and _event_count(previous) != _event_count(event_state):
                self._post(Transition(reader, "removed"))
                self._post(Transition(reader, "inserted"))
        elif was_present:
            self._post(Transition(reader, "removed"))
        elif is_present:
            self._post(Transition(reader, "inserted"))

    def _set_readers(self, readers: list[str]) -> None:
        for gone in set(self._states) - set(readers):
            if self._present.pop(gone, False):
                self._post(Transition(gone, "removed"))
            self._states.pop(gone, None)
        if readers != self._readers:
            self._readers = list(readers)
            log.info("card readers: %s", readers)
            if self._on_readers is not None:
                self._on_readers(list(readers))

    def _forget_all(self) -> None:
        """The PC/SC context is gone: every card we knew of counts as removed (unless stopping)."""
        for reader, present in self._present.items():
            if present and not self._stopping.is_set():
                self._post(Transition(reader, "removed"))
        self._present.clear()
        self._states.clear()
