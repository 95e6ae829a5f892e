"""Software versions the cloud can roll out: bytes, SHA-256 and the Ed25519 signature."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.bundles import SigningKey
from clinicbox_core.errors import NotFound
from cloud_plane.db.tables_fleet_updates import software_artifacts


@dataclass(frozen=True, slots=True)
class ArtifactInfo:
    version: str
    sha256: str
    signature: str
    key_id: str


async def add_artifact(
    engine: AsyncEngine, key: SigningKey, version: str, data: bytes
) -> ArtifactInfo:
    info = ArtifactInfo(
        version=version,
        sha256=hashlib.sha256(data).hexdigest(),
        signature=base64.b64encode(key.sign(data)).decode(),
        key_id=key.key_id,
    )
    async with engine.begin() as conn:
        await conn.execute(
            insert(software_artifacts).values(
                version=version,
                sha256=info.sha256,
                signature=info.signature,
                key_id=info.key_id,
                data=data,
                created_at=datetime.now(UTC),
            )
        )
    return info


async def artifact_info(engine: AsyncEngine, version: str) -> ArtifactInfo:
    t = software_artifacts.c
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(t.version, t.sha256, t.signature, t.key_id).where(t.version == version)
            )
        ).first()
    if row is None:
        raise NotFound("error.fleet.software_not_found", version=version)
    return ArtifactInfo(row.version, row.sha256, row.signature, row.key_id)


async def artifact_bytes(engine: AsyncEngine, version: str) -> bytes:
    t = software_artifacts.c
    async with engine.connect() as conn:
        data = await conn.scalar(select(t.data).where(t.version == version))
    if data is None:
        raise NotFound("error.fleet.software_not_found", version=version)
    return bytes(data)
