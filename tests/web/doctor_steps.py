"""Steps of the doctor browser tests done over HTTP (set-up only: a patient, a registration,
a finished earlier visit) and keyboard helpers for the 看診 page."""

from __future__ import annotations

import re
from collections.abc import Mapping

from playwright.async_api import Page
from web_browser import Browser
from web_steps import doctor_id, location_id


async def register_visit(
    b: Browser, patient_id: int, doctor: str, *, department: str, visit_type: str
) -> int:
    """Register by hand after a reader failure (異常就醫代碼 A010, 讀卡機故障): the visit then
    carries a code where the 就醫序號 would be, as the slip needs one."""
    doc = await doctor_id(b, doctor)
    status, page, headers = await b.post(
        "/desk/register",
        {
            "patient_id": str(patient_id),
            "doctor_id": str(doc),
            "department": department,
            "visit_type": visit_type,
            "session": "",
            "abnormal_code": "A010",
        },
    )
    assert status == 303, page
    return location_id(headers["Location"], r"registered=(\d+)")


async def post_ok(b: Browser, path: str, data: Mapping[str, str] | None = None) -> None:
    status, page, _ = await b.post(path, data or {})
    assert status == 303, (path, page[:2000])


async def submit(page: Page, key: str) -> None:
    """Press ``key`` (Enter, Alt+E …) and wait for the page it leads to."""
    async with page.expect_navigation():
        await page.keyboard.press(key)


async def retype(page: Page, text: str) -> None:
    """Replace the focused field's content by ``text``, as a person would (select all, type)."""
    await page.keyboard.press("Control+a")
    await page.keyboard.type(text)


async def field_value(page: Page, form: str, name: str) -> str:
    return await page.locator(f"#{form}-{name}").input_value()


async def field_error(page: Page, form: str, name: str) -> str:
    loc = page.locator(f"#{form}-{name}-error")
    await loc.wait_for()
    return re.sub(r"\s+", " ", await loc.inner_text())
