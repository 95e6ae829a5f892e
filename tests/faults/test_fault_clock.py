"""The box's clock jumps back an hour while it works (a dead RTC battery, an NTP correction).

The box process reads its wall clock through :mod:`edge_agent.clock`; half-way the test writes
``-3600`` into its ``clock_offset_file`` and the running box is an hour behind from its next
reading on; then the line is cut so the box reconnects. Events after the jump carry earlier
``occurred_at`` than events before it: the cloud must still apply every event once, in seq
order.

(libfaketime was tried first: it found that our certificates were valid only from five minutes
before issue, so a box stepped back an hour refused a fresh broker certificate; the Pki now
backdates two days, checked below. libfaketime itself was dropped: with a negative offset it
makes Python's ``time.sleep`` fail with EINVAL and slows the event loop, so the box under test
was no longer a faithful box.)
"""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from faults_helpers import (
    Counts,
    box_process,
    count,
    effect_handler,
    last_json_line,
    mqtt_settings,
    running,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox.runtime.mosquitto import MosquittoBroker
from clinicbox.runtime.pki import Pki
from cloud_plane.boxlink import BoxInbox
from cloud_plane.db.tables_boxlink import box_inbox
from devsim.netfault import FaultProxy

pytestmark = pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)


def test_certificates_accept_a_clock_an_hour_behind(tmp_path: Path) -> None:
    pki = Pki(tmp_path / "pki")
    pki.ensure_ca()
    pair = pki.ensure_client("box-ck")
    for path in (pki.ca.cert, pair.cert):
        cert = x509.load_pem_x509_certificate(path.read_bytes())
        assert cert.not_valid_before_utc <= datetime.now(UTC) - timedelta(hours=24)


async def test_box_clock_jumps_back_an_hour(
    broker: MosquittoBroker, engine: AsyncEngine, tmp_path: Path
) -> None:
    box, total, jump_at = "box-ck", 300, 120
    clock = tmp_path / "clock-offset"
    clock.write_text("0\n")
    inbox = BoxInbox(
        engine, mqtt_settings(broker, "cloud-1"), "cloud-1", {"card.removed": effect_handler}
    )
    async with FaultProxy(broker.host, broker.port) as proxy, running(inbox):
        await inbox.wait_connected()
        proc = box_process(
            broker,
            box,
            tmp_path / box / "outbox.db",
            total,
            pace_s=0.01,
            port=proxy.port,
            clock_file=clock,
        )
        assert proc.stdout is not None
        lines: list[str] = []
        while True:
            line = await asyncio.to_thread(proc.stdout.readline)
            assert line, "box process ended early"
            lines.append(line)
            if json.loads(line).get("seq", 0) >= jump_at:
                break
        clock.write_text("-3600\n")  # the box's wall clock steps back one hour
        await asyncio.sleep(0.3)
        proxy.cut()  # force a reconnect (TLS handshake) under the stepped clock
        await asyncio.sleep(0.5)
        proxy.restore()
        rest, _ = await asyncio.to_thread(proc.communicate)
        summary = last_json_line(rest)
    async with engine.connect() as conn:
        stamps = (
            await conn.execute(
                select(box_inbox.c.seq, box_inbox.c.occurred_at)
                .where(box_inbox.c.box_id == box)
                .order_by(box_inbox.c.seq)
            )
        ).all()
    backwards = sum(1 for a, b in itertools.pairwise(stamps) if b[1] < a[1])
    first: datetime = stamps[0][1]
    last: datetime = stamps[-1][1]
    counts = await count(engine, box, total)
    counts.report(
        "clock-back-1h",
        time_went_backwards_between_seqs=backwards,
        first_occurred=first.isoformat(timespec="seconds"),
        last_occurred=last.isoformat(timespec="seconds"),
        box_connects=summary["connects"],
    )
    assert proc.returncode == 0
    assert backwards >= 1 and last < first  # the clock really stepped back
    assert int(str(summary["connects"])) >= 2  # and the box reconnected under it
    assert counts == Counts(total, total, 0, 0, 0)
