"""Publish bundle versions and serve them signed, as a delta against the box's version.

Each version is stored in full (``bundle_versions.rows``, zlib-compressed canonical JSON), so
any delta can be made from two stored versions. Signed bytes are cached per (kind, version,
base): a fleet asking for the same month's delta signs and compresses it once.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from datetime import UTC, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.bundles import (
    BundleDelta,
    BundleHeader,
    BundleKind,
    BundleRow,
    SigningKey,
    diff,
    digest,
    encode,
)
from clinicbox_core.errors import NotFound
from cloud_plane.db.tables_fleet_updates import bundle_versions

CACHE_SIZE = 64


def _pack(rows: list[BundleRow]) -> bytes:
    return zlib.compress(json.dumps([r.as_list() for r in rows]).encode(), 6)


def _unpack(blob: bytes) -> list[BundleRow]:
    return [
        BundleRow(code=r[0], effective_from=r[1], effective_to=r[2], data=r[3])
        for r in json.loads(zlib.decompress(blob))
    ]


def _diff(base: list[BundleRow], rows: list[BundleRow]) -> tuple[BundleDelta, str]:
    return diff(base, rows), digest(base)


class BundlePublisher:
    def __init__(self, engine: AsyncEngine, key: SigningKey) -> None:
        self.engine = engine
        self.key = key
        self._cache: dict[tuple[str, int, int | None], bytes] = {}
        self._building: dict[tuple[str, int, int | None], asyncio.Lock] = {}

    async def latest(self, kind: BundleKind) -> int:
        async with self.engine.connect() as conn:
            value = await conn.scalar(
                select(func.max(bundle_versions.c.version)).where(
                    bundle_versions.c.kind == kind.value
                )
            )
        return int(value or 0)

    async def publish(self, kind: BundleKind, rows: list[BundleRow], *, by: str) -> int:
        """Store ``rows`` as the next version of ``kind`` and return its number."""
        async with self.engine.begin() as conn:
            current = await conn.scalar(
                select(func.max(bundle_versions.c.version)).where(
                    bundle_versions.c.kind == kind.value
                )
            )
            version = int(current or 0) + 1
            await conn.execute(
                insert(bundle_versions).values(
                    kind=kind.value,
                    version=version,
                    digest=digest(rows),
                    row_count=len(rows),
                    rows=_pack(rows),
                    created_at=datetime.now(UTC),
                    created_by=by,
                )
            )
        return version

    async def rows(self, kind: BundleKind, version: int) -> list[BundleRow] | None:
        async with self.engine.connect() as conn:
            blob = await conn.scalar(
                select(bundle_versions.c.rows).where(
                    bundle_versions.c.kind == kind.value, bundle_versions.c.version == version
                )
            )
        return _unpack(blob) if blob is not None else None

    async def signed(self, kind: BundleKind, version: int, have: int | None) -> bytes:
        """Version ``version`` signed: a delta against ``have`` when the cloud still holds that
        version and it is older, else the full bundle."""
        cache_key = (kind.value, version, have)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        # Single flight: a fleet asking at once builds each (version, base) once.
        lock = self._building.setdefault(cache_key, asyncio.Lock())
        async with lock:
            cached = self._cache.get(cache_key)
            if cached is None:
                cached = await self._build(kind, version, have)
                if len(self._cache) >= CACHE_SIZE:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[cache_key] = cached
        self._building.pop(cache_key, None)
        return cached

    async def _build(self, kind: BundleKind, version: int, have: int | None) -> bytes:
        rows = await self.rows(kind, version)
        if rows is None:
            raise NotFound("error.fleet.bundle_not_found", kind=kind.value, version=version)
        base = await self.rows(kind, have) if have and have < version else None
        if base is None:
            delta, base_digest = BundleDelta(upserts=tuple(rows)), None
        else:
            delta, base_digest = await asyncio.to_thread(_diff, base, rows)
        header = BundleHeader(
            kind=kind,
            version=version,
            base_version=have if base is not None else None,
            base_digest=base_digest,
            target_digest=await asyncio.to_thread(digest, rows),
            row_count=len(rows),
            created_at=datetime.now(UTC),
            key_id=self.key.key_id,
        )
        return await asyncio.to_thread(encode, header, delta, self.key)
