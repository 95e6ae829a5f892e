"""Is the cloud usable? An HTTP probe of the cloud's ``/healthz`` every few seconds.

``failures_to_switch`` failed probes in a row start continuity mode; one good probe ends it.
The kind of failure decides the outage (:class:`~clinicbox_core.nhi.continuity_codes.Outage`)
and so the 異常就醫代碼: an HTTP error or a refused connection means the cloud's host answers but
the HIS does not (HIS down); a timeout or an unreachable host means the line is down (network).
With no ``cloud_url`` configured only the MQTT link is watched (down = network).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
from collections.abc import Callable

import aiohttp

from clinicbox_core.nhi.continuity_codes import Outage
from edge_agent.config import ContinuitySettings

log = logging.getLogger(__name__)


class CloudHealth:
    def __init__(self, settings: ContinuitySettings, link_up: Callable[[], bool]) -> None:
        self.settings = settings
        self.link_up = link_up
        self.failures = 0
        self.outage: Outage | None = None
        self.cloud_ok = False  # last probe answered (can be True while still in continuity)
        self._listeners: list[asyncio.Event] = []

    def subscribe(self) -> asyncio.Event:
        """An event set whenever continuity mode starts or ends (the listener clears it)."""
        event = asyncio.Event()
        self._listeners.append(event)
        return event

    def _changed(self) -> None:
        for event in self._listeners:
            event.set()

    @property
    def continuity(self) -> bool:
        return self.outage is not None

    async def probe(self, session: aiohttp.ClientSession) -> Outage | None:
        url = self.settings.cloud_url
        if not url:
            return None if self.link_up() else Outage.NETWORK
        try:
            async with session.get(url.rstrip("/") + "/healthz") as response:
                return None if response.status == 200 else Outage.HIS_DOWN
        except aiohttp.ClientConnectorError as exc:
            refused = exc.os_error is not None and exc.os_error.errno == errno.ECONNREFUSED
            return Outage.HIS_DOWN if refused else Outage.NETWORK
        except (TimeoutError, aiohttp.ClientError):
            return Outage.NETWORK

    def record(self, outcome: Outage | None) -> None:
        self.cloud_ok = outcome is None
        if outcome is None:
            self.failures = 0
            if self.outage is not None:
                log.warning("cloud reachable again: leaving continuity mode")
                self.outage = None
                self._changed()
            return
        self.failures += 1
        if self.failures >= self.settings.failures_to_switch and self.outage != outcome:
            log.warning("cloud unusable (%s): continuity mode", outcome.value)
            self.outage = outcome
            self._changed()

    async def run(self, stop: asyncio.Event) -> None:
        timeout = aiohttp.ClientTimeout(total=self.settings.probe_timeout_s)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while not stop.is_set():
                self.record(await self.probe(session))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.probe_interval_s)
