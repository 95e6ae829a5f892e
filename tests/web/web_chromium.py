"""Debian's Chromium driven by Playwright for the browser tests: launch arguments, where
screenshots go, and the keyboard-only log-in every staff test starts with."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from playwright.async_api import Page

# Screenshots refresh docs/screenshots/ only on request (CLINICBOX_SCREENSHOTS=update), so a
# test run leaves the work tree clean.
SHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("CLINICBOX_SCREENSHOTS") == "update"
    else Path(tempfile.gettempdir()) / "clinicbox-screenshots"
)


async def keyboard_login(page: Page, base: str, code: str, user: str, password: str) -> None:
    await page.goto(base + "/login")
    # the institution code field has autofocus; wait until the browser has applied it
    await wait_focus(page, "institution_code")
    await page.keyboard.type(code)
    await page.keyboard.press("Tab")
    await page.keyboard.type(user)
    await page.keyboard.press("Tab")
    await page.keyboard.type(password)
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r".*/desk.*"))


async def focused_name(page: Page) -> str:
    return str(await page.evaluate("document.activeElement?.name || ''"))


async def tab_to(page: Page, name: str, *, limit: int = 40) -> None:
    """Press Tab until the field called ``name`` has the focus (keyboard only)."""
    for _ in range(limit):
        if await focused_name(page) == name:
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached the field {name!r}")


async def choose(page: Page, name: str, text: str) -> None:
    """Pick the option containing ``text`` in the focused select ``name`` with arrow keys."""
    assert await focused_name(page) == name, (
        f"{name} is not focused ({await focused_name(page)!r} is)"
    )
    options: list[str] = await page.evaluate(
        "n => [...document.activeElement.options].map(o => o.textContent)", name
    )
    target = next(i for i, label in enumerate(options) if text in label)
    current = int(await page.evaluate("document.activeElement.selectedIndex"))
    key = "ArrowDown" if target > current else "ArrowUp"
    for _ in range(abs(target - current)):
        await page.keyboard.press(key)


async def wait_focus(page: Page, name: str, *, polls: int = 600) -> None:
    """Wait until the field ``name`` has the focus (autofocus after a page load). Polled from
    here: ``wait_for_function`` evaluates strings, which the pages' CSP forbids."""
    for _ in range(polls):
        if await focused_name(page) == name:
            return
        await page.wait_for_timeout(25)
    raise AssertionError(f"{name!r} never got the focus (has: {await focused_name(page)!r})")
