"""Helpers of the NHI operations tests: the seeded clinic, the sandbox clock, a card visit made
through the services (check-in with the card service, consultation, bill)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from cloud_helpers import first_demo_drug
from pydantic import SecretStr
from sandbox_env import HOSP_A, Sandbox
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.nhi.card import NhiCardBasic
from clinicbox_core.nhi.ic_upload.deadline import TAIPEI
from cloud_plane.db.engine import create_engine, upgrade
from cloud_plane.db.tables_clinic import staff, tenants
from cloud_plane.nhiops.sequence import CardSequencer, check_in
from cloud_plane.nhiops.settings import NhiCloudSettings, NhiHospital
from cloud_plane.refdata.loaders import DEFAULT_DATA_DIR
from cloud_plane.seed.demo import seed_demo
from cloud_plane.services import billing, consultation, finish, orders
from cloud_plane.services.actor import Actor, Role

WEST, WEST_BOX = "demo-west", "box-demo-1"


@dataclass(frozen=True)
class Clinic:
    url: str
    tenant_id: int
    actors: dict[int, Actor]  # staff id → actor
    front: Actor


async def seed_clinic(url: str) -> Clinic:
    upgrade(url)
    engine = create_engine(url)
    try:
        await seed_demo(engine, DEFAULT_DATA_DIR)
        async with engine.connect() as conn:
            tid = (
                await conn.execute(select(tenants.c.id).where(tenants.c.slug == WEST))
            ).scalar_one()
            rows = (await conn.execute(select(staff).where(staff.c.tenant_id == tid))).all()
    finally:
        await engine.dispose()
    actors = {r.id: Actor(tid, r.id, frozenset(Role(x) for x in r.roles)) for r in rows}
    front = next(a for a in actors.values() if Role.FRONT_DESK in a.roles)
    return Clinic(url, tid, actors, front)


def nhi_settings(base_url: str, secret: str = HOSP_A[2]) -> NhiCloudSettings:
    return NhiCloudSettings(
        base_url=base_url,
        hospitals=(
            NhiHospital(nhi_code=HOSP_A[0], sam_id=HOSP_A[1], sam_secret=SecretStr(secret)),
        ),
    )


def sandbox_now(sbx: Sandbox) -> datetime:
    """The sandbox clock (Taiwan time, aware); it only moves forward."""
    return datetime.fromisoformat(sbx.get("/sandbox/v1/Health")["now"]).replace(tzinfo=TAIPEI)


def set_clock(sbx: Sandbox, target: datetime) -> datetime:
    """Move the sandbox clock forward to ``target`` (Taiwan local); the sandbox's new now (UTC)."""
    now = sandbox_now(sbx)
    seconds = int((target - now).total_seconds())
    if seconds >= 1:
        status, body = sbx.post("/sandbox/v1/Clock/Advance", {"seconds": seconds})
        assert status == 200, body
        now = datetime.fromisoformat(body["now"]).replace(tzinfo=TAIPEI)
    return now.astimezone(UTC)


def card_of(row: dict[str, Any]) -> NhiCardBasic:
    return NhiCardBasic(
        card_no=row["card_no"],
        name=row["name"],
        id_no=row["id_no"],
        birth_date=date.fromisoformat(row["birthday"]),
        sex=row["sex"],
        issue_date=date.fromisoformat(row["issue_date"]),
    )


async def card_visit(
    engine: AsyncEngine,
    clinic: Clinic,
    sequencer: CardSequencer | None,
    card: NhiCardBasic,
    now: datetime,
    *,
    drug_days: int = 3,
) -> int:
    """Check-in by card (the box path), diagnosis, one drug, finish, bill and settle."""
    async with engine.begin() as conn:
        visit = await check_in(conn, WEST, WEST_BOX, card, sequencer, now=now)
        doctor = clinic.actors[visit.doctor_id]
        await consultation.start_consultation(conn, doctor, visit.id)
        await consultation.add_diagnosis(conn, doctor, visit.id, "J02.9")
        await orders.add_drug_order(
            conn, doctor, visit.id, drug_code=await first_demo_drug(conn), dose=Decimal("1"),
            frequency="TID", route="PO", days=drug_days,
        )  # fmt: skip
        await finish.finish_consultation(conn, doctor, visit.id)
        bill = await billing.compute_bill(conn, clinic.front, visit.id)
        await billing.settle(conn, clinic.front, visit.id, bill.amount_due, now=now)
    return visit.id


def month_days(first: date) -> list[date]:
    """The weekdays (Mon–Sat) of ``first``'s month."""
    days, d = [], first
    while d.month == first.month:
        if d.weekday() < 6:
            days.append(d)
        d += timedelta(days=1)
    return days
