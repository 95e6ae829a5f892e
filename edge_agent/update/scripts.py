"""Run the A/B shell scripts (firmware_scripts/ab-*.sh) and read their state.

The scripts own the slot layout and the boot environment so that the same logic runs before
the agent exists (at boot) and after it has died (rollback); the agent only calls them.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from clinicbox_core.errors import DeviceError


class UpdateScriptFailed(DeviceError):
    default_key = "error.update.script_failed"


class AbScripts:
    def __init__(self, scripts_dir: Path, ab_config: Path) -> None:
        self.scripts_dir = scripts_dir
        self.ab_config = ab_config

    async def run(self, name: str, *args: str) -> str:
        env = {**os.environ, "AB_CONFIG": str(self.ab_config)}
        proc = await asyncio.create_subprocess_exec(
            str(self.scripts_dir / name),
            *args,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        if proc.returncode != 0:
            raise UpdateScriptFailed(
                script=name, code=proc.returncode, detail=err.decode(errors="replace")[-300:]
            )
        return out.decode()

    async def status(self) -> dict[str, str]:
        lines = (await self.run("ab-status.sh")).splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)

    async def install(self, artifact: Path, version: str, rollout_id: int | None) -> None:
        await self.run("ab-install.sh", str(artifact), version, str(rollout_id or ""))

    async def commit(self) -> None:
        await self.run("ab-commit.sh")

    async def rollback(self) -> None:
        await self.run("ab-rollback.sh")
