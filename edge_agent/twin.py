"""The device twin, box side: applies the cloud's desired state and builds reported state.

Persisted in ``<data_dir>/twin.json`` so versions survive restarts: the reported ``version``
grows with every report (the cloud keeps the newest), and ``desired_version`` says which
desired state was applied (a retained desired message with a version not above it is ignored).
Known config keys are applied at once (``heartbeat_s``, ``log_level``); unknown keys are kept
and reported as they are, so the delta shows what this box version does not understand.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import time
from pathlib import Path
from typing import Any

from clinicbox.runtime.pki import write_pem
from clinicbox_core.contracts import BoxDesired

log = logging.getLogger(__name__)
APPLIED_KEYS = ("heartbeat_s", "log_level")


class BoxTwin:
    def __init__(self, data_dir: Path, *, heartbeat_s: float) -> None:
        self.path = data_dir / "twin.json"
        self.data_dir = data_dir
        self.started = time.monotonic()
        self.last_sync: dt.datetime | None = None
        self.printers: dict[str, str] = {}
        self.cert_not_after: dt.datetime | None = None
        state = self._load()
        self.version = int(state.get("version", 0))
        self.desired_version = int(state.get("desired_version", 0))
        self.config: dict[str, str | int | bool] = dict(state.get("config") or {})
        self.config.setdefault("heartbeat_s", int(heartbeat_s))

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self) -> None:
        state = {
            "version": self.version,
            "desired_version": self.desired_version,
            "config": self.config,
        }
        write_pem(self.path, json.dumps(state).encode("utf-8"), 0o600)

    @property
    def heartbeat_s(self) -> float:
        value = self.config.get("heartbeat_s", 60)
        return float(value) if isinstance(value, int | float) and value > 0 else 60.0

    def apply(self, desired: BoxDesired) -> bool:
        """Converge on ``desired``; False when it is not newer than what was applied."""
        if desired.version <= self.desired_version:
            return False
        self.config.update(desired.config)
        level = desired.config.get("log_level")
        if isinstance(level, str) and level.upper() in logging.getLevelNamesMapping():
            logging.getLogger().setLevel(level.upper())
        self.desired_version = desired.version
        self._save()
        log.info("applied desired state version %d", desired.version)
        return True

    def next_fields(self) -> dict[str, Any]:
        """Fields of the next reported message (bumps and persists the version)."""
        self.version += 1
        self._save()
        return {
            "version": self.version,
            "desired_version": self.desired_version,
            "config": dict(self.config),
            "printers": dict(self.printers),
            "disk_free_mb": shutil.disk_usage(self.data_dir).free // (1024 * 1024),
            "uptime_s": int(time.monotonic() - self.started),
            "last_sync": self.last_sync,
            "cert_not_after": self.cert_not_after,
        }
