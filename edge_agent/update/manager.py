"""Software updates: verify and install a :class:`SoftwareUpdate`, then after the reboot watch
the new version's health and commit it, or roll back.

Flow (Mender: Download → Install → Reboot → Commit, else Rollback):

1. ``install``: download the artifact, check its SHA-256 and the cloud's Ed25519 signature,
   ``ab-install.sh`` it into the inactive slot, then ask the daemon to exit with
   :data:`REBOOT_EXIT_CODE` (the boot loop / systemd starts the new slot).
2. ``watch_after_boot``: when ``ab-status.sh`` says an update is being tried, wait until the
   agent is ready and the cloud link is up, then ``ab-commit.sh`` (which runs ``ab-health.sh``).
   No health within ``health_grace_s``: ``ab-rollback.sh`` and reboot. A version that crashes
   before it gets here is rolled back by ``ab-boot.sh``'s boot counter instead.
3. The reported :class:`UpdateState` says ``trying`` / ``committed`` / ``rolled_back`` with
   the version and rollout tried, which is what drives the cloud's rollout.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

from clinicbox_core.bundles import TrustedKeys
from clinicbox_core.contracts import SoftwareUpdate, UpdateState
from clinicbox_core.errors import Conflict, ValidationFailed
from edge_agent.bundles.fetch import fetch_bundle
from edge_agent.update.scripts import AbScripts

log = logging.getLogger(__name__)

REBOOT_EXIT_CODE = 75  # EX_TEMPFAIL: "start me again" to ab-run.sh and systemd
HEALTH_POLL_S = 0.5


class UpdateManager:
    def __init__(
        self,
        scripts: AbScripts,
        trusted: TrustedKeys,
        work_dir: Path,
        request_reboot: Callable[[], None],
        *,
        health_grace_s: float,
    ) -> None:
        self.scripts = scripts
        self.trusted = trusted
        self.work_dir = work_dir
        self.request_reboot = request_reboot
        self.health_grace_s = health_grace_s
        self.status: dict[str, str] = {}
        self._busy = asyncio.Lock()

    async def refresh(self) -> dict[str, str]:
        self.status = await self.scripts.status()
        return self.status

    @property
    def running_version(self) -> str:
        return self.status.get("version", "")

    def state(self) -> UpdateState:
        s = self.status
        rollout = s.get("trying_rollout") or None
        common = {
            "target_version": s.get("trying_version") or None,
            "rollout_id": int(rollout) if rollout else None,
        }
        if s.get("upgrade_available") == "1":
            return UpdateState(status="trying", **common)
        result = s.get("last_result", "none")
        if result == "committed":
            return UpdateState(status="committed", **common)
        if result == "rolled_back":
            return UpdateState(
                status="rolled_back", error_code="error.update.rolled_back", **common
            )
        return UpdateState()

    async def install(self, cmd: SoftwareUpdate) -> None:
        if self._busy.locked():
            raise Conflict("error.update.busy", version=cmd.version)
        async with self._busy:
            await self.refresh()
            if self.status.get("upgrade_available") == "1":
                raise Conflict("error.update.busy", version=cmd.version)
            if self.running_version == cmd.version:
                return  # already running it: idempotent
            data = await fetch_bundle(cmd.url, have=None)
            if hashlib.sha256(data).hexdigest() != cmd.sha256:
                raise ValidationFailed("error.update.checksum", version=cmd.version)
            self.trusted.verify(cmd.key_id, base64.b64decode(cmd.signature), data)
            artifact = self.work_dir / "update.artifact"
            await asyncio.to_thread(artifact.write_bytes, data)
            try:
                await self.scripts.install(artifact, cmd.version, cmd.rollout_id)
            finally:
                artifact.unlink(missing_ok=True)
            await self.refresh()
            log.info("software %s installed; rebooting into it", cmd.version)
            self.request_reboot()

    async def rollback(self) -> None:
        async with self._busy:
            await self.scripts.rollback()
            await self.refresh()
            self.request_reboot()

    async def watch_after_boot(self, healthy: Callable[[], bool]) -> None:
        """Commit the version being tried once ``healthy()`` and the scripts agree."""
        await self.refresh()
        if self.status.get("upgrade_available") != "1":
            return
        version = self.status.get("trying_version")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.health_grace_s
        while loop.time() < deadline:
            if healthy():
                try:
                    await self.scripts.commit()
                except Exception as exc:  # the script's own health check disagreed
                    log.info("commit of %s not yet possible: %s", version, exc)
                else:
                    await self.refresh()
                    log.info("software %s committed", version)
                    return
            await asyncio.sleep(HEALTH_POLL_S)
        log.error(
            "software %s not healthy within %.0fs; rolling back", version, self.health_grace_s
        )
        await self.rollback()
