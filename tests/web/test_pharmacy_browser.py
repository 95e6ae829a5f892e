"""The pharmacist's day in Chromium, keyboard only: the slip's QR code typed by a keyboard-wedge
scanner, a first-time patient (the name is asked for, then the NHI card read at the box fills it),
a wrong card refused, the first 慢箋 fill dispensed with 藥事服務費 and copay, drug bag and
receipt printed, the second fill refused as too early (the rule cited), the wedge landing in the
wrong field handled, and stock received with a wrong expiry first. Screenshots of the pharmacy
pages go to docs/screenshots/ only with CLINICBOX_SCREENSHOTS=update."""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest
from pharmacy_steps import card_at_box, pharmacy_codes, slip_code
from playwright.async_api import Browser as PwBrowser
from playwright.async_api import Page, expect
from web_chromium import SHOTS, wait_focus
from web_env import WebEnv
from web_steps import new_national_id

from clinicbox_core.nhi.card import NhiCardBasic

pytestmark = pytest.mark.browser
BORN = date(1958, 6, 7)


async def login_pharmacist(page: Page, base: str, env: WebEnv) -> None:
    spec = env.info.clinic("demo-pharmacy")
    login = next(x for x in spec.logins if x.username == "pharmacist")
    await page.goto(base + "/login")
    await wait_focus(page, "institution_code")
    for text in (spec.nhi_code, login.username, login.password):
        await page.keyboard.type(text)
        await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r".*/pharmacy$"))  # a pharmacy's counter is /pharmacy


async def focused(page: Page) -> str:
    return str(await page.evaluate("document.activeElement?.name || ''"))


async def live(page: Page) -> None:
    """Wait until the page's event stream is open (the server has subscribed it)."""
    await expect(page.locator("body[data-live=open]")).to_have_count(1)


async def test_pharmacist_day_by_keyboard(env: WebEnv, chromium: PwBrowser) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = str(env.server.make_url("")).rstrip("/")
    codes = await pharmacy_codes(env.engine)
    national_id = new_national_id("F")
    code = slip_code(national_id, BORN, codes)
    context = await chromium.new_context(viewport={"width": 1400, "height": 900}, locale="zh-TW")
    page = await context.new_page()
    await login_pharmacist(page, base, env)
    await expect(page.locator("#scan-rx_code")).to_be_focused()

    # 1. The scanner types the code and Enter; the patient is new: the name is asked for and
    #    the scanned code is kept.
    await page.keyboard.type(code)
    await page.keyboard.press("Enter")
    error = page.locator("#scan-name-error")
    await error.wait_for()
    assert "姓名" in await error.inner_text() and "健保卡" in await error.inner_text()
    assert await page.locator("#scan-rx_code").input_value() == code
    await expect(page.locator("#scan-name")).to_be_focused()

    # 2. The NHI card goes into the pharmacy's reader: the box's event fills the name.
    card = NhiCardBasic(
        card_no="900000000123", name="許淑芬", id_no=national_id, birth_date=BORN, sex="F",
        issue_date=date(2020, 1, 2),
    )  # fmt: skip
    await live(page)
    await card_at_box(env.engine, env.hub, "demo-pharmacy", card, f"box-ph-{uuid.uuid4().hex[:8]}")
    await expect(page.locator("#scan-name")).to_have_value("許淑芬")
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r".*/pharmacy/rx/\d+"))
    rx_url = page.url.split("#")[0]
    assert "許淑芬" in await page.locator(".patient-header").inner_text()
    await page.screenshot(path=str(SHOTS / "pharmacy_rx.png"), full_page=True)

    # 3. A wrong card ID: refused, naming the field, what was typed is still there.
    await expect(page.locator("#dispense-card_id")).to_be_focused()
    wrong = new_national_id("F")
    await page.keyboard.type(wrong)
    await page.keyboard.press("Alt+d")
    err = page.locator("#dispense-card_id-error")
    await err.wait_for()
    assert "健保卡身分證號" in await err.inner_text()
    assert await page.locator("#dispense-card_id").input_value() == wrong

    # 4. The right card: first fill dispensed, 05210B, no copay for a 慢箋 (I22).
    await page.keyboard.press("Control+a")
    await page.keyboard.type(national_id)
    await page.keyboard.press("Alt+d")
    await page.wait_for_url(re.compile(r".*/pharmacy/rx/\d+#prints"))
    fills = await page.locator("ul.fills").inner_text()
    assert "05210B" in fills and "第 1 次調劑" in fills
    assert "全民健康保險醫療辦法第24條" in await page.locator("#refill-window").inner_text()

    # 5. Drug bag and receipt through the print path.
    await page.keyboard.press("Alt+1")
    await page.locator("#print-jobs .job").first.wait_for()
    await page.keyboard.press("Alt+2")
    await expect(page.locator("#print-jobs .job")).to_have_count(2)
    mine = [d.job for d in env.dispatcher.jobs if d.tenant_slug == "demo-pharmacy"]
    assert [j.printer for j in mine] == ["drugbag", "receipt"]
    drug_bag = mine[0].document.model_dump_json()
    assert "許淑芬" in drug_bag
    await page.screenshot(path=str(SHOTS / "pharmacy_dispensed.png"), full_page=True)

    # 6. The second fill today is too early: the message cites the rule, nothing is lost.
    await page.goto(rx_url)
    await expect(page.locator("#dispense-card_id")).to_be_focused()
    await page.keyboard.type(national_id)
    await page.keyboard.press("Alt+d")
    early = page.locator("#dispense-fill_no-error")
    await early.wait_for()
    text = await early.inner_text()
    assert "還不能領第 2 次慢箋" in text and "全民健康保險醫療辦法第24條" in text
    assert await page.locator("#dispense-card_id").input_value() == national_id

    # 7. A wedge scan landing in the wrong field (the typed form's ID field) is moved to the
    #    scan field and that field gets back what it held; the same slip is found again.
    await page.keyboard.press("Alt+x")
    await page.wait_for_url(re.compile(r".*/pharmacy$"))
    await expect(page.locator("#scan-rx_code")).to_be_focused()
    await page.keyboard.press("Alt+n")
    await expect(page.locator("#typed-national_id")).to_be_focused()
    await page.keyboard.type(code)
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r".*/pharmacy/rx/\d+"))
    assert page.url.split("#")[0] == rx_url
    await page.goto(base + "/pharmacy")
    await page.screenshot(path=str(SHOTS / "pharmacy.png"), full_page=True)

    # 8. Stock: a delivery with an expiry in the past is refused next to 有效期限.
    await page.keyboard.press("Alt+w")
    await page.wait_for_url(re.compile(r".*/stock$"))
    await page.keyboard.press("Alt+g")
    await expect(page.locator("#receive-code")).to_be_focused()
    for text in (codes[0], "LOT-NEW-1", "2020-01-31", "120", "1.5"):
        await page.keyboard.type(text)
        await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    bad = page.locator("#receive-expiry-error")
    await bad.wait_for()
    assert "有效期限" in await bad.inner_text()
    assert await page.locator("#receive-lot_no").input_value() == "LOT-NEW-1"
    await expect(page.locator("#receive-expiry")).to_be_focused()
    await page.keyboard.press("Control+a")
    await page.keyboard.type("2031-01-31")
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r".*/stock#lots"))
    assert "LOT-NEW-1" in await page.locator("#lots").inner_text()
    await page.screenshot(path=str(SHOTS / "stock.png"))  # the lot list is long: first screen
    await context.close()
