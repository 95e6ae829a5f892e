"""The broker's isolation policy as files: rewrite the ACL (provisioned boxes bound to their
clinic) and the CRL (revoked certificates), then SIGHUP the broker so it reloads both.

The database is the source of truth; the files are always rendered whole from it, so a lost
write or a crash in between is repaired by the next :meth:`BrokerPolicy.apply` (run at start-up
and after every provisioning change). Two cloud processes may both apply: same input, same file.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import signal

from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox.runtime.broker_acl import device_acl
from clinicbox.runtime.pki import Pki, write_pem
from cloud_plane.config import FleetSettings
from cloud_plane.fleet.provisioning import acl_boxes, revoked_serials

log = logging.getLogger(__name__)
RESIGNAL_S = 1.0


class BrokerPolicy:
    def __init__(self, settings: FleetSettings, pki: Pki) -> None:
        self.settings = settings
        self.pki = pki
        self._lock = asyncio.Lock()

    @property
    def enabled(self) -> bool:
        return self.settings.acl_file is not None or self.settings.crl_file is not None

    async def apply(self, engine: AsyncEngine) -> None:
        if not self.enabled:
            return
        async with self._lock:
            async with engine.connect() as conn:
                boxes = await acl_boxes(conn)
                revoked = await revoked_serials(conn)
            await asyncio.to_thread(self._write, boxes, revoked)
        # mosquitto drops a SIGHUP that lands while it is reloading: say it once more, later
        asyncio.get_running_loop().call_later(RESIGNAL_S, self._signal)

    def _write(self, boxes: list[tuple[str, str]], revoked: list[tuple[int, dt.datetime]]) -> None:
        s = self.settings
        if s.acl_file is not None:
            text = device_acl(s.cloud_identities, boxes)
            write_pem(s.acl_file, text.encode("utf-8"))
        if s.crl_file is not None:
            self.pki.write_crl(revoked, s.crl_file)
        self._signal()
        log.info("broker policy: %d boxes in the ACL, %d revoked", len(boxes), len(revoked))

    def _signal(self) -> None:
        path = self.settings.broker_pid_file
        if path is None:
            return
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(path.read_text().strip()), signal.SIGHUP)
            return
        log.warning("could not signal the broker (pid file %s)", path)
