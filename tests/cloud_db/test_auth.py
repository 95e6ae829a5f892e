"""Staff log-in: argon2 verification, one error for every kind of wrong, rehash on log-in."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from cloud_helpers import Seeded
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.errors import Forbidden
from cloud_plane.db.tables_clinic import staff
from cloud_plane.services import authenticate, get_staff, list_doctors
from cloud_plane.services.actor import Role


async def test_login_and_failures(engine: AsyncEngine, seeded: Seeded) -> None:
    west = seeded.info.clinic("demo-west")
    doc = next(x for x in west.logins if x.username == "doctor1")
    async with engine.begin() as conn:
        actor = await authenticate(conn, west.nhi_code, "doctor1", doc.password)
        assert actor.roles == frozenset({Role.DOCTOR}) and actor.staff_id is not None
        me = await get_staff(conn, actor, actor.staff_id)
        assert me.username == "doctor1" and me.national_id and len(me.national_id) == 10
        assert "doctor1" in {d.username for d in await list_doctors(conn, actor)}
    east = seeded.info.clinic("demo-east")
    wrong = [
        (west.nhi_code, "doctor1", doc.password + "x"),
        (west.nhi_code, "nobody", doc.password),
        (east.nhi_code, "doctor1", doc.password),  # right user name, other clinic
        ("0000000000", "doctor1", doc.password),
    ]
    for code, user, password in wrong:
        with pytest.raises(Forbidden) as err:
            async with engine.begin() as conn:
                await authenticate(conn, code, user, password)
        assert err.value.message_key == "error.auth.invalid_credentials"


async def test_rehash_and_inactive(engine: AsyncEngine, seeded: Seeded) -> None:
    west = seeded.info.clinic("demo-west")
    login = next(x for x in west.logins if x.username == "doctor2")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(login.password)
    async with engine.begin() as conn:
        await conn.execute(
            update(staff).where(staff.c.username == "doctor2").values(password_hash=weak)
        )
        actor = await authenticate(conn, west.nhi_code, "doctor2", login.password)
        stored = (
            await conn.execute(select(staff.c.password_hash).where(staff.c.id == actor.staff_id))
        ).scalar_one()
    assert stored != weak and stored.startswith("$argon2id$")
    async with engine.begin() as conn:
        await conn.execute(update(staff).where(staff.c.id == actor.staff_id).values(active=False))
    try:
        with pytest.raises(Forbidden):
            async with engine.begin() as conn:
                await authenticate(conn, west.nhi_code, "doctor2", login.password)
    finally:
        async with engine.begin() as conn:
            await conn.execute(
                update(staff).where(staff.c.id == actor.staff_id).values(active=True)
            )


async def test_every_demo_login_works(engine: AsyncEngine, seeded: Seeded) -> None:
    """The printed demo passwords log in, with the roles the test actors assume (once: the
    log-in SQL is the same on both databases and argon2 is deliberately slow)."""
    if seeded.backend != "sqlite":
        pytest.skip("argon2-heavy; test_login_and_failures covers log-in on PostgreSQL")
    async with engine.begin() as conn:
        for clinic in seeded.info.clinics:
            for login in clinic.logins:
                actor = await authenticate(conn, clinic.nhi_code, login.username, login.password)
                assert actor == seeded.actors[f"{clinic.slug.split('-')[1]}.{login.username}"]
