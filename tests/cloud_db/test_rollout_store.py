"""Rollouts in the database (SQLite and PostgreSQL): create, pause/resume, box outcomes from
reported state, roll back (software: reverse rollout of the previous version; bundles: the old
rows republished as a newer version)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cloud_helpers import new_database
from sqlalchemy import select

from clinicbox_core.bundles import BundleKind, BundleRow, SigningKey, digest
from clinicbox_core.contracts import BoxReported, UpdateState
from clinicbox_core.errors import Conflict, NotFound, ValidationFailed
from cloud_plane.db.engine import create_engine, upgrade
from cloud_plane.db.tables_fleet_updates import rollout_boxes, rollouts
from cloud_plane.fleet_updates import rollouts as store
from cloud_plane.fleet_updates.artifacts import add_artifact
from cloud_plane.fleet_updates.bundles import BundlePublisher


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with new_database(str(request.param), tmp_path) as u:
        upgrade(u)
        yield u


def run(url: str, fn: Any) -> Any:
    async def go() -> Any:
        engine = create_engine(url)
        try:
            return await fn(engine)
        finally:
            await engine.dispose()

    return asyncio.run(go())


BOXES = [("demo-west", "b1"), ("demo-west", "b2")]


def test_software_rollout_lifecycle(url: str) -> None:
    async def scenario(engine: Any) -> None:
        with pytest.raises(NotFound):  # no such software yet
            await store.create_rollout(engine, store.NewRollout("software", "1.1.0", BOXES), by="v")
        key = SigningKey.generate()
        for version in ("1.0.0", "1.1.0"):
            await add_artifact(engine, key, version, f"slot {version}".encode())
        with pytest.raises(ValidationFailed):
            await store.create_rollout(
                engine, store.NewRollout("software", "1.1.0", BOXES, canary_count=3), by="v"
            )
        rid = await store.create_rollout(
            engine, store.NewRollout("software", "1.1.0", BOXES, previous_version="1.0.0"), by="v"
        )
        await store.pause(engine, rid)
        with pytest.raises(Conflict):
            await store.pause(engine, rid)
        await store.resume(engine, rid)
        assert await store.progress(engine, rid) == {"pending": 2}
        # Nothing happens for a box not yet sent; then trying and committed.
        rep = BoxReported(box_id="b1", online=True, software_version="1.1.0")
        assert await store.record_reported(engine, rep) == []
        async with engine.begin() as conn:
            await conn.execute(rollout_boxes.update().values(state="sent"))
        trying = UpdateState(status="trying", target_version="1.1.0", rollout_id=rid)
        rep = BoxReported(box_id="b1", online=True, software_version="1.0.0", update=trying)
        assert await store.record_reported(engine, rep) == [rid]
        done = UpdateState(status="committed", target_version="1.1.0", rollout_id=rid)
        rep = BoxReported(box_id="b1", online=True, software_version="1.1.0", update=done)
        await store.record_reported(engine, rep)
        back = UpdateState(status="rolled_back", target_version="1.1.0", rollout_id=rid)
        rep = BoxReported(box_id="b2", online=True, software_version="1.0.0", update=back)
        await store.record_reported(engine, rep)
        assert await store.progress(engine, rid) == {"succeeded": 1, "failed": 1}
        reverse = await store.roll_back(engine, rid, by="v")
        async with engine.connect() as conn:
            states = dict((await conn.execute(select(rollouts.c.id, rollouts.c.state))).all())
            target = await conn.scalar(
                select(rollouts.c.target_version).where(rollouts.c.id == reverse)
            )
        assert states[rid] == "rolled_back" and states[reverse] == "running"
        assert target == "1.0.0"
        assert await store.progress(engine, reverse) == {"pending": 2}
        with pytest.raises(Conflict):
            await store.roll_back(engine, rid, by="v")

    run(url, scenario)


def test_bundle_roll_back_republishes_the_old_rows(url: str) -> None:
    key = SigningKey.generate()
    old = [BundleRow(code="A1", effective_from=date(2026, 1, 1), data={"price": "1"})]
    new = [BundleRow(code="A1", effective_from=date(2026, 1, 1), data={"price": "2"})]

    async def scenario(engine: Any) -> None:
        pub = BundlePublisher(engine, key)
        v1 = await pub.publish(BundleKind.DRUG_PRICES, old, by="v")
        v2 = await pub.publish(BundleKind.DRUG_PRICES, new, by="v")
        rid = await store.create_rollout(
            engine,
            store.NewRollout(
                "bundle", str(v2), BOXES, bundle_kind="drug_prices", previous_version=str(v1)
            ),
            by="v",
        )
        async with engine.begin() as conn:
            await conn.execute(rollout_boxes.update().values(state="sent"))
        await store.record_reported(
            engine, BoxReported(box_id="b1", online=True, bundles={"drug_prices": v2})
        )
        await store.record_reported(
            engine,
            BoxReported(
                box_id="b2", online=True, bundle_refusals={"drug_prices": "error.bundle.outdated"}
            ),
        )
        assert await store.progress(engine, rid) == {"succeeded": 1, "failed": 1}
        reverse = await store.roll_back(engine, rid, by="v", publisher=pub)
        assert await pub.latest(BundleKind.DRUG_PRICES) == 3
        assert digest(await pub.rows(BundleKind.DRUG_PRICES, 3) or []) == digest(old)
        async with engine.connect() as conn:
            target = await conn.scalar(
                select(rollouts.c.target_version).where(rollouts.c.id == reverse)
            )
        assert target == "3"

    run(url, scenario)
