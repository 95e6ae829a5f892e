"""Take a :class:`BundleAvailable` offer: fetch, verify, apply, remember why one was refused.

A bundle the box already holds (same version) is accepted as a no-op, so a re-announced offer
is idempotent; an older one is refused as outdated. The bytes' header must name the offered
kind and version: a server answering with another (signed, but older) bundle is refused too.
A delta against a version the box no longer holds is retried once as a full bundle.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from clinicbox_core.bundles import (
    BundleBaseMismatch,
    BundleOutdated,
    TrustedKeys,
    decode,
)
from clinicbox_core.contracts import BundleAvailable
from clinicbox_core.errors import ClinicboxError
from edge_agent.bundles.fetch import fetch_bundle
from edge_agent.bundles.store import BundleStore, StoredVersion

log = logging.getLogger(__name__)

Fetcher = Callable[[str, int | None], Awaitable[bytes]]


async def _default_fetch(url: str, have: int | None) -> bytes:
    return await fetch_bundle(url, have=have)


class BundleManager:
    def __init__(
        self, store: BundleStore, trusted: TrustedKeys, fetch: Fetcher = _default_fetch
    ) -> None:
        self.store = store
        self.trusted = trusted
        self._fetch = fetch
        self.refusals: dict[str, str] = {}
        self._lock = asyncio.Lock()

    def versions(self) -> dict[str, int]:
        return self.store.versions()

    async def offer(self, offer: BundleAvailable) -> StoredVersion:
        """Apply ``offer`` or raise the typed refusal (also kept in ``refusals``)."""
        async with self._lock:  # one apply at a time per box
            try:
                stored = await self._offer(offer)
            except ClinicboxError as exc:
                self.refusals[offer.kind.value] = exc.message_key
                log.warning("bundle %s v%d refused: %s", offer.kind, offer.version, exc)
                raise
            self.refusals.pop(offer.kind.value, None)
            return stored

    async def _offer(self, offer: BundleAvailable) -> StoredVersion:
        current = await asyncio.to_thread(self.store.version, offer.kind)
        if current is not None and offer.version == current.version:
            return current
        if current is not None and offer.version < current.version:
            raise BundleOutdated(
                kind=offer.kind.value, version=offer.version, current=current.version
            )
        have = current.version if current else None
        try:
            return await self._fetch_apply(offer, have)
        except BundleBaseMismatch:
            if have is None:
                raise
            log.info("bundle %s: delta did not fit v%s; fetching in full", offer.kind, have)
            return await self._fetch_apply(offer, None)

    async def _fetch_apply(self, offer: BundleAvailable, have: int | None) -> StoredVersion:
        blob = await self._fetch(offer.url, have)
        header, delta = await asyncio.to_thread(decode, blob, self.trusted)
        if header.kind != offer.kind or header.version != offer.version:
            raise BundleOutdated(
                kind=header.kind.value, version=header.version, current=offer.version
            )
        stored = await asyncio.to_thread(self.store.apply, header, delta)
        log.info(
            "bundle %s v%d applied (%s, %d bytes)",
            offer.kind,
            offer.version,
            "delta" if header.is_delta else "full",
            len(blob),
        )
        return stored
