"""Debian's Chromium for the browser tests and the benchmarks: where it is and how it starts.

One place for the launch flags, which every browser run needs alike: headless and, as root, no
sandbox; no GPU; and no background networking, component updates or sync, whose connections a
closed network refuses (many at a time). Playwright drives it; its own browser download is never
used (it cannot reach the internet here), so Debian's ``chromium`` package is installed by
``scripts/bootstrap.sh``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.async_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


@contextlib.asynccontextmanager
async def chromium_browser() -> AsyncIterator[Browser]:
    """A running headless Chromium (Playwright is a development dependency)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=list(LAUNCH_ARGS))
        try:
            yield browser
        finally:
            await browser.close()
