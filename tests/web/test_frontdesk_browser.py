"""The front desk's day in a real browser, keyboard only: a typing mistake on the new-patient
form (field named, nothing lost), registration by hand with the 異常就醫代碼 the rules pick,
search by phone and ID, 叫號 with the waiting-room screen updating live (masked name only), 改掛
keeping the code, 退掛, check-in of an online booking, and 日結 with a typing mistake, a cash
difference and the print view."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser as PwBrowser
from playwright.async_api import Page
from web_booking import insert_booking_today
from web_chromium import SHOTS, choose, keyboard_login, tab_to, wait_focus
from web_env import WebEnv
from web_steps import new_national_id

from cloud_plane.web.i18n import Catalogue

pytestmark = pytest.mark.browser
T = Catalogue.load().t
NAME = "郭雅婷"
DOCTOR = "李院長"  # no other web test registers with this doctor, so its queue is ours


async def row_text(page: Page, visit_id: int) -> str:
    row = page.locator(f"#visit-{visit_id}")
    await row.wait_for()
    return await row.inner_text()


async def test_front_desk_day_by_keyboard(env: WebEnv, chromium: PwBrowser) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = str(env.server.make_url("")).rstrip("/")
    west = env.info.clinic("demo-west")
    desk = next(x for x in west.logins if x.username == "frontdesk")
    context = await chromium.new_context(viewport={"width": 1400, "height": 900}, locale="zh-TW")
    page = await context.new_page()
    script_errors: list[str] = []  # a broken app.js silently turns every shortcut off
    page.on("pageerror", lambda exc: script_errors.append(str(exc)))
    await keyboard_login(page, base, west.nhi_code, desk.username, desk.password)

    # New patient with a wrong birthday: the message names the field, the rest stays typed.
    national_id = new_national_id("F")
    await page.keyboard.press("Alt+n")
    await page.keyboard.type(national_id)
    await page.keyboard.press("Tab")
    await page.keyboard.type(NAME)
    await page.keyboard.press("Tab")
    await page.keyboard.type("1990-13-40")
    await page.keyboard.press("Tab")
    await choose(page, "sex", T("sex.F"))
    await page.keyboard.press("Tab")
    await page.keyboard.type("0955123987")
    await page.keyboard.press("Enter")
    error = page.locator("#new_patient-birth_date-error")
    await error.wait_for()
    assert "出生日期" in await error.inner_text()
    assert await page.input_value("#new_patient-national_id") == national_id
    assert await page.input_value("#new_patient-name") == NAME
    assert await page.input_value("#new_patient-phone") == "0955123987"
    assert await page.input_value("#new_patient-sex") == "F"
    await wait_focus(page, "birth_date")
    await page.keyboard.press("Control+a")
    await page.keyboard.type("0790315")  # ROC date
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r".*/desk\?patient_id=\d+.*"))

    # Register by hand: the card chip is bad (卡片不良), no 序號 obtained → B000 by the rules.
    assert await page.locator("#patient-hits input[type=radio]:checked").count() == 1
    await tab_to(page, "doctor_id")  # the #register fragment keeps autofocus off: Tab there
    await choose(page, "doctor_id", DOCTOR)
    await tab_to(page, "abnormal_cause")
    await choose(page, "abnormal_cause", "卡片不良")
    await page.keyboard.press("Alt+r")
    await page.wait_for_url(re.compile(r".*/desk\?registered=\d+"))
    visit_id = int(page.url.rsplit("=", 1)[1])
    text = await row_text(page, visit_id)
    assert NAME in text and "B000" in text and DOCTOR in text
    visit_no = int(await page.locator(f"#visit-{visit_id} td.num").inner_text())

    # Find her again by phone, then by ID number (search as you type).
    for q in ("0955123987", national_id):
        await page.keyboard.press("Alt+f")
        await page.keyboard.type(q)
        await page.locator("#patient-hits .hit", has_text=NAME).first.wait_for()

    # 叫號: the waiting-room screen (no login) shows the number and the masked name, live.
    screen = await (await chromium.new_context(viewport={"width": 1920, "height": 1080})).new_page()
    await screen.goto(f"{base}/display/{west.slug}")
    await page.keyboard.press("Alt+j")
    await page.wait_for_url(re.compile(r".*/desk/calling$"))
    await wait_focus(page, "doctor_id")
    await choose(page, "doctor_id", DOCTOR)
    await page.keyboard.press("Alt+k")
    await page.wait_for_url(re.compile(r".*/desk/calling\?called=\d+"))
    assert f"called={visit_no}&" in page.url
    await wait_focus(page, "doctor_id")  # the same doctor stays chosen for the next call
    assert DOCTOR in await page.locator("#call-doctor_id option:checked").inner_text()
    board = screen.locator("section.board-col", has_text=DOCTOR)
    await board.locator(f'.big-no[data-number="{visit_no}"]').wait_for()
    assert "郭○婷" in await board.inner_text()
    assert NAME not in await screen.content()
    await screen.screenshot(path=str(SHOTS / "display.png"))
    await page.screenshot(path=str(SHOTS / "calling.png"), full_page=True)

    # 改掛 to another doctor: the 異常就醫代碼 moves with the patient.
    await page.goto(f"{base}/visits/{visit_id}/reregister")
    await wait_focus(page, "doctor_id")
    await choose(page, "doctor_id", "王大明醫師")
    await page.screenshot(path=str(SHOTS / "reregister.png"))
    await page.keyboard.press("Alt+r")
    await page.wait_for_url(re.compile(r".*/desk\?registered=\d+"))
    new_id = int(page.url.rsplit("=", 1)[1])
    assert "B000" in await row_text(page, new_id) and "王大明醫師" in await row_text(page, new_id)
    assert T("visit.status.cancelled") in await row_text(page, visit_id)

    # 退掛 of the new visit.
    await page.locator(f"#visit-{new_id} button.danger").focus()
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(rf".*/desk\?cancelled={new_id}$"))
    assert T("desk.cancelled") in await page.locator("#cancel-notice").inner_text()

    # An online booking checks in with its booked number.
    booking_id, number = await insert_booking_today(env.engine, west.slug, "doctor1", "預約報到者")
    await page.keyboard.press("Alt+o")
    await page.wait_for_url(re.compile(r".*/desk/bookings$"))
    await page.screenshot(path=str(SHOTS / "desk_bookings.png"), full_page=True)
    await page.locator(f"#booking-{booking_id} button").focus()
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r".*/desk\?registered=\d+"))
    checked_in = int(page.url.rsplit("=", 1)[1])
    assert await page.locator(f"#visit-{checked_in} td.num").inner_text() == str(number)

    # 日結: letters in the cash field are refused with the field named; the note stays.
    await page.keyboard.press("Alt+l")
    await page.wait_for_url(re.compile(r".*/closeout$"))
    expected = int((await page.locator("#co-expected strong").inner_text()).replace(",", ""))
    await wait_focus(page, "counted_cash")
    await page.keyboard.type("12O0")
    await page.keyboard.press("Tab")
    await page.keyboard.type("零錢盒另計")
    await page.keyboard.press("Alt+t")
    error = page.locator("#closeout-counted_cash-error")
    await error.wait_for()
    assert "點收現金" in await error.inner_text()
    assert await page.input_value("#closeout-note") == "零錢盒另計"
    assert await page.input_value("#closeout-counted_cash") == "12O0"
    await page.screenshot(path=str(SHOTS / "closeout.png"), full_page=True)
    await wait_focus(page, "counted_cash")
    await page.keyboard.press("Control+a")
    await page.keyboard.type(str(expected + 100))
    await page.keyboard.press("Alt+t")
    await page.wait_for_url(re.compile(r".*/closeout/\d{4}-\d{2}-\d{2}/report$"))
    assert (await page.locator("#co-difference").inner_text()).startswith("+100")
    assert "零錢盒另計" in await page.locator("article.report").inner_text()
    await page.emulate_media(media="print")
    assert not await page.locator("header.topbar").is_visible()
    assert not await page.locator("[data-print]").is_visible()
    await page.screenshot(path=str(SHOTS / "closeout_report.png"), full_page=True)
    assert script_errors == []
    await context.close()
