"""The vendor console's rollout and bundle pages over HTTP against the real cloud process and
the three box daemons of the module's fleet: a mistyped box is refused naming the field and
keeping what was typed; a bundle rollout is started, paused, resumed and finishes from the
console; the bundle page and each box's page show the versions the boxes report."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from typing import Any

import aiohttp
from fleet_updates_helpers import Fleet, db, wait_for

from clinicbox.demo import VENDOR_LOGIN
from clinicbox_core.bundles import BundleKind, BundleRow
from cloud_plane.fleet_updates.bundles import BundlePublisher

BOXES = "fleet-1 fleet-2 fleet-3"


class Page:
    """A logged-in vendor session (form posts carry the page's CSRF token)."""

    def __init__(self, base: str, http: aiohttp.ClientSession) -> None:
        self.base, self.http, self.csrf = base, http, ""

    async def get(self, path: str) -> str:
        async with self.http.get(self.base + path) as reply:
            text = await reply.text()
        token = re.search(r'name="csrf-token" content="([^"]+)"', text)
        self.csrf = token.group(1) if token else self.csrf
        return text

    async def post(self, path: str, **form: str) -> tuple[int, str, str]:
        async with self.http.post(self.base + path, data={"_csrf": self.csrf, **form}) as reply:
            return reply.status, str(reply.url), await reply.text()


def _form(**extra: str) -> dict[str, str]:
    return {
        "target_type": "bundle",
        "bundle_kind": "config",
        "target_version": "1",
        "boxes": BOXES,
        "canary_count": "1",
        "rate_per_minute": "60",
        "abort_failure_pct": "50",
        "min_executed": "2",
        **extra,
    }


def test_bundle_rollout_from_the_console(fleet: Fleet) -> None:
    rows = [BundleRow(code="heartbeat_s", effective_from=date(2026, 1, 1), data={"value": 60})]

    async def publish(engine: Any) -> int:
        return await BundlePublisher(engine, fleet.key).publish(BundleKind.CONFIG, rows, by="t")

    assert db(fleet.stack, publish) == 1
    wait_for("boxes reported", lambda: all(fleet.reported(b) for b in BOXES.split()), 60)
    asyncio.run(_drive_console(fleet))


async def _drive_console(fleet: Fleet) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        page = Page(fleet.stack.url, http)
        await page.get("/vendor/login")
        _, url, _ = await page.post(
            "/vendor/login", username=VENDOR_LOGIN[0], password=VENDOR_LOGIN[1]
        )
        assert url.rstrip("/").endswith("/vendor")
        await page.get("/vendor/rollouts")
        status, _, text = await page.post("/vendor/rollouts", **_form(boxes="fleet-1 no-such-box"))
        assert status == 400 and "no-such-box" in text  # named, and what was typed is kept
        assert 'aria-invalid="true"' in text
        status, url, text = await page.post("/vendor/rollouts", **_form())
        rid = url.rsplit("/", 1)[1]
        assert status == 200 and rid.isdigit(), re.findall(r"role=\"alert\"[^>]*>([^<]*)", text)
        await page.post(f"/vendor/rollouts/{rid}/pause")
        detail = await page.get(f"/vendor/rollouts/{rid}")
        paused = 'data-state="paused"' in detail or 'data-state="done"' in detail
        assert paused, "pause refused"
        if 'id="rollout-state" data-state="paused"' in detail:
            await page.post(f"/vendor/rollouts/{rid}/resume")

        async def done() -> str | None:
            text = await page.get(f"/vendor/rollouts/{rid}")
            return text if 'id="rollout-state" data-state="done"' in text else None

        text = await wait_async(done)
        assert text.count('data-state="succeeded"') == 3
        bundles = await page.get("/vendor/bundles")
        for box in BOXES.split():
            row = re.search(rf'<tr data-box="{box}">(.*?)</tr>', bundles, re.S)
            assert row and re.search(r"data-kind=\"config\">1\b", row.group(1)), box
        box_page = await page.get("/vendor/boxes/fleet-2")
        assert re.search(r'<tr data-kind="config"><td>[^<]+</td><td>1</td>', box_page)
        assert f'href="/vendor/rollouts/{rid}"' in box_page


async def wait_async(probe: Any, limit: float = 60.0) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while loop.time() < deadline:
        value = await probe()
        if value:
            return str(value)
        await asyncio.sleep(0.3)
    raise AssertionError("timed out waiting for the rollout to finish")
