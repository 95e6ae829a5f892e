"""The box process killed -9 in the middle of writing: hundreds of kills of a small writer that
uses the real Outbox (cheap iterations, see :mod:`tests.faults.outbox_killer`), then the
survivors drained through the real link, and a few kills of a whole box process while it
publishes to the real broker and cloud."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from faults_helpers import (
    REPO,
    Counts,
    box_process,
    box_settings,
    count,
    effect_handler,
    last_json_line,
    long_run,
    mqtt_settings,
    running,
    wait_until,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox.runtime.mosquitto import MosquittoBroker
from clinicbox_core.contracts import Command, CommandResult
from cloud_plane.boxlink import BoxInbox
from edge_agent.link import CloudLink
from edge_agent.outbox import AsyncOutbox

pytestmark = pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)


def _kill_loop(path: Path, box_id: str, iterations: int, ack_rate: float) -> dict[str, int]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.faults.outbox_killer",
            f"--path={path}",
            f"--box-id={box_id}",
            f"--iterations={iterations}",
            f"--ack-rate={ack_rate}",
            "--seed=4",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    summary: dict[str, int] = json.loads(out.stdout.strip().splitlines()[-1])
    return summary


def test_outbox_survives_hundreds_of_kills_at_random_points(tmp_path: Path) -> None:
    kills = 3000 if long_run() else 300
    s = _kill_loop(tmp_path / "box.db", "box-kl", kills, ack_rate=0.1)
    print(
        f"\n[fault:outbox-kill-loop] kills={s['iterations']} created={s['last_seq']} "
        f"returned_before_kill={s['returned']} acked={s['acked_seq']} depth={s['depth']} "
        f"lost={s['lost']} corrupt={s['corrupt']} holes={s['hole_or_extra']} torn={s['torn']}",
        file=sys.stderr,
    )
    assert s["child_failed"] == 0 and s["returned"] >= kills // 2  # the writers wrote
    assert s["lost"] == s["corrupt"] == s["hole_or_extra"] == s["torn"] == 0
    assert s["depth"] == s["last_seq"] - s["acked_seq"]


async def _no_commands(command: Command) -> CommandResult:
    raise AssertionError(f"unexpected command {command}")


async def test_what_survives_the_kills_reaches_the_cloud_exactly_once(
    broker: MosquittoBroker, engine: AsyncEngine, tmp_path: Path
) -> None:
    box = "box-kd"
    s = await asyncio.to_thread(_kill_loop, tmp_path / "box.db", box, 100, 0.0)
    assert s["lost"] == s["corrupt"] == s["hole_or_extra"] == s["torn"] == s["child_failed"] == 0
    outbox = await AsyncOutbox.open(tmp_path / "box.db", box)
    link = CloudLink(box_settings(broker, box, tmp_path), outbox, _no_commands, window=64)
    inbox = BoxInbox(
        engine, mqtt_settings(broker, "cloud-1"), "cloud-1", {"card.inserted": effect_handler}
    )
    async with running(inbox, link):
        await inbox.wait_connected()
        await link.wait_drained()
    counts = await count(engine, box, s["last_seq"])
    counts.report("outbox-kill-drain", kills=s["iterations"])
    assert counts == Counts(s["last_seq"], s["last_seq"], 0, 0, 0)
    await outbox.close()


async def test_whole_box_process_killed_9_while_publishing(
    broker: MosquittoBroker, engine: AsyncEngine, tmp_path: Path
) -> None:
    box, total = "box-kp", 600
    kills = 12 if long_run() else 4
    rng = random.Random(11)
    inbox = BoxInbox(
        engine, mqtt_settings(broker, "cloud-1"), "cloud-1", {"card.removed": effect_handler}
    )
    outbox_path = tmp_path / box / "outbox.db"
    async with running(inbox):
        await inbox.wait_connected()
        for _ in range(kills):
            proc = box_process(broker, box, outbox_path, total, pace_s=0.002)
            assert proc.stdout is not None
            # let it append and publish for a random while, then kill -9 mid-stream
            target = rng.randint(3, 12)
            for _ in range(target):
                if not await asyncio.to_thread(proc.stdout.readline):
                    break
            proc.kill()
            await asyncio.to_thread(proc.wait)
            proc.stdout.close()
        final = box_process(broker, box, outbox_path, total)
        out, _ = await asyncio.to_thread(final.communicate)
        summary = last_json_line(out)
        await wait_until(lambda: _applied(engine, box, total))
    counts = await count(engine, box, total)
    counts.report("box-process-kill", kills=kills, final_run=summary)
    assert final.returncode == 0 and summary["depth"] == 0
    assert counts == Counts(total, total, 0, 0, 0)


async def _applied(engine: AsyncEngine, box: str, n: int) -> bool:
    return (await count(engine, box, n)).cloud >= n
