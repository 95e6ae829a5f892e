"""健保作業 in Chromium, keyboard only: the clinic admin reaches the page from the navigation,
types a claims month in the future, and gets a zh-TW message naming the field, with the month
typed kept and the focus back on it; correcting it checks the month (no NHI connection needed)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser as PwBrowser
from playwright.async_api import expect
from web_chromium import SHOTS, keyboard_login, tab_to, wait_focus
from web_env import WebEnv

from cloud_plane.services.clock import clinic_day, utc_now

pytestmark = pytest.mark.browser


async def test_future_claims_month_is_explained_and_kept(env: WebEnv, chromium: PwBrowser) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = str(env.server.make_url("")).rstrip("/")
    spec = env.info.clinic("demo-west")
    login = next(x for x in spec.logins if x.username == "admin")
    context = await chromium.new_context(viewport={"width": 1400, "height": 900}, locale="zh-TW")
    page = await context.new_page()
    await keyboard_login(page, base, spec.nhi_code, login.username, login.password)

    nav = page.get_by_role("link", name="健保作業")
    await nav.focus()
    await page.keyboard.press("Enter")
    await page.wait_for_url(base + "/nhi")
    await expect(page.get_by_role("heading", name="健保作業", level=1)).to_be_visible()
    await expect(page.locator("#nhi-not-connected")).to_be_visible()  # no [nhi] in this env

    await tab_to(page, "claims_month")
    future = f"{clinic_day(utc_now()).year + 1}-01"
    await page.keyboard.press("Control+A")
    await page.keyboard.type(future)
    await page.keyboard.press("Tab")  # 建立並檢核
    assert await page.evaluate("document.activeElement.value") == "check"
    await page.keyboard.press("Enter")
    await page.wait_for_url(base + "/nhi/claims")

    error = page.locator("#nhi_claims-claims_month-error")
    await expect(error).to_have_text("「申報月份」不可晚於本月。")
    field = page.locator("#nhi_claims-claims_month")
    await expect(field).to_have_value(future)
    await expect(field).to_have_attribute("aria-invalid", "true")
    await wait_focus(page, "claims_month")
    await page.screenshot(path=str(SHOTS / "nhi-ops-future-month.png"), full_page=True)

    await page.keyboard.press("Control+A")  # fix it: this month, checked only
    this_month = f"{clinic_day(utc_now()):%Y-%m}"
    await page.keyboard.type(this_month)
    await page.keyboard.press("Enter")  # Enter submits with the first button: 建立並檢核
    await page.wait_for_url(base + "/nhi/claims")
    await expect(page.locator("#nhi_claims-claims_month-error")).to_have_count(0)
    await expect(page.locator("#nhi_claims-claims_month")).to_have_value(this_month)
    outcome = page.locator("#claims-outcome, #nhi-claims .form-error")
    await expect(outcome.first).to_be_visible()
    await context.close()
