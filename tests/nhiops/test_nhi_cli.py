"""``clinicbox nhi`` as an operator runs it, in its own process, against the cloud's database and
the sandbox process: a day's IC upload prints its outcome in zh-TW; a month without visits is a
clear zh-TW refusal with exit status 1; a clinic without NHI credentials is named."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, time, timedelta
from pathlib import Path

import aiohttp
from nhiops_helpers import Clinic, card_of, card_visit, nhi_settings, sandbox_now, set_clock
from sandbox_env import HOSP_A, Sandbox
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox.demo import write_toml
from clinicbox_core.nhi.ic_upload.deadline import TAIPEI
from cloud_plane.nhiops.sequence import CardSequencer
from cloud_plane.services.clock import clinic_day

REPO = Path(__file__).resolve().parents[2]


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clinicbox.cli", "nhi", *args, "--config", str(config)],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )  # fmt: skip


async def test_clinicbox_nhi_commands(
    sandbox: Sandbox,
    clinic: Clinic,
    engine: AsyncEngine,
    session: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    config = tmp_path / "cloud.toml"
    write_toml(
        config,
        {
            "nhi": {"base_url": sandbox.url},
            "nhi.hospitals": [
                {"nhi_code": HOSP_A[0], "sam_id": HOSP_A[1], "sam_secret": HOSP_A[2]}
            ],
        },
        {"database_url": clinic.url},
    )
    day = sandbox_now(sandbox).date() + timedelta(days=1)
    now = set_clock(sandbox, datetime.combine(day, time(10), TAIPEI))
    sequencer = CardSequencer(session, nhi_settings(sandbox.url))
    await card_visit(engine, clinic, sequencer, card_of(sandbox.patients("active")[11]), now)

    done = _cli(config, "ic-upload", "--tenant", "demo-west", "--date", str(clinic_day(now)))
    assert done.returncode == 0, done.stderr
    assert f"{clinic_day(now)} 健保卡資料上傳：送出 1 筆，健保署接受 1 筆，退回 0 筆" in done.stdout

    empty = (day + timedelta(days=400)).strftime("%Y-%m")
    refused = _cli(config, "claims", "--tenant", "demo-west", "--month", empty)
    assert refused.returncode == 1 and "沒有可申報的就診" in refused.stdout

    other = _cli(config, "ic-upload", "--tenant", "demo-east", "--date", str(day))
    assert other.returncode == 1 and "demo-east 尚未設定健保連線" in other.stdout
