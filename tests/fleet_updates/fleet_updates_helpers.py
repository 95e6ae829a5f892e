"""A small fleet for the rollout tests: the demo broker and cloud, and N boxes, each a real
``clinicbox box`` process started by firmware_scripts/ab-run.sh from a simulated A/B layout."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from firmware_helpers import SCRIPTS, Layout, artifact, make_layout
from sqlalchemy import select

from clinicbox.demo import DEMO_TENANT, DemoStack
from clinicbox_core.bundles import SigningKey
from cloud_plane.db.engine import create_engine
from cloud_plane.db.tables_boxlink import box_status
from cloud_plane.db.tables_fleet_updates import rollout_boxes, rollouts

T = TypeVar("T")

GOOD_LAUNCHER = f'#!/bin/sh\nexec {sys.executable} -m clinicbox.cli box "$@"\n'
BROKEN_LAUNCHER = (
    '#!/bin/sh\necho "clinicbox 2.0.0: ImportError: no module named agent2" >&2\nexit 1\n'
)


def db(stack: DemoStack, fn: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``fn(engine)`` against the stack's database from synchronous test code."""

    async def run() -> T:
        engine = create_engine(stack.database_url)
        try:
            return await fn(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def wait_for(what: str, check: Callable[[], T | None], timeout: float = 120.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


class Fleet:
    def __init__(self, stack: DemoStack, key: SigningKey, root: Path) -> None:
        self.stack = stack
        self.key = key
        self.root = root
        self.layouts: dict[str, Layout] = {}

    def start_box(self, box_id: str) -> None:
        layout = make_layout(self.root / box_id, GOOD_LAUNCHER, version="1.0.0")
        self.layouts[box_id] = layout
        # the box provisions itself (pre-assigned serial), like every box of the fleet
        self.stack.preassign(box_id, DEMO_TENANT)
        link = self.stack.box_link_sections()
        cfg = layout.root / "box.toml"
        lines = [
            f'box_id = "{box_id}"',
            f'data_dir = "{layout.data_dir}"',
            "[mqtt]",
            *(f"{k} = {json.dumps(v)}" for k, v in link["mqtt"].items()),
            "[provisioning]",
            *(f"{k} = {json.dumps(v)}" for k, v in link["provisioning"].items()),
            "[card]",
            'reader_filter = "no reader for fleet boxes"',
            "[bundles]",
            f"trusted_keys = [{json.dumps(self.key.public_b64)}]",
            "[update]",
            "enabled = true",
            f'scripts_dir = "{SCRIPTS}"',
            f'ab_config = "{layout.conf}"',
            "health_grace_s = 60",
        ]
        cfg.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.stack.group.start(
            box_id,
            [str(SCRIPTS / "ab-run.sh"), "--config", str(cfg)],
            ready=lambda: (layout.data_dir / "ready").exists(),
            env={"AB_CONFIG": str(layout.conf), "AB_REBOOT_DELAY": "0.2"},
        )

    def reported(self, box_id: str) -> dict[str, Any] | None:
        async def fetch(engine: Any) -> dict[str, Any] | None:
            async with engine.connect() as conn:
                value = await conn.scalar(
                    select(box_status.c.reported).where(box_status.c.box_id == box_id)
                )
            return dict(value) if value else None

        return db(self.stack, fetch)

    def rollout(self, rid: int) -> tuple[Any, dict[str, Any]]:
        async def fetch(engine: Any) -> tuple[Any, dict[str, Any]]:
            async with engine.connect() as conn:
                r = (await conn.execute(select(rollouts).where(rollouts.c.id == rid))).one()
                boxes = (
                    await conn.execute(
                        select(rollout_boxes).where(rollout_boxes.c.rollout_id == rid)
                    )
                ).all()
            return r, {b.box_id: b for b in boxes}

        return db(self.stack, fetch)


def software_artifact(version: str, *, broken: bool = False) -> bytes:
    return artifact(version, BROKEN_LAUNCHER if broken else GOOD_LAUNCHER)
