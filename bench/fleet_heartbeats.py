"""Fleet heartbeats: N simulated boxes reporting their twin every 60 s to one real Mosquitto and
one real cloud process; what the cloud handles, what it costs, and the console's fleet list.

Set-up (all real processes): our Mosquitto with its generated TLS configuration (every box has
its own certificate and ACL entry, bound by hand as the fleet tests do, ``fleet=False``), a
private PostgreSQL cluster with a throwaway database migrated and seeded with the demo clinics
and vendor login, every box registered in ``fleet_boxes`` (so the console lists it), one
``clinicbox cloud`` process (the DemoStack's), and ``--workers`` processes of simulated boxes
(``bench.fleet_boxes``) publishing the real ``BoxReported`` message on connect and then every
``--interval`` seconds, spread evenly over the interval.

Figures, measured over ``--periods`` intervals once every box is connected and the cloud has
taken in the connect burst:

- heartbeats handled per second, counted in the cloud's database (``box_twin``: each box's
  reported version grows by one per handled report), against the rate the boxes offered;
- the cloud process's CPU seconds and RSS per 1,000 boxes (``/proc/<pid>``), the broker's RSS;
- the vendor console's fleet list (``GET /vendor`` logged in as the demo vendor): p50/p99;
- baseline in the same run: the broker's raw rate for the same payload (one cloud-identity
  client publishing QoS 1 to a topic the cloud does not subscribe to, one subscriber counting)
  while the N boxes are still connected.

Usage: ``python -m bench.fleet_heartbeats [--boxes 10000] [--workers 4] [--interval 60]
[--periods 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, insert, select

from bench.fleet_boxes import Box, box_id
from bench.raw_mqtt import raw_publish_seconds
from bench.stats import report, summary_ms
from clinicbox.demo import REPO_ROOT, VENDOR_LOGIN, DemoStack
from clinicbox.runtime.mosquitto import DEFAULT_CLOUD_IDENTITIES, MosquittoBroker
from clinicbox.runtime.pg_cluster import PrivateCluster
from clinicbox.runtime.postgres import create_database
from cloud_plane.db.engine import create_engine
from cloud_plane.db.tables_fleet import box_twin, fleet_boxes
from cloud_plane.fleet.const import BoxState
from cloud_plane.seed.demo import CLINICS
from cloud_plane.services.clock import utc_now

RAW_PUB, RAW_SUB = "bench-raw-pub", "bench-raw-sub"
RAW_TOPIC = "clinicbox/bench/raw"  # no cloud subscription matches it
CLK_TCK = os.sysconf("SC_CLK_TCK")
TARGET_BOXES, TARGET_RSS_MB = 10_000, 1024


# ---- /proc -------------------------------------------------------------------------------------


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def rss_mb(pid: int, key: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def pg_cpu_s(data: Path) -> float:
    """CPU seconds of the PostgreSQL server and its live backends (children of the postmaster)."""
    master = int((data / "postmaster.pid").read_text().split()[0])
    total = cpu_s(master)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
    return total


# ---- set-up ------------------------------------------------------------------------------------


def raise_fd_limit() -> int:
    """Children (broker, workers) inherit the soft limit; take the hard one."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


async def register_boxes(url: str, boxes: dict[str, str]) -> None:
    """The vendor assigned every serial to its clinic (one bulk insert, like N console posts)."""
    engine = create_engine(url)
    now = utc_now()
    rows = [
        {
            "box_id": b,
            "tenant_slug": t,
            "state": BoxState.ASSIGNED.value,
            "assigned_at": now,
            "assigned_by": "vendor:bench",
        }
        for b, t in boxes.items()
    ]
    try:
        async with engine.begin() as conn:
            for i in range(0, len(rows), 2000):
                await conn.execute(insert(fleet_boxes), rows[i : i + 2000])
    finally:
        await engine.dispose()


@dataclass
class Fleet:
    stack: DemoStack
    broker: MosquittoBroker
    url: str
    boxes: int
    pg_data: Path
    status_files: list[Path] = field(default_factory=list)
    idle_rss_mb: float = 0.0  # the cloud process before any box connected

    @property
    def cloud_pid(self) -> int:
        return self.stack.group.procs["cloud"].popen.pid

    def senders(self) -> dict[str, Any]:
        total: dict[str, Any] = {
            "connected": 0,
            "published": 0,
            "failed": {},
            "dropped": {},
            "connect_s": 0.0,
        }
        for path in self.status_files:
            try:
                st = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            total["connected"] += st["connected"]
            total["published"] += st["published"]
            total["connect_s"] = max(total["connect_s"], st["connect_s"])
            for key in ("failed", "dropped"):
                for reason, n in st[key].items():
                    total[key][reason] = total[key].get(reason, 0) + n
        return total


def start(args: argparse.Namespace, base: Path) -> tuple[Fleet, PrivateCluster]:
    tenants = [str(c[0]) for c in CLINICS]
    pg = PrivateCluster(base / "pg")
    pg.start()
    url = create_database(pg.url, "fleet")
    stack = DemoStack(base / "stack")
    broker = MosquittoBroker(
        stack.workdir / "mqtt", cloud_identities=(*DEFAULT_CLOUD_IDENTITIES, RAW_PUB, RAW_SUB)
    )
    broker.box_tenants = {box_id(i): tenants[i % len(tenants)] for i in range(args.boxes)}
    broker.start()
    stack.broker = broker
    stack.prepare_database(url)
    asyncio.run(register_boxes(url, broker.box_tenants))
    stack.start_cloud(database_url=url, fleet=False)
    fleet = Fleet(stack, broker, url, args.boxes, pg.data)
    time.sleep(2.0)
    fleet.idle_rss_mb = rss_mb(fleet.cloud_pid)
    epoch = time.time() + 2.0
    per = -(-args.boxes // args.workers)
    for w in range(args.workers):
        first, count = w * per, min(per, args.boxes - w * per)
        if count <= 0:
            break
        status = base / f"boxes-{w}.json"
        fleet.status_files.append(status)
        stack.group.start(
            f"boxes-{w}",
            [
                sys.executable, "-m", "bench.fleet_boxes",
                f"--port={broker.port}", f"--ca={broker.ca_file}",
                f"--pki-dir={broker.pki.directory}", f"--tenants={','.join(tenants)}",
                f"--first={first}", f"--count={count}", f"--total={args.boxes}",
                f"--interval={args.interval}", f"--epoch={epoch}", f"--status={status}",
            ],
            cwd=REPO_ROOT,
        )  # fmt: skip
    return fleet, pg


# ---- measuring ---------------------------------------------------------------------------------


async def handled(engine: Any) -> tuple[int, int]:
    """(boxes with a twin, heartbeats handled): each report handled bumps the stored version by
    one; the last will (version 1, written at connect time) is not a heartbeat."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(func.count(), func.coalesce(func.sum(box_twin.c.reported_version), 0))
            )
        ).one()
    return int(row[0]), int(row[1]) - int(row[0])


async def fleet_list_latency(base_url: str, samples: int, spacing_s: float) -> list[float]:
    """Seconds per ``GET /vendor`` (whole fleet list) as the logged-in demo vendor."""
    times: list[float] = []
    jar = aiohttp.CookieJar(unsafe=True)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as http:
        async with http.get(f"{base_url}/vendor/login") as reply:
            page = await reply.text()
        token = re.search(r'name="csrf-token" content="([^"]+)"', page)
        form = {"username": VENDOR_LOGIN[0], "password": VENDOR_LOGIN[1]}
        form["_csrf"] = token.group(1) if token else ""
        async with http.post(f"{base_url}/vendor/login", data=form) as reply:
            if not str(reply.url).rstrip("/").endswith("/vendor"):
                raise RuntimeError(f"vendor login failed: {reply.url}")
        for _ in range(samples):
            t0 = time.perf_counter()
            async with http.get(f"{base_url}/vendor") as reply:
                reply.raise_for_status()
                body = await reply.read()
            times.append(time.perf_counter() - t0)
            if b"fb-00000" not in body:
                raise RuntimeError("the fleet list does not show the simulated boxes")
            await asyncio.sleep(spacing_s)
    return times


def progress(fleet: Fleet, twins: int, beats: int, t0: float) -> None:
    s = fleet.senders()
    print(
        f"  t={time.monotonic() - t0:6.0f}s connected={s['connected']:,}"
        f" failed={sum(s['failed'].values()):,} dropped={sum(s['dropped'].values()):,}"
        f" sent={s['published']:,} cloud twins={twins:,} handled={beats:,}"
        f" cloud rss={rss_mb(fleet.cloud_pid):.0f}MB broker fds={fds(fleet.broker.pid or 0):,}",
        flush=True,
    )


async def settle(fleet: Fleet, engine: Any, limit_s: float) -> tuple[float, bool]:
    """Wait until every box connected (or failed) and the cloud took in the connect burst."""
    t0 = time.monotonic()
    last = 0.0
    while True:
        s = fleet.senders()
        twins, beats = await handled(engine)
        done = s["connected"] + sum(s["failed"].values()) >= fleet.boxes
        if time.monotonic() - last > 10:
            progress(fleet, twins, beats, t0)
            last = time.monotonic()
        if done and twins >= s["connected"] and beats >= s["connected"]:
            return time.monotonic() - t0, True
        if time.monotonic() - t0 > limit_s:
            print(f"  not settled after {limit_s:.0f} s; measuring anyway", flush=True)
            return time.monotonic() - t0, False
        await asyncio.sleep(2.0)


async def measure(args: argparse.Namespace, fleet: Fleet) -> int:
    engine = create_engine(fleet.url)
    pid, bpid = fleet.cloud_pid, fleet.broker.pid or 0
    try:
        settle_s, settled = await settle(fleet, engine, args.settle_limit)
        s0 = fleet.senders()
        connected = s0["connected"]
        report(
            "boxes connected (all workers done in)",
            f"{connected:,} of {fleet.boxes:,} ({s0['connect_s']:.0f} s)",
        )
        burst = f"{settle_s:.0f} s" if settled else f"not within {settle_s:.0f} s"
        report("connect burst taken in by the cloud", burst)
        for reason, n in {**s0["failed"], **s0["dropped"]}.items():
            report("  box connections lost", f"{n:,}: {reason}")
        window = args.periods * args.interval
        t0, c0, (_, h0), sent0 = time.monotonic(), cpu_s(pid), await handled(engine), s0
        b0, d0 = cpu_s(bpid), pg_cpu_s(fleet.pg_data)
        lister = asyncio.create_task(
            fleet_list_latency(fleet.stack.url, args.list_samples, window / args.list_samples)
        )
        peak_cloud = peak_broker = 0.0
        while time.monotonic() - t0 < window:
            peak_cloud = max(peak_cloud, rss_mb(pid))
            peak_broker = max(peak_broker, rss_mb(bpid))
            await asyncio.sleep(5.0)
        b1, d1 = cpu_s(bpid), pg_cpu_s(fleet.pg_data)
        t1, c1, (twins, h1), sent1 = (
            time.monotonic(),
            cpu_s(pid),
            await handled(engine),
            fleet.senders(),
        )
        lat = await lister
        elapsed = t1 - t0
        rate = (h1 - h0) / elapsed
        offered = (sent1["published"] - sent0["published"]) / elapsed
        per_k = max(connected, 1) / 1000
        cpu = (c1 - c0) / elapsed
        rss = rss_mb(pid)
        report("heartbeat interval / window", f"{args.interval:.0f} s / {elapsed:.0f} s")
        report("heartbeats offered by the boxes /s", f"{offered:8.1f}")
        report(
            "heartbeats handled by the cloud /s (DB)",
            f"{rate:8.1f}  ratio {rate / max(offered, 1e-9):.2f}",
        )
        backlog = max(0, sent1["published"] - h1)
        report("backlog at the end (sent - handled, ±1 s)", f"{backlog:,}")
        report("cloud CPU (s per s; per 1,000 boxes)", f"{cpu:.2f}; {cpu / per_k:.3f}")
        report("cloud CPU ms per heartbeat", f"{1000 * (c1 - c0) / max(h1 - h0, 1):.2f}")
        report("cloud RSS now / peak (MB)", f"{rss:.0f} / {max(peak_cloud, rss):.0f}")
        grow = (rss - fleet.idle_rss_mb) / per_k
        report("cloud RSS idle, before any box (MB)", f"{fleet.idle_rss_mb:.0f}")
        report("cloud RSS per 1,000 boxes above idle (MB)", f"{grow:.1f}")
        report(
            "cloud RSS at 10,000 boxes, linear (MB)",
            f"{fleet.idle_rss_mb + grow * 10:.0f}  target < {TARGET_RSS_MB}",
        )
        report("broker RSS now / peak (MB)", f"{rss_mb(bpid):.0f} / {peak_broker:.0f}")
        beats = max(h1 - h0, 1)
        report("broker CPU ms per heartbeat (window)", f"{1000 * (b1 - b0) / beats:.2f}")
        report("PostgreSQL CPU ms per heartbeat (window)", f"{1000 * (d1 - d0) / beats:.2f}")
        report("fleet list GET /vendor", f"{summary_ms(lat)} ({twins:,} twins)")
        payload = Box(0, str(CLINICS[0][0])).reported(online=True)
        n_raw = args.raw
        raw_s = await raw_publish_seconds(
            fleet.broker, [payload] * n_raw, topic=RAW_TOPIC, subscriber=RAW_SUB, publisher=RAW_PUB
        )
        report(
            "baseline: raw broker msg/s, same payload",
            f"{n_raw / raw_s:8.1f}  ({n_raw:,} QoS 1, {len(payload)} B, boxes connected)",
        )
        report("cloud handled / raw broker rate", f"{rate / (n_raw / raw_s):.3f}")
        if rate < 0.95 * offered:
            print("  the cloud did not keep up with the offered heartbeats", flush=True)
    finally:
        await engine.dispose()
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--boxes", type=int, default=TARGET_BOXES)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--interval", type=float, default=60.0, help="heartbeat_s of every box")
    p.add_argument("--periods", type=int, default=3, help="intervals in the measured window")
    p.add_argument("--list-samples", type=int, default=9)
    p.add_argument("--raw", type=int, default=20_000, help="messages in the raw baseline")
    p.add_argument("--settle-limit", type=float, default=600.0)
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    args = p.parse_args(argv)
    limit = raise_fd_limit()
    base = Path(tempfile.mkdtemp(prefix="clinicbox-fleetbench-", dir="/tmp"))
    base.chmod(0o755)  # the postgres user enters it (PrivateCluster)
    print(f"load average {os.getloadavg()}, fd limit {limit:,}, work dir {base}", flush=True)
    fleet: Fleet | None = None
    pg: PrivateCluster | None = None
    try:
        fleet, pg = start(args, base)
        return asyncio.run(measure(args, fleet))
    finally:
        if fleet is not None:
            fleet.stack.group.stop_all()
            fleet.broker.stop()
        if pg is not None:
            pg.stop()
        print(f"load average {os.getloadavg()}", flush=True)
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
