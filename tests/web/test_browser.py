"""A real browser (Debian's Chromium via Playwright) at the front desk: log in, create and
register a patient by keyboard only, see the queue update live; screenshots of the main pages go
to docs/screenshots/ for a person to look at."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser as PwBrowser
from web_chromium import SHOTS, keyboard_login
from web_env import WebEnv
from web_steps import consult, create_patient, new_national_id, register

pytestmark = pytest.mark.browser


async def test_front_desk_by_keyboard(env: WebEnv, chromium: PwBrowser) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = str(env.server.make_url("")).rstrip("/")
    west = env.info.clinic("demo-west")
    desk_login = next(x for x in west.logins if x.username == "frontdesk")
    context = await chromium.new_context(viewport={"width": 1400, "height": 900}, locale="zh-TW")
    page = await context.new_page()

    await page.goto(base + "/login")
    await page.screenshot(path=str(SHOTS / "login.png"))
    await keyboard_login(page, base, west.nhi_code, desk_login.username, desk_login.password)

    # New patient, keyboard only: Alt+N jumps to the national ID field.
    national_id = new_national_id("F")
    await page.keyboard.press("Alt+n")
    await page.keyboard.type(national_id)
    await page.keyboard.press("Tab")
    await page.keyboard.type("林美惠")
    await page.keyboard.press("Tab")
    await page.keyboard.type("0750520")
    await page.keyboard.press("Tab")
    await page.keyboard.press("ArrowDown")  # 請選擇 → 男
    await page.keyboard.press("ArrowDown")  # → 女
    await page.keyboard.press("Tab")
    await page.keyboard.type("0933123456")
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r".*/desk\?patient_id=\d+.*"))
    radio = page.locator("#patient-hits input[type=radio]:checked")
    assert await radio.count() == 1
    # Register: the patient is pre-selected; Alt+R presses 掛號.
    await page.keyboard.press("Alt+r")
    await page.wait_for_url(re.compile(r".*/desk\?registered=\d+"))
    visit_id = int(page.url.rsplit("=", 1)[1])
    row = page.locator(f"#visit-{visit_id}")
    await row.wait_for()
    assert "林美惠" in await row.inner_text()
    assert "候診" in await row.inner_text()

    # A registration made elsewhere (another desk, or a card at the box) appears without reload.
    other = await env.logged_in("west", "frontdesk")
    other_visit = await register(other, await create_patient(other, "即時插卡"), "陳美玲醫師")
    await page.locator(f"#visit-{other_visit}").wait_for()
    assert "即時插卡" in await page.locator(f"#visit-{other_visit}").inner_text()
    await page.screenshot(path=str(SHOTS / "desk.png"), full_page=True)

    # Search-as-you-type fills the patient list.
    await page.keyboard.press("Alt+f")
    await page.keyboard.type("林美惠")
    await page.locator("#patient-hits .hit").first.wait_for()
    assert "林美惠" in await page.locator("#patient-hits").inner_text()

    # The doctor's page and the billing page, after a consultation.
    doctor = await env.logged_in("west", "doctor2")
    await consult(doctor, other_visit)
    doctor_page = await context.new_page()
    await context.clear_cookies()
    doc_login = next(x for x in west.logins if x.username == "doctor2")
    await keyboard_login(doctor_page, base, west.nhi_code, doc_login.username, doc_login.password)
    await doctor_page.goto(f"{base}/visits/{other_visit}")
    await doctor_page.screenshot(path=str(SHOTS / "visit.png"), full_page=True)

    await context.clear_cookies()
    await keyboard_login(page, base, west.nhi_code, desk_login.username, desk_login.password)
    await page.goto(f"{base}/visits/{other_visit}/bill")
    await page.keyboard.press("Alt+s")  # settle with the amount due pre-filled
    await page.wait_for_url(re.compile(r".*/bill#prints"))
    await page.keyboard.press("Alt+1")  # 列印藥袋
    await page.locator(".job-sent").first.wait_for()
    assert len(env.dispatcher.jobs) == 1
    await page.screenshot(path=str(SHOTS / "bill.png"), full_page=True)
    await context.close()
