"""Monthly drug-price delta to N boxes: bytes and time per box, through the real broker.

Data: the 45,124 real NHI drug codes of /work/shared/data/drugs (115.07). The shared data has
codes but no prices and only one month, so prices and the monthly change are **simulated**:
each code gets a deterministic price; next month 3 % of codes change price from the 1st (the
old row is closed the day before, a new row starts on the 1st), 150 codes are added and 80 are
delisted (closed at the end of the month). That is the shape of an NHI monthly price file.

Measured path (what the fleet does): the cloud publishes a ``bundle.available`` command on each
box's ``cmd`` topic (QoS 1) through Mosquitto; each simulated box (its own MQTT connection)
fetches ``/fleet/bundles/drug_prices/2?have=1`` over HTTP from the cloud's real download handler
and verifies the Ed25519 signature. Time is from the first publish until every box has a
verified delta. Applying the delta to a box's SQLite store is timed separately on a few boxes
(each box does it on its own hardware, in parallel).

Baseline in the same run: a raw QoS 1 publish of the same delta bytes to every box's topic
through the same broker, until every box has received them.

Usage: ``python -m bench.bundle_delta [--boxes 200]``.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import hashlib
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import aiohttp
import aiomqtt
from aiohttp import web

from clinicbox.runtime.mosquitto import MosquittoBroker
from clinicbox.runtime.ports import free_port
from clinicbox_core.bundles import (
    BundleKind,
    BundleRow,
    SigningKey,
    TrustedKeys,
    decode,
    diff,
)
from clinicbox_core.bundles.codec import verify
from clinicbox_core.contracts import BundleAvailable, Command, parse_command
from cloud_plane.db.engine import create_engine, upgrade
from cloud_plane.fleet_updates.bundles import BundlePublisher
from cloud_plane.fleet_updates.downloads import install
from edge_agent.bundles import BundleStore

DRUGS = Path(__file__).resolve().parents[2] / "shared/data/drugs/nhi-drug-codes-1150701.csv"
MONTH_START = date(2026, 7, 1)
NEXT_MONTH = date(2026, 8, 1)


def _price(code: str, salt: str = "") -> str:
    n = int.from_bytes(hashlib.sha256((code + salt).encode()).digest()[:4], "big")
    return f"{(n % 200_000) / 100 + 0.5:.2f}"


def months() -> tuple[list[BundleRow], list[BundleRow]]:
    with DRUGS.open(encoding="utf-8") as fh:
        codes = sorted({r["drug_code"] for r in csv.DictReader(fh) if r["drug_code"]})
    july = [BundleRow(code=c, effective_from=MONTH_START, data={"price": _price(c)}) for c in codes]
    august: list[BundleRow] = []
    last_day = date(2026, 7, 31)
    for i, row in enumerate(july):
        h = int(hashlib.sha256(row.code.encode()).hexdigest()[:6], 16)
        if h % 100 < 3:  # 3 % change price from the 1st
            august.append(row.model_copy(update={"effective_to": last_day}))
            august.append(
                BundleRow(
                    code=row.code,
                    effective_from=NEXT_MONTH,
                    data={"price": _price(row.code, "aug")},
                )
            )
        elif i % 564 == 0:  # ~80 delisted at the end of the month
            august.append(row.model_copy(update={"effective_to": last_day}))
        else:
            august.append(row)
    for i in range(150):  # new codes from the 1st
        code = f"NB{i:08d}"
        august.append(BundleRow(code=code, effective_from=NEXT_MONTH, data={"price": _price(code)}))
    return july, august


class Box:
    def __init__(self, box_id: str) -> None:
        self.box_id = box_id
        self.topic = f"clinicbox/v1/bench/{box_id}/cmd"
        self.raw_topic = f"bench/raw/{box_id}"
        self.done: asyncio.Future[tuple[float, int, int]] = asyncio.Future()
        self.raw_done: asyncio.Future[float] = asyncio.Future()


async def run_box(
    box: Box,
    port: int,
    http: aiohttp.ClientSession,
    trusted: TrustedKeys,
    ready: asyncio.Event,
    counter: list[int],
    total: int,
) -> None:
    async with aiomqtt.Client("127.0.0.1", port, identifier=box.box_id) as client:
        await client.subscribe(box.topic, qos=1)
        await client.subscribe(box.raw_topic, qos=1)
        counter[0] += 1
        if counter[0] == total:
            ready.set()
        async for msg in client.messages:
            payload = msg.payload
            assert isinstance(payload, bytes)
            if msg.topic.matches(box.raw_topic):
                box.raw_done.set_result(time.perf_counter())
            else:
                body = parse_command(payload).body
                assert isinstance(body, BundleAvailable)
                async with http.get(body.url, params={"have": "1"}) as resp:
                    blob = await resp.read()
                # Signature check only: parsing and applying the rows is each box's own CPU
                # work, timed separately above (one process here plays every box).
                header = verify(blob, trusted)
                assert header.base_version == 1
                box.done.set_result((time.perf_counter(), len(payload), len(blob)))
            if box.done.done() and box.raw_done.done():
                return


async def main(n: int) -> None:
    july, august = months()
    key = SigningKey.generate()
    trusted = TrustedKeys([key.public_b64])
    with tempfile.TemporaryDirectory(prefix="bench-bundle-") as tmp:
        root = Path(tmp)
        url = f"sqlite+aiosqlite:///{root / 'cloud.db'}"
        upgrade(url)
        engine = create_engine(url)
        publisher = BundlePublisher(engine, key)
        v1 = await publisher.publish(BundleKind.DRUG_PRICES, july, by="bench")
        v2 = await publisher.publish(BundleKind.DRUG_PRICES, august, by="bench")
        full = await publisher.signed(BundleKind.DRUG_PRICES, v2, None)
        delta = await publisher.signed(BundleKind.DRUG_PRICES, v2, v1)

        # Cost on a box: verify + parse the delta, then apply it to a real store holding July.
        t = time.perf_counter()
        for _ in range(5):
            decode(delta, trusted)
        decode_s = (time.perf_counter() - t) / 5
        apply_s = []
        for i in range(3):
            store = BundleStore(root / f"box{i}.db")
            store.apply(*decode(await publisher.signed(BundleKind.DRUG_PRICES, v1, None), trusted))
            t = time.perf_counter()
            store.apply(*decode(delta, trusted))
            apply_s.append(time.perf_counter() - t)
            assert store.price(august[-1].code, NEXT_MONTH)
            store.close()

        app = web.Application()
        install(app, publisher)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        http_port = free_port()
        await web.TCPSite(runner, "127.0.0.1", http_port).start()
        broker = MosquittoBroker(root / "mqtt", tls=False)
        broker.start()
        boxes = [Box(f"bench-{i:05d}") for i in range(n)]
        ready = asyncio.Event()
        counter = [0]
        connector = aiohttp.TCPConnector(limit=64)
        try:
            async with aiohttp.ClientSession(connector=connector) as http:
                tasks = [
                    asyncio.create_task(run_box(b, broker.port, http, trusted, ready, counter, n))
                    for b in boxes
                ]
                await asyncio.wait_for(ready.wait(), 120)
                async with aiomqtt.Client(
                    "127.0.0.1", broker.port, identifier="bench-cloud"
                ) as cloud:
                    base = f"http://127.0.0.1:{http_port}/fleet/bundles/drug_prices/{v2}"
                    t0 = time.perf_counter()
                    for b in boxes:
                        cmd = Command(
                            body=BundleAvailable(kind=BundleKind.DRUG_PRICES, version=v2, url=base)
                        )
                        await cloud.publish(b.topic, cmd.model_dump_json(), qos=1)
                    results = await asyncio.gather(*(b.done for b in boxes))
                    t_fleet = max(r[0] for r in results) - t0
                    t1 = time.perf_counter()
                    for b in boxes:
                        await cloud.publish(b.raw_topic, delta, qos=1)
                    raw = await asyncio.gather(*(b.raw_done for b in boxes))
                    t_raw = max(raw) - t1
                await asyncio.gather(*tasks)
        finally:
            broker.stop()
            await runner.cleanup()
            await engine.dispose()

    per_box = [r[1] + r[2] for r in results]
    latencies = sorted(r[0] - t0 for r in results)
    d = diff(july, august)
    changed = len(d.upserts) + len(d.deletes)
    print(
        f"drug-price bundle: {len(july):,} rows (July) -> {len(august):,} rows (August, simulated)"
    )
    print(f"  rows upserted/closed in the delta: {changed:,}")
    print(f"  full bundle:  {len(full):>9,} bytes")
    print(f"  delta bundle: {len(delta):>9,} bytes  ({len(delta) / len(full):.1%} of full)")
    print(
        f"  per box on the wire (notice + delta body): {statistics.mean(per_box):,.0f} bytes"
        f"  (target < 50 KB: {'met' if max(per_box) < 50 * 1024 else 'NOT met'})"
    )
    print(
        f"  on a box: verify + parse {decode_s * 1000:.0f} ms,"
        f" apply to its SQLite store {statistics.mean(apply_s) * 1000:.0f} ms (mean of 3)"
    )
    print(f"fleet delivery to {n} boxes (notify over MQTT, fetch over HTTP, verify):")
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000
    print(f"  all boxes done in {t_fleet:.2f} s; per box p50 {p50:.0f} ms, p99 {p99:.0f} ms")
    print(f"  {n * statistics.mean(per_box) / t_fleet / 1e6:.1f} MB/s delivered")
    print(
        f"baseline (same run): raw QoS 1 publish of the {len(delta):,}-byte delta to {n} boxes:"
        f" {t_raw:.2f} s"
    )
    print(f"  ratio fleet / raw broker: {t_fleet / t_raw:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--boxes", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.boxes))
