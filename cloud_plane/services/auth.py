"""Staff log-in (argon2id) and staff look-ups.

A failed log-in takes about as long whether the clinic, the user or the password was wrong: an
unknown user is verified against a fixed dummy hash.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import Forbidden, NotFound
from cloud_plane.db.tables_clinic import staff, tenants
from cloud_plane.services import mappers
from cloud_plane.services.actor import STAFF_ROLES, Actor, Role, require_role
from cloud_plane.services.models import Staff, Tenant

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("clinicbox-dummy-password")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (blocking, ~50 ms: call off the event loop in bulk)."""
    return _HASHER.hash(password)


def _verify(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(stored: str | None, password: str) -> bool:
    """Check ``password`` against ``stored`` (a dummy hash when None, so timing is the same)."""
    return await asyncio.to_thread(_verify, stored or _DUMMY_HASH, password) and stored is not None


async def authenticate(
    conn: AsyncConnection, institution_code: str, username: str, password: str
) -> Actor:
    """The actor for a correct log-in; ``Forbidden('error.auth.invalid_credentials')`` else."""
    stmt = (
        select(staff, tenants.c.id.label("tid"))
        .join(tenants, tenants.c.id == staff.c.tenant_id)
        .where(tenants.c.nhi_code == institution_code.strip(), staff.c.username == username)
    )
    row = (await conn.execute(stmt)).first()
    stored = row.password_hash if row is not None else _DUMMY_HASH
    ok = await asyncio.to_thread(_verify, stored, password)
    if row is None or not ok or not row.active:
        raise Forbidden("error.auth.invalid_credentials")
    if _HASHER.check_needs_rehash(row.password_hash):
        new_hash = await asyncio.to_thread(hash_password, password)
        await conn.execute(update(staff).where(staff.c.id == row.id).values(password_hash=new_hash))
    roles = frozenset(Role(r) for r in row.roles if r in {x.value for x in STAFF_ROLES})
    return Actor(tenant_id=row.tid, staff_id=row.id, roles=roles)


async def get_staff(conn: AsyncConnection, actor: Actor, staff_id: int) -> Staff:
    stmt = select(staff).where(staff.c.id == staff_id, staff.c.tenant_id == actor.tenant_id)
    row = (await conn.execute(stmt)).first()
    if row is None:
        raise NotFound("error.staff.not_found", id=staff_id)
    return mappers.staff(row)


async def list_doctors(conn: AsyncConnection, actor: Actor) -> list[Staff]:
    """Active doctors of the actor's clinic, by name."""
    require_role(actor, *STAFF_ROLES, Role.SYSTEM)
    stmt = (
        select(staff)
        .where(staff.c.tenant_id == actor.tenant_id, staff.c.active.is_(True))
        .order_by(staff.c.id)
    )
    rows = (await conn.execute(stmt)).all()
    return [mappers.staff(r) for r in rows if Role.DOCTOR.value in r.roles]


async def get_tenant(conn: AsyncConnection, actor: Actor) -> Tenant:
    row = (await conn.execute(select(tenants).where(tenants.c.id == actor.tenant_id))).one()
    return mappers.tenant(row)
