"""Staged rollouts across real processes: cloud, Mosquitto, and three box daemons booted by
firmware_scripts/ab-run.sh from simulated A/B slots.

A deliberately broken version (it dies at start) stops at the canary: the canary's boot counter
rolls it back by itself, it reports the rollback, the cloud aborts the rollout and never sends
the version to the other boxes. A good version then reaches every box and is committed. A
drug-price bundle goes out as a delta and the boxes price by effective date.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fleet_updates_helpers import Fleet, db, software_artifact, wait_for
from sqlalchemy import select

from clinicbox_core.bundles import BundleKind, BundleRow
from cloud_plane.db.tables_fleet_updates import bundle_versions
from cloud_plane.fleet_updates.artifacts import add_artifact
from cloud_plane.fleet_updates.bundles import BundlePublisher
from cloud_plane.fleet_updates.rollouts import NewRollout, create_rollout
from edge_agent.bundles import BundleStore

BOXES = ["fleet-1", "fleet-2", "fleet-3"]
TENANT = "demo-west"


def _start(fleet: Fleet, new: NewRollout) -> int:
    async def go(engine: Any) -> int:
        return await create_rollout(engine, new, by="test-vendor")

    return db(fleet.stack, go)


def _finished(fleet: Fleet, rid: int) -> Any:
    r, _ = fleet.rollout(rid)
    return r if r.state in ("aborted", "done") else None


def test_broken_version_stops_at_the_canary_which_rolls_itself_back(fleet: Fleet) -> None:
    async def upload(engine: Any) -> None:
        await add_artifact(engine, fleet.key, "2.0.0", software_artifact("2.0.0", broken=True))

    db(fleet.stack, upload)
    wait_for("boxes online", lambda: all(fleet.reported(b) for b in BOXES), 60)
    rid = _start(
        fleet,
        NewRollout(
            target_type="software",
            target_version="2.0.0",
            previous_version="1.0.0",
            boxes=[(TENANT, b) for b in BOXES],
            canary_count=1,
            rate_per_minute=60,
            abort_failure_pct=50,
            min_executed=2,
        ),
    )
    r = wait_for("rollout to stop", lambda: _finished(fleet, rid))
    _, boxes = fleet.rollout(rid)
    assert r.state == "aborted" and r.reason == "canary_failed"
    assert boxes["fleet-1"].state == "failed"
    assert boxes["fleet-1"].error_code == "error.update.rolled_back"
    assert boxes["fleet-2"].state == boxes["fleet-3"].state == "pending"  # never sent
    status = fleet.layouts["fleet-1"].status()
    assert status["active"] == "a" and status["version"] == "1.0.0"
    assert status["last_result"] == "rolled_back" and status["trying_version"] == "2.0.0"
    for box in ("fleet-2", "fleet-3"):
        assert fleet.layouts[box].status()["trying_version"] == ""
    # The canary is back on 1.0.0 and online.
    rep = wait_for(
        "canary back online", lambda: (x := fleet.reported("fleet-1")) and x["online"] and x, 60
    )
    assert rep["software_version"] == "1.0.0"
    assert rep["update"]["status"] == "rolled_back"


def test_good_version_reaches_every_box_and_commits(fleet: Fleet) -> None:
    async def upload(engine: Any) -> None:
        await add_artifact(engine, fleet.key, "1.1.0", software_artifact("1.1.0"))

    db(fleet.stack, upload)
    rid = _start(
        fleet,
        NewRollout(
            target_type="software",
            target_version="1.1.0",
            previous_version="1.0.0",
            boxes=[(TENANT, b) for b in BOXES],
            canary_count=1,
            rate_per_minute=60,
            abort_failure_pct=50,
            min_executed=2,
        ),
    )
    r = wait_for("rollout to finish", lambda: _finished(fleet, rid), 150)
    _, boxes = fleet.rollout(rid)
    assert r.state == "done", (r.reason, {b: x.state for b, x in boxes.items()})
    assert {b.state for b in boxes.values()} == {"succeeded"}
    for box in BOXES:
        status = fleet.layouts[box].status()
        assert status["version"] == "1.1.0" and status["last_result"] == "committed"
        assert status["active"] == "b" and status["upgrade_available"] == "0"
        assert fleet.reported(box)["software_version"] == "1.1.0"  # type: ignore[index]


def _prices(code_price: dict[str, str], start: date) -> list[BundleRow]:
    return [
        BundleRow(code=c, effective_from=date(2026, 1, 1), effective_to=None, data={"price": p})
        for c, p in code_price.items()
    ]


def test_drug_price_bundle_goes_out_as_a_delta_and_prices_follow_dates(fleet: Fleet) -> None:
    january = _prices({f"A{i:09d}": f"{i}.50" for i in range(1, 400)}, date(2026, 1, 1))
    # February: A000000001 gets a new price from 2027-01-01 (the old row now ends the day
    # before), A000000002 is delisted, B000000001 is new.
    old = january[0].model_copy(update={"effective_to": date(2026, 12, 31)})
    new = BundleRow(code=old.code, effective_from=date(2027, 1, 1), data={"price": "0.75"})
    february = [old, new, *january[2:]]
    february.append(
        BundleRow(code="B000000001", effective_from=date(2026, 12, 1), data={"price": "9"})
    )

    async def publish(engine: Any, rows: list[BundleRow]) -> int:
        return await BundlePublisher(engine, fleet.key).publish(
            BundleKind.DRUG_PRICES, rows, by="test-vendor"
        )

    for rows in (january, february):
        version = db(fleet.stack, lambda e, rows=rows: publish(e, rows))  # type: ignore[misc]
        rid = _start(
            fleet,
            NewRollout(
                target_type="bundle",
                bundle_kind="drug_prices",
                target_version=str(version),
                boxes=[(TENANT, b) for b in BOXES],
                canary_count=1,
                abort_failure_pct=50,
                min_executed=2,
            ),
        )
        r = wait_for("bundle rollout", lambda rid=rid: _finished(fleet, rid), 60)  # type: ignore[misc]
        assert r.state == "done", r.reason
    for box in BOXES:
        store = BundleStore(fleet.layouts[box].data_dir / "bundles.db")
        try:
            assert store.versions() == {"drug_prices": version}
            assert store.version(BundleKind.DRUG_PRICES, "previous").version == version - 1  # type: ignore[union-attr]
            assert store.price("A000000001", date(2026, 12, 31)) == Decimal("1.50")
            assert store.price("A000000001", date(2027, 1, 1)) == Decimal("0.75")
            assert store.price("B000000001", date(2026, 12, 1)) == Decimal("9")
        finally:
            store.close()
        assert fleet.reported(box)["bundles"] == {"drug_prices": version}  # type: ignore[index]

    async def count(engine: Any) -> int:
        async with engine.connect() as conn:
            return len((await conn.execute(select(bundle_versions.c.id))).all())

    assert db(fleet.stack, count) == version
