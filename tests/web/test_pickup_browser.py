"""慢箋 pick-up booking on a phone-sized browser, as a patient: identity with the one-time code
from a real SMTP server, the open refill with its window, a day outside the window (refused
citing the rule, what was typed kept), a slot inside it, the pharmacist's list of that day,
then cancelling."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from pharmacy_steps import pharmacy_codes, receive_typed, slip_form
from playwright.async_api import Browser as PwBrowser
from playwright.async_api import expect
from sqlalchemy import update
from web_booking import code_in
from web_chromium import SHOTS
from web_env import Seeded, WebEnv, start_env, stop_env
from web_steps import new_national_id

from clinicbox.runtime.mailsink import MailSink, running_mailsink
from cloud_plane.db.tables_pharmacy import pharmacy_fills
from cloud_plane.notify.settings import NotifySettings
from cloud_plane.services.clock import clinic_day, utc_now
from cloud_plane.web.i18n import Catalogue

pytestmark = pytest.mark.browser
T = Catalogue.load().t
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSink]:
    with running_mailsink(tmp_path_factory.mktemp("smtp-pickup")) as mail:
        yield mail


@pytest.fixture
async def pickup_env(seeded: Seeded, sink: MailSink) -> AsyncIterator[WebEnv]:
    e = await start_env(seeded, notify=NotifySettings(smtp_url=sink.url, timeout_s=5))
    try:
        yield e
    finally:
        await stop_env(e)


async def _refill_opening_tomorrow(env: WebEnv, national_id: str) -> int:
    """A 28-day 慢箋 received and first dispensed by the pharmacist; the fill is then dated 17
    days back, so fill 2's window (day 18 … 27) runs from tomorrow for ten days."""
    ph = await env.logged_in("pharmacy", "pharmacist")
    rx_id = await receive_typed(ph, slip_form(national_id, await pharmacy_codes(env.engine, 1)))
    status, _, _ = await ph.post(f"/pharmacy/rx/{rx_id}/dispense", {"card_id": national_id})
    assert status == 303
    async with env.engine.begin() as conn:
        await conn.execute(
            update(pharmacy_fills)
            .where(pharmacy_fills.c.rx_id == rx_id)
            .values(dispensed_on=clinic_day(utc_now()) - timedelta(days=17))
        )
    return rx_id


async def test_patient_books_a_refill_pickup_on_a_phone(
    pickup_env: WebEnv, chromium: PwBrowser, sink: MailSink
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    national_id = new_national_id("F")
    rx_id = await _refill_opening_tomorrow(pickup_env, national_id)
    today = clinic_day(utc_now())
    opens, closes = today + timedelta(days=1), today + timedelta(days=10)
    base = str(pickup_env.server.make_url("")).rstrip("/")
    context = await chromium.new_context(
        viewport=PHONE, locale="zh-TW", is_mobile=True, has_touch=True
    )
    page = await context.new_page()
    script_errors: list[str] = []
    page.on("pageerror", lambda exc: script_errors.append(str(exc)))
    await page.goto(base + "/book/demo-pharmacy/pickup")

    email = f"{national_id.lower()}@example.com"
    await page.fill("#identity-national_id", national_id)
    await page.fill("#identity-birth_date", "1966-06-07")
    await page.fill("#identity-name", "藥局病人")
    await page.fill("#identity-contact", email)
    await page.get_by_role("button", name=T("book.identity.submit")).tap()
    await page.wait_for_url(re.compile(r".*/pickup\?step=code#code$"))
    [mail] = sink.messages(email)
    await page.fill("#code-code", code_in(mail))
    await page.get_by_role("button", name=T("book.code.submit"), exact=True).tap()
    await page.wait_for_url(re.compile(r".*/book/demo-pharmacy/pickup#refills$"))

    card = page.locator(f"#refill-{rx_id}")
    await expect(card.locator(".window")).to_contain_text(f"{opens} 至 {closes}")
    await expect(card.locator(".window")).to_contain_text("全民健康保險醫療辦法第24條")

    # Today is before the window: the day is named, the rule cited, the typed values kept.
    await card.locator(f"#pickup-day-{rx_id}").fill(today.isoformat())
    await card.locator(f"#pickup-at-{rx_id}").select_option("15:30")
    await card.get_by_role("button", name=T("pickup.submit")).tap()
    error = page.locator(f"#pickup-day-error-{rx_id}")
    await expect(error).to_contain_text("全民健康保險醫療辦法第24條")
    await expect(error).to_contain_text(opens.isoformat())
    await expect(page.locator(f"#pickup-day-{rx_id}")).to_have_value(today.isoformat())
    await expect(page.locator(f"#pickup-at-{rx_id}")).to_have_value("15:30")
    await page.screenshot(path=str(SHOTS / "pickup_window_error.png"), full_page=True)

    day = next(
        opens + timedelta(days=i) for i in range(7) if (opens + timedelta(days=i)).weekday() < 5
    )
    await page.locator(f"#pickup-day-{rx_id}").fill(day.isoformat())
    await page.get_by_role("button", name=T("pickup.submit")).tap()
    await page.wait_for_url(re.compile(r".*/pickup\?booked=\d+#refills$"))
    booked = page.locator(f"#refill-{rx_id} .booking")
    await expect(booked).to_contain_text(f"{day.isoformat()}")
    await expect(booked).to_contain_text("15:30")
    await page.screenshot(path=str(SHOTS / "pickup_booked.png"), full_page=True)

    # The pharmacist sees it on that day's list, to prepare the drugs.
    ph = await pickup_env.logged_in("pharmacy", "pharmacist")
    _, html, _ = await ph.get(f"/pharmacy?pickups_day={day.isoformat()}")
    section = html[html.index('id="pickups"') :]
    section = section[: section.index("</section>")]
    assert "15:30" in section and f"/pharmacy/rx/{rx_id}" in section and "藥局病人" in section

    await page.get_by_role("button", name=T("pickup.cancel")).tap()
    await page.wait_for_url(re.compile(r".*/pickup\?cancelled=\d+#refills$"))
    await expect(page.locator(f"#refill-{rx_id} .booking")).to_have_count(0)
    await expect(card.get_by_role("button", name=T("pickup.submit"))).to_be_visible()
    _, html, _ = await ph.get(f"/pharmacy?pickups_day={day.isoformat()}")
    assert f"/pharmacy/rx/{rx_id}" not in html[html.index('id="pickups"') :].split("</section>")[0]
    assert not script_errors
    await context.close()
