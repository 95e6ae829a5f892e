"""Faults on the cloud side, on the real stack (``clinicbox cloud`` processes, PostgreSQL, the
demo clinic): the cloud process killed -9 and restarted mid-sync, and the cloud database
crashed and restarted mid-sync, while a box registers patients by card (``card.inserted`` →
registration). Counts come from the clinic's patients and visits."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from clinic_stack import ClinicStack, clinic_counts, start_clinic
from faults_helpers import Counts, box_process, last_json_line

from clinicbox.demo import DEMO_TENANT
from clinicbox.runtime.ports import free_port
from cloud_plane.db.engine import create_engine

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.filterwarnings(
        "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
    ),
]


@pytest.fixture(scope="module")
def clinic() -> Iterator[ClinicStack]:
    yield from start_clinic()


async def _read_until(proc, seq: int) -> None:  # type: ignore[no-untyped-def]
    while True:
        line = await asyncio.to_thread(proc.stdout.readline)
        assert line, "box process ended early"
        if json.loads(line).get("seq", 0) >= seq:
            return


async def _run_faulted(clinic: ClinicStack, box: str, prefix: str, fault) -> Counts:  # type: ignore[no-untyped-def]
    """Start a cloud process and a box registering 300 patients; call ``fault(n)`` at seq
    80 and 180; wait for the box to see everything acknowledged; count."""
    total = 300
    await clinic.add_box(box)
    name = f"cloud-{box}"
    clinic.stack.start_cloud(name, http_port=free_port(), database_url=clinic.url, fleet=False)
    workdir = clinic.stack.workdir
    proc = box_process(
        clinic.broker,
        box,
        workdir / box / "outbox.db",
        total,
        tenant=DEMO_TENANT,
        kind="card",
        pace_s=0.005,
        id_prefix=prefix,
    )
    try:
        for n, seq in enumerate((80, 180)):
            await _read_until(proc, seq)
            await asyncio.to_thread(fault, n)
        out, _ = await asyncio.wait_for(asyncio.to_thread(proc.communicate), 120)
    finally:
        if proc.poll() is None:
            proc.kill()
        clinic.stack.group.stop(name)
    summary = last_json_line(out)
    assert proc.returncode == 0 and summary["depth"] == 0
    engine = create_engine(clinic.url)
    try:
        return await clinic_counts(engine, box, prefix, total)
    finally:
        await engine.dispose()


async def test_cloud_process_killed_9_and_restarted_mid_sync(clinic: ClinicStack) -> None:
    box = "box-cr"

    def kill_and_restart(n: int) -> None:
        name = f"cloud-{box}"
        clinic.stack.group.kill(name)  # SIGKILL the whole cloud process
        clinic.stack.start_cloud(name, http_port=free_port(), database_url=clinic.url, fleet=False)

    counts = await _run_faulted(clinic, box, "R1", kill_and_restart)
    counts.report("cloud-restart", cloud_kills=2)
    assert counts == Counts(300, 300, 0, 0, 0)


async def test_cloud_database_crashed_and_restarted_mid_sync(clinic: ClinicStack) -> None:
    def crash_database(n: int) -> None:
        clinic.pg.restart()  # pg_ctl stop -m immediate, then start: crash recovery

    counts = await _run_faulted(clinic, "box-dr", "S1", crash_database)
    counts.report("db-restart", db_crashes=clinic.pg.restarts)
    assert counts == Counts(300, 300, 0, 0, 0)
