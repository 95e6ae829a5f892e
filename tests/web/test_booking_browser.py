"""Online booking on a phone-sized browser, as a patient: choose the clinic, a wrong contact
(named, nothing lost), the one-time code from a real SMTP server, a wrong code, a session, the
number with its estimated time and the live queue, then cancelling."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser as PwBrowser
from web_booking import code_in
from web_chromium import SHOTS
from web_env import Seeded, WebEnv, start_env, stop_env
from web_steps import create_patient, new_national_id, register

from clinicbox.runtime.mailsink import MailSink, running_mailsink
from cloud_plane.notify.settings import NotifySettings
from cloud_plane.web.i18n import Catalogue

pytestmark = pytest.mark.browser
T = Catalogue.load().t
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSink]:
    with running_mailsink(tmp_path_factory.mktemp("smtp")) as mail:
        yield mail


@pytest.fixture
async def booking_env(seeded: Seeded, sink: MailSink) -> AsyncIterator[WebEnv]:
    e = await start_env(seeded, notify=NotifySettings(smtp_url=sink.url, timeout_s=5))
    try:
        yield e
    finally:
        await stop_env(e)


async def test_patient_books_and_cancels_on_a_phone(
    booking_env: WebEnv, chromium: PwBrowser, sink: MailSink
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = str(booking_env.server.make_url("")).rstrip("/")
    context = await chromium.new_context(
        viewport=PHONE, locale="zh-TW", is_mobile=True, has_touch=True
    )
    page = await context.new_page()
    script_errors: list[str] = []
    page.on("pageerror", lambda exc: script_errors.append(str(exc)))
    await page.goto(base + "/book")
    await page.get_by_text("示範西區診所").tap()
    await page.wait_for_url(re.compile(r".*/book/demo-west$"))

    national_id = new_national_id("M")
    email = f"{national_id.lower()}@example.com"
    await page.fill("#identity-national_id", national_id)
    await page.fill("#identity-birth_date", "1979-08-21")
    await page.fill("#identity-name", "陳建宏")
    await page.fill("#identity-contact", "chen-at-example.com")
    await page.get_by_role("button", name=T("book.identity.submit")).tap()
    error = page.locator("#identity-contact-error")
    await error.wait_for()
    assert "聯絡方式" in await error.inner_text()
    assert await page.input_value("#identity-national_id") == national_id
    assert await page.input_value("#identity-name") == "陳建宏"
    assert await page.input_value("#identity-birth_date") == "1979-08-21"
    await page.screenshot(path=str(SHOTS / "book_identity_error.png"), full_page=True)

    await page.fill("#identity-contact", email)
    await page.get_by_role("button", name=T("book.identity.submit")).tap()
    await page.wait_for_url(re.compile(r".*\?step=code#code$"))
    [mail] = sink.messages(email)
    code = code_in(mail)
    wrong = "000000" if code != "000000" else "111111"
    await page.fill("#code-code", wrong)
    await page.get_by_role("button", name=T("book.code.submit"), exact=True).tap()
    await page.locator("#code-code-error").wait_for()
    assert "驗證碼" in await page.locator("#code-code-error").inner_text()
    await page.fill("#code-code", code)
    await page.get_by_role("button", name=T("book.code.submit"), exact=True).tap()
    await page.wait_for_url(re.compile(r".*/book/demo-west#slots$"))

    # Book without choosing a session: the session field is named.
    await page.get_by_role("button", name=T("book.submit")).tap()
    await page.locator("fieldset.has-error").wait_for()
    assert "看診時段" in await page.locator("fieldset.has-error").inner_text()
    slot = page.locator("label.slot:not(.full)").first
    slot_text = await slot.inner_text()
    await slot.tap()
    await page.screenshot(path=str(SHOTS / "book_slots.png"), full_page=True)
    await page.get_by_role("button", name=T("book.submit")).tap()
    await page.wait_for_url(re.compile(r".*/book/demo-west/mine\?booked=\d+$"))
    booking_id = int(page.url.rsplit("=", 1)[1])
    card = page.locator(f"#booking-{booking_id}")
    text = await card.inner_text()
    assert T("book.number") in text and re.search(r"\d{2}:\d{2}", text)
    assert T("booking.status.booked") in text
    doctor = next(n for n in ("王大明醫師", "陳美玲醫師") if n in slot_text)
    assert doctor in text
    await page.locator("#board").wait_for()

    # The live queue on the phone follows the clinic's calls (no reload).
    desk = await booking_env.logged_in("west", "frontdesk")
    walk_in = await register(desk, await create_patient(desk, "現場病患"), "陳美玲醫師")
    _, queue_page, _ = await desk.get("/desk")
    number = re.search(rf'id="visit-{walk_in}".*?<td class="num">(\d+)</td>', queue_page, re.S)
    assert number
    status, _, _ = await desk.post(f"/visits/{walk_in}/call")
    assert status == 303
    called = page.locator(f'.big-no[data-number="{number.group(1)}"]')
    board = page.locator("#board section.board-col", has_text="陳美玲醫師", has=called)
    await board.wait_for()
    assert "現○○患" in await board.inner_text()
    assert "現場病患" not in await page.content()
    await page.screenshot(path=str(SHOTS / "book_mine.png"), full_page=True)

    await card.get_by_role("button", name=T("book.cancel")).tap()
    await page.wait_for_url(re.compile(rf".*/book/demo-west/mine\?cancelled={booking_id}$"))
    assert (
        T("booking.status.cancelled") in await page.locator(f"#booking-{booking_id}").inner_text()
    )
    await context.close()
