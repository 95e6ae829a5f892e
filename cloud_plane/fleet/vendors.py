"""Vendor logins for the fleet console (argon2id, like clinic staff, but a separate table: a
clinic login never opens the console and a vendor login never opens a clinic's records)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import Forbidden
from cloud_plane.db.tables_fleet import vendor_users
from cloud_plane.services.auth import hash_password, verify_password
from cloud_plane.services.clock import utc_now


@dataclass(frozen=True, slots=True)
class Vendor:
    id: int
    username: str
    display_name: str

    @property
    def actor(self) -> str:
        """How the audit trail names this person."""
        return f"vendor:{self.username}"


async def add_vendor(
    conn: AsyncConnection, username: str, password: str, display_name: str = ""
) -> int:
    """Create or reset a vendor login; returns its id."""
    hashed = await asyncio.to_thread(hash_password, password)
    row = (
        await conn.execute(select(vendor_users.c.id).where(vendor_users.c.username == username))
    ).first()
    if row is not None:
        await conn.execute(
            update(vendor_users)
            .where(vendor_users.c.id == row.id)
            .values(password_hash=hashed, active=True)
        )
        return int(row.id)
    result = await conn.execute(
        insert(vendor_users).values(
            username=username,
            display_name=display_name or username,
            password_hash=hashed,
            active=True,
            created_at=utc_now(),
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def authenticate_vendor(conn: AsyncConnection, username: str, password: str) -> Vendor:
    row = (
        await conn.execute(select(vendor_users).where(vendor_users.c.username == username))
    ).first()
    ok = await verify_password(row.password_hash if row is not None else None, password)
    if row is None or not ok or not row.active:
        raise Forbidden("error.auth.invalid_credentials")
    return Vendor(row.id, row.username, row.display_name)


async def get_vendor(conn: AsyncConnection, vendor_id: int) -> Vendor | None:
    row = (await conn.execute(select(vendor_users).where(vendor_users.c.id == vendor_id))).first()
    if row is None or not row.active:
        return None
    return Vendor(row.id, row.username, row.display_name)
