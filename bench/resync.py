"""Resync after an 8-hour outage of a busy clinic: time from link return until the cloud holds
the whole backlog, and throughput, against the raw broker publish rate of the same messages.

Set-up (all real processes or real classes): our Mosquitto (TLS, client certificates), the
cloud database (a private PostgreSQL cluster by default, or SQLite) migrated and seeded with the
demo clinic, the cloud's real box inbox with the real event handlers (continuity's
``apply_record``) in this process, and a real box process (``bench.resync_box``: outbox + link)
that reaches the broker through a :class:`~devsim.netfault.FaultProxy` that is cut. The box
worked through the outage in continuity mode: the backlog is what its collector ships for
``--visits`` offline visits, two ``continuity.record`` events each (registered; finished with
``--lines / --visits`` drug orders, bill and its drug bag print job), made by
:mod:`bench.offline_visits` from a visit made through the real services. Then the line comes
back (the proxy restores) and the clock runs until every event is applied in the cloud;
reconnection (the box's back-off and reachability probe, production settings by default) and
drain are reported apart.

Baseline in the same run: the same payloads published QoS 1 by one MQTT client through the same
TLS broker to one subscriber, no database (what the wire alone costs).

Usage: ``python -m bench.resync [--visits 150] [--lines 600] [--prints 150] [--db pg|sqlite]
[--reconnect-max 30] [--probe-interval 1] [--window N] [--batch-max 64]`` (the last three
turn each resync lever off or down, to measure what each one gives).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.offline_visits import offline_records, template_visit
from bench.raw_mqtt import broker_settings, raw_publish_seconds
from bench.stats import report
from clinicbox.demo import DEMO_BOX, DEMO_TENANT
from clinicbox.runtime.mosquitto import MosquittoBroker
from clinicbox.runtime.pg_cluster import PrivateCluster
from clinicbox.runtime.postgres import create_database
from clinicbox_core.contracts import Event
from clinicbox_core.contracts.messages import EventBody
from clinicbox_core.nhi.card import NhiCardBasic
from clinicbox_core.nhi.id_number import check_digit
from clinicbox_core.settings_models import MqttSettings
from cloud_plane.box_events import BoxEventHandlers
from cloud_plane.boxlink import BoxInbox
from cloud_plane.db.engine import create_engine, upgrade_async
from cloud_plane.db.tables_boxlink import box_inbox
from cloud_plane.db.tables_clinic import orders, patients, print_jobs, visits
from cloud_plane.seed.demo import seed_demo
from cloud_plane.web.live import LiveHub
from devsim.netfault import FaultProxy
from edge_agent.link.cloud_link import DEFAULT_WINDOW

REPO = Path(__file__).resolve().parents[1]


def _card(n: int, prefix: str) -> NhiCardBasic:
    nine = f"{prefix}{n:07d}"
    return NhiCardBasic(
        card_no=f"{700000000000 + n:012d}",
        name=f"離線病人{n % 100:02d}",
        id_no=nine + check_digit(nine),
        birth_date=date(1950 + n % 60, 1 + n % 12, 1 + n % 28),
        sex="F" if n % 2 else "M",
        issue_date=date(2021, 3, 1),
    )


async def _plan(engine: AsyncEngine, visits: int, lines: int, prints: int) -> list[EventBody]:
    """The outage's events in the order the box's collector ships them: two continuity records
    per offline visit (registered, then finished with ``lines / visits`` drug orders and its
    drug bag print job)."""
    if prints != visits:
        raise SystemExit("--prints must equal --visits (one drug bag per offline visit)")
    registered, done = await template_visit(
        engine, DEMO_TENANT, DEMO_BOX, _card(0, "P2"), orders=lines // max(1, visits)
    )
    return list(offline_records(registered, done, [_card(n, "O2") for n in range(visits)]))


async def _baseline(broker: MosquittoBroker, payloads: list[str]) -> float:
    """Seconds for one client to publish ``payloads`` QoS 1 and one subscriber to get them all."""
    return await raw_publish_seconds(broker, payloads, topic="clinicbox/v1/bench-raw/box-raw/evt")


async def _until(predicate: Callable[[], bool]) -> None:
    while True:
        if predicate():
            return
        await asyncio.sleep(0.005)


def _start_box(
    broker: MosquittoBroker, base: Path, plan_file: Path, port: int, args: argparse.Namespace
) -> subprocess.Popen[str]:
    cert = broker.client_cert(DEMO_BOX)
    return subprocess.Popen(
        [
            sys.executable, "-m", "bench.resync_box",
            f"--box-id={DEMO_BOX}", f"--tenant={DEMO_TENANT}",
            f"--outbox={base / 'box' / 'outbox.db'}", f"--plan={plan_file}",
            f"--port={port}", f"--ca={broker.ca_file}",
            f"--cert={cert.cert}", f"--key={cert.key}",
            f"--reconnect-max={args.reconnect_max}",
            f"--probe-interval={args.probe_interval}", f"--window={args.window}",
        ],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


async def run(args: argparse.Namespace, base: Path) -> int:
    broker = MosquittoBroker(base / "mqtt")
    pg: PrivateCluster | None = None
    box: subprocess.Popen[str] | None = None
    try:
        broker.bind_box(DEMO_BOX, DEMO_TENANT)  # the ACL binds the box to its clinic
        broker.start()
        if args.db == "pg":
            pg = PrivateCluster(base / "pg")
            pg.start()
            url = create_database(pg.url, "clinic")
        else:
            url = f"sqlite+aiosqlite:///{base / 'cloud.db'}"
        await upgrade_async(url)
        engine = create_engine(url)
        await seed_demo(engine)
        plan = await _plan(engine, args.visits, args.lines, args.prints)
        plan_file = base / "plan.json"
        text = json.dumps([b.model_dump(mode="json") for b in plan])
        await asyncio.to_thread(plan_file.write_text, text)
        payloads = [
            Event(box_id=DEMO_BOX, seq=i + 1, body=b).model_dump_json() for i, b in enumerate(plan)
        ]
        raw_s = await _baseline(broker, payloads)

        handlers = BoxEventHandlers(LiveHub(), engine).table()
        inbox = BoxInbox(
            engine,
            broker_settings(broker, "cloud-1"),
            "cloud-1",
            handlers,
            batch_max=args.batch_max,
        )
        inbox_task = asyncio.create_task(inbox.run())
        await inbox.wait_connected()
        async with FaultProxy(broker.host, broker.port) as proxy:
            proxy.cut()  # the clinic's line is down
            box = _start_box(broker, base, plan_file, proxy.port, args)
            assert box.stdout is not None
            filled = json.loads(await asyncio.to_thread(box.stdout.readline))
            # An 8-hour outage: the box's back-off has reached its ceiling long ago.
            await asyncio.sleep(min(args.reconnect_max, 30.0) * 1.5)
            reported_before = inbox.stats["reported"]
            t0 = time.perf_counter()
            proxy.restore()
            await _until(lambda: inbox.stats["reported"] != reported_before)
            t_connected = time.perf_counter() - t0
            await _until(lambda: inbox.stats["applied"] >= len(plan))
            total_s = time.perf_counter() - t0
            done = json.loads(
                (await asyncio.to_thread(box.communicate))[0].strip().splitlines()[-1]
            )
        await inbox.stop()
        await inbox_task
        async with engine.connect() as conn:
            stored, distinct = (
                await conn.execute(
                    select(func.count(), func.count(func.distinct(box_inbox.c.seq))).where(
                        box_inbox.c.box_id == DEMO_BOX
                    )
                )
            ).one()
            offline = (
                select(visits.c.id)
                .join(patients, patients.c.id == visits.c.patient_id)
                .where(patients.c.national_id.like("O2%"), visits.c.abnormal_code == "A020")
            )
            made = (
                await conn.execute(select(func.count()).select_from(offline.subquery()))
            ).scalar_one()
            lines = (
                await conn.execute(
                    select(func.count()).where(
                        orders.c.visit_id.in_(offline), orders.c.kind == "drug"
                    )
                )
            ).scalar_one()
            printed = (
                await conn.execute(
                    select(func.count()).where(
                        print_jobs.c.visit_id.in_(offline), print_jobs.c.status == "done"
                    )
                )
            ).scalar_one()
        await engine.dispose()
        drain_s = total_s - t_connected
        n = len(plan)
        print(
            f"resync after an outage ({args.db}); backlog as continuity records "
            f"(load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} "
            "cores at the start)"
        )
        report(
            "backlog: continuity.record events (visits / order lines / print jobs)",
            f"{n} ({args.visits} / {args.lines} / {args.prints})",
        )
        report("backlog payload", f"{filled['payload_bytes'] / 1024:.0f} KiB")
        report(
            "link return → box connected (back-off)",
            f"{t_connected:.2f} s (reconnect max {args.reconnect_max} s, "
            f"probe every {args.probe_interval} s)",
        )
        report(
            "box connected → all applied in the cloud",
            f"{drain_s:.2f} s ({n / drain_s:.0f} events/s)",
        )
        report("link return → all in the cloud", f"{total_s:.2f} s (target < 10 s)")
        report(
            "baseline: raw QoS 1 publish→receive, same payloads",
            f"{raw_s:.2f} s ({n / raw_s:.0f} msgs/s)",
        )
        report("drain / raw broker", f"{drain_s / raw_s:.1f}x")
        report("all in the cloud / raw broker", f"{total_s / raw_s:.1f}x")
        report("settings", f"box window {args.window}, cloud run size {args.batch_max}")
        report(
            "check: events stored / distinct; visits / drug order lines / print jobs in the cloud",
            f"{stored} / {distinct}; {made} / {lines} / {printed}",
        )
        report(
            "box link",
            f"connects={done['connects']} resends={done['resends']} "
            f"probe_wakeups={done['probe_wakeups']}",
        )
        report("cloud inbox", " ".join(f"{k}={v}" for k, v in sorted(inbox.stats.items())))
        ok = (
            stored == distinct == n
            and made == args.visits
            and lines == args.lines // args.visits * args.visits
            and printed == args.prints
        )
        return 0 if ok else 1
    finally:
        if box is not None and box.poll() is None:
            box.kill()
        broker.kill()
        if pg is not None:
            pg.stop()
        shutil.rmtree(base, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.resync")
    p.add_argument("--visits", type=int, default=150)
    p.add_argument("--lines", type=int, default=600)
    p.add_argument("--prints", type=int, default=150)
    p.add_argument("--db", choices=["pg", "sqlite"], default="pg")
    p.add_argument("--reconnect-max", type=float, default=MqttSettings().reconnect_max_s)
    p.add_argument(
        "--probe-interval",
        type=float,
        default=MqttSettings().probe_interval_s,
        help="box reachability probe (0: off, the back-off alone)",
    )
    p.add_argument("--window", type=int, default=DEFAULT_WINDOW, help="box in-flight window")
    p.add_argument(
        "--batch-max", type=int, default=64, help="cloud inbox run size (1: one event per txn)"
    )
    args = p.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="clinicbox-resync-", dir="/tmp"))
    base.chmod(0o755)
    return asyncio.run(run(args, base))


if __name__ == "__main__":
    sys.exit(main())
