"""The box's data disk nearly full: the box's data directory is a small tmpfs (a real
filesystem with a size limit, mounted by the test as root) that something else has almost
filled. The outbox refuses non-essential events first, keeps writing the clinical ones until
SQLite cannot write, never leaves a half-written or corrupt outbox, reports the state to the
cloud, and everything it accepted reaches the cloud exactly once after space is freed."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from faults_helpers import Counts, box_settings, count, effect_handler, mqtt_settings, running
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox.runtime.mosquitto import MosquittoBroker
from clinicbox_core.contracts import CardInserted, CardRemoved, Command, CommandResult
from clinicbox_core.nhi.card import NhiCardBasic
from cloud_plane.boxlink import BoxInbox
from cloud_plane.db.tables_boxlink import box_status
from edge_agent.link import CloudLink
from edge_agent.outbox import AsyncOutbox, DiskFull, DiskNearlyFull, DiskState, Outbox

pytestmark = pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)
DISK_BYTES = 4 * 1024 * 1024
LOW_BYTES = 1024 * 1024


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "boxdisk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a size-limited tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mount)],
        capture_output=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount tmpfs here: {done.stderr.decode(errors='replace')}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _card(n: int) -> CardInserted:
    card = NhiCardBasic(
        card_no=f"{800000000000 + n:012d}",
        name="滿碟測試",
        id_no="A123456789",
        birth_date=date(1970, 1, 1),
        sex="F",
        issue_date=date(2020, 1, 1),
    )
    return CardInserted(reader="r" * 200, card=card)


def _fill(disk: Path, leave: int) -> Path:
    """Something else (logs, previews) fills the disk until ``leave`` bytes are free."""
    filler = disk / "filler.bin"
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    with filler.open("wb") as fh:
        fh.write(b"\0" * max(0, free - leave))
    return filler


async def _no_commands(command: Command) -> CommandResult:
    raise AssertionError(f"unexpected command {command}")


async def test_disk_nearly_full_keeps_the_clinics_data(
    small_disk: Path, broker: MosquittoBroker, engine: AsyncEngine
) -> None:
    box = "box-df"
    path = small_disk / "outbox.db"
    outbox = Outbox(path, box, low_free_bytes=LOW_BYTES)
    for i in range(20):
        outbox.append(_card(i))
    filler = _fill(small_disk, LOW_BYTES + 256 * 1024)
    accepted: list[int] = list(range(1, 21))
    refused_nonessential = 0
    full_errors = 0
    states: list[DiskState] = []
    n = 20
    # The clinic goes on: a card in and out per patient, until the disk is really full.
    while full_errors < 3:
        try:
            accepted.append(outbox.append(_card(n)).seq)
        except DiskFull:
            full_errors += 1
        try:
            accepted.append(outbox.append(CardRemoved(reader="r" * 200)).seq)
        except DiskNearlyFull:
            refused_nonessential += 1
        except DiskFull:
            full_errors += 1
        states.append(outbox.disk.state)
        n += 1
        assert n < 100_000
    assert DiskState.LOW in states and states[-1] is DiskState.FULL
    outbox.close()

    # Never corrupt, nothing accepted lost, nothing half-written.
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = [r[0] for r in conn.execute("SELECT seq FROM outbox_event ORDER BY seq")]
    conn.close()
    assert stored == accepted == list(range(1, len(accepted) + 1))

    # The box says so: its reported state reaches the cloud while the disk is full.
    aoutbox = await AsyncOutbox.open(path, box, low_free_bytes=LOW_BYTES)
    with contextlib.suppress(DiskFull, DiskNearlyFull):
        await aoutbox.append(CardRemoved(reader="x"))
    link = CloudLink(box_settings(broker, box, small_disk), aoutbox, _no_commands)
    inbox = BoxInbox(
        engine,
        mqtt_settings(broker, "cloud-1"),
        "cloud-1",
        {"card.inserted": effect_handler, "card.removed": effect_handler},
    )
    async with running(inbox):
        await inbox.wait_connected()
        async with running(link):
            await link.wait_connected()
            reported = await _wait_reported(engine, box)
            filler.unlink()  # the vendor frees space: the backlog drains, new events are taken
            await link.wait_drained()
            accepted.append((await aoutbox.append(_card(n))).seq)
            link.notify()
            await link.wait_drained()
    counts = await count(engine, box, len(accepted))
    counts.report(
        "disk-full",
        refused_nonessential=refused_nonessential,
        disk_full_errors=full_errors,
        reported_disk_state=reported,
    )
    assert refused_nonessential > 0 and reported in ("low", "full")
    assert counts == Counts(len(accepted), len(accepted), 0, 0, 0)
    await aoutbox.close()
    print(f"accepted while filling: {len(accepted)}", file=sys.stderr)


async def _wait_reported(engine: AsyncEngine, box: str) -> str:
    from faults_helpers import wait_until

    state = ""

    async def has() -> bool:
        nonlocal state
        async with engine.connect() as conn:
            row = (
                await conn.execute(select(box_status.c.reported).where(box_status.c.box_id == box))
            ).first()
        state = str((row[0] or {}).get("disk_state", "")) if row else ""
        return state in ("low", "full")

    await wait_until(has, limit_s=30)
    return state
