"""The doctor's day in a real browser (Chromium), keyboard only, at a 西醫, a 中醫 and a 牙醫
clinic: history and allergies, repeat last prescription, a 慢性病連續處方箋, 組套, herbal lines,
treatments and tooth positions; each with wrong inputs that get a zh-TW message naming the field
while everything typed stays; the prescription slip's QR code decodes to what was prescribed."""

from __future__ import annotations

import re
from datetime import date

import pytest
from doctor_steps import field_error, field_value, post_ok, register_visit, retype, submit
from playwright.async_api import Browser as PwBrowser
from playwright.async_api import BrowserContext, Page
from web_chromium import SHOTS, keyboard_login
from web_env import WebEnv
from web_steps import create_patient

from clinicbox_core.prescription.payload import RxKind
from clinicbox_core.prescription.qr_codec import decode_rx
from clinicbox_core.printdoc.model import QrCode

pytestmark = pytest.mark.browser

SLIP_28_SELF = {"00159C", "00161C", "00163C", "00165C", "00167C"}


async def doctor_page(
    env: WebEnv, chromium: PwBrowser, clinic: str, user: str = "doctor1"
) -> tuple[BrowserContext, Page, str]:
    base = str(env.server.make_url("")).rstrip("/")
    spec = env.info.clinic(f"demo-{clinic}")
    login = next(x for x in spec.logins if x.username == user)
    context = await chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-TW")
    page = await context.new_page()
    await keyboard_login(page, base, spec.nhi_code, login.username, login.password)
    return context, page, base


async def test_western_doctor_chronic_slip_by_keyboard(env: WebEnv, chromium: PwBrowser) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    desk = await env.logged_in("west", "frontdesk")
    pid = await create_patient(desk, "慢箋病人", born=date(1958, 4, 2))
    # An earlier chronic visit, done over HTTP: I10 and a formulary drug QD for 28 days.
    doc = await env.logged_in("west", "doctor1")
    first = await register_visit(desk, pid, "王大明醫師", department="01", visit_type="01")
    await doc.get(f"/visits/{first}")
    _, body = await doc.get_json("/api/drugs?q=A")
    hit = next(h for h in body["items"] if h["in_formulary"] and h["price_points"])
    code, generic = hit["code"], hit["name_zh"].split()[0]
    for path, data in (
        (f"/visits/{first}/start", {}),
        (f"/visits/{first}/diagnoses", {"code": "I10"}),
        (f"/visits/{first}/drugs",
         {"drug_code": code, "dose": "1", "frequency": "QD", "route": "PO", "days": "28"}),
        (f"/visits/{first}/finish", {}),
    ):  # fmt: skip
        await post_ok(doc, path, data)
    visit = await register_visit(desk, pid, "王大明醫師", department="01", visit_type="01")

    context, page, base = await doctor_page(env, chromium, "west")
    await page.goto(f"{base}/visits/{visit}")
    history = page.locator("#history")
    assert "I10" in await history.inner_text() and code in await history.inner_text()
    await submit(page, "Alt+s")  # 開始看診

    # Allergies: the patient says they react to the drug's ingredient.
    await page.keyboard.press("Alt+a")
    await retype(page, generic)
    await submit(page, "Enter")
    # Repeat last prescription: I10 and the drug come back, and the allergy is flagged.
    await submit(page, "Alt+r")
    assert "I10" in await page.locator("#diagnoses").inner_text()
    await page.locator("#allergy-conflicts").wait_for()
    assert generic in await page.locator("#allergy-conflicts").inner_text()
    assert await page.locator("#drugs tr.conflict").count() == 1

    # Wrong input 1: a drug no longer covered on the visit date.
    await page.keyboard.press("Alt+m")
    await retype(page, env.info.delisted_drug or "")
    await page.keyboard.press("Tab")
    await retype(page, "2")
    await submit(page, "Enter")
    err = await field_error(page, "drug", "drug_code")
    assert "藥品代碼" in err and "不在健保給付期間" in err, err
    assert await field_value(page, "drug", "drug_code") == env.info.delisted_drug
    assert await field_value(page, "drug", "dose") == "2"

    # Wrong input 2: a dose far over the usual one.
    await page.keyboard.press("Alt+m")
    await retype(page, code)
    await page.keyboard.press("Tab")
    await retype(page, "50")
    await submit(page, "Enter")
    err = await field_error(page, "drug", "dose")
    assert "用量" in err and "超出範圍" in err, err
    assert await field_value(page, "drug", "dose") == "50"
    assert await field_value(page, "drug", "drug_code") == code

    # Wrong input 3: a 慢箋 of 35 days a fill; then the right one (3 fills × 28 days).
    await page.keyboard.press("Alt+k")
    await page.keyboard.press("Tab")
    await retype(page, "35")
    await submit(page, "Enter")
    err = await field_error(page, "chronic", "days_per_fill")
    assert "每次給藥日份" in err and "28" in err and "30" in err, err
    assert await field_value(page, "chronic", "days_per_fill") == "35"
    await page.keyboard.press("Alt+k")
    await page.keyboard.press("Tab")
    await retype(page, "28")
    await submit(page, "Enter")
    assert "慢箋 3 次 × 28 天" in await page.locator("#chronic").inner_text()

    await submit(page, "Alt+e")  # 完成看診
    fee_codes = await page.locator(".fee-code").all_inner_texts()
    assert SLIP_28_SELF & set(fee_codes), fee_codes
    _, detail = await doc.get_json(f"/api/visits/{visit}")
    assert detail["visit"]["case_type"] == "04"
    await page.screenshot(path=str(SHOTS / "doctor-west.png"), full_page=True)

    # The slip goes to the box's receipt printer; its QR code carries the prescription.
    before = len(env.dispatcher.jobs)
    await submit(page, "Alt+p")
    job = env.dispatcher.jobs[before].job
    assert job.printer == "receipt"
    qr = next(b for b in job.document.blocks if isinstance(b, QrCode))
    rx = decode_rx(qr.data)
    assert (rx.kind, rx.fills_total, rx.fill_no, rx.days_per_fill) == (RxKind.CHRONIC, 3, 2, 28)
    assert rx.case_type == "04" and rx.nhi_seq == "A010" and "I10" in rx.diagnoses
    assert [(i.code, i.days, i.total) for i in rx.items] == [(code, 28, 28)]
    assert "慢性病連續處方箋" in job.document.plain_text()
    # The browser print view shows the same code.
    await submit(page, "Alt+v")
    payload = await page.locator(".rx-qr").get_attribute("data-payload")
    assert payload is not None and decode_rx(payload) == rx
    assert await page.locator(".rx-qr svg").count() == 1
    await context.close()


async def test_tcm_doctor_herbs_and_acupuncture_by_keyboard(
    env: WebEnv, chromium: PwBrowser
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    desk = await env.logged_in("tcm", "frontdesk")
    pid = await create_patient(desk, "中醫病人", sex="F", born=date(1985, 9, 9))
    visit = await register_visit(desk, pid, "林中醫師", department="60", visit_type="03")
    context, page, base = await doctor_page(env, chromium, "tcm")
    await page.goto(f"{base}/visits/{visit}")
    await submit(page, "Alt+s")
    await page.keyboard.press("Alt+d")
    await page.keyboard.type("M54.50")
    await submit(page, "Enter")

    # Herbs by grams per day; wrong input first: 45 g a day is out of range.
    await page.keyboard.press("Alt+g")
    await page.keyboard.type("A001135")
    await page.keyboard.press("Tab")
    await retype(page, "45")
    await page.keyboard.press("Tab")
    await retype(page, "7")
    await submit(page, "Enter")
    err = await field_error(page, "herb", "grams_per_day")
    assert "每日克數" in err and "30" in err, err
    assert await field_value(page, "herb", "herb_code") == "A001135"
    assert await field_value(page, "herb", "grams_per_day") == "45"
    assert await field_value(page, "herb", "herb_days") == "7"
    await page.keyboard.press("Alt+g")
    await page.keyboard.press("Tab")
    await retype(page, "4.5")
    await submit(page, "Enter")
    row = page.locator("#drugs tbody tr").first
    assert "A001135" in await row.inner_text() and "g/日" in await row.inner_text()
    # Wrong input: a code that is not an NHI herbal code.
    await page.keyboard.press("Alt+g")
    await retype(page, "ZZ9999")
    await submit(page, "Enter")
    err = await field_error(page, "herb", "herb_code")
    assert "中藥代碼" in err and "ZZ9999" in err, err

    # Acupuncture: the with-herbs code, kept as B41 because herbs were prescribed.
    await page.keyboard.press("Alt+i")  # the treatment list; its first choice is 針灸
    await page.keyboard.press("Tab")
    await submit(page, "Enter")
    assert "B41" in await page.locator("#procedures").inner_text()

    # Save the visit as a 組套 for the next patient with the same complaint.
    await page.keyboard.press("Alt+n")
    await page.keyboard.type("腰痛針藥")
    await submit(page, "Enter")
    await page.screenshot(path=str(SHOTS / "doctor-tcm.png"), full_page=True)
    await submit(page, "Alt+e")
    fees = await page.locator(".fee-code").all_inner_texts()
    assert "A01" in fees or "A03" in fees or "A05" in fees, fees  # nurse present column
    assert "A21" in await page.locator("#drugs").inner_text()  # 每日藥費 × 7 days
    doc = await env.logged_in("tcm", "doctor1")
    _, detail = await doc.get_json(f"/api/visits/{visit}")
    assert detail["visit"]["case_type"] == "29"

    # The next patient: the 組套 fills in the diagnosis, herb and treatment in one step.
    other = await create_patient(desk, "中醫複診", sex="M", born=date(1970, 1, 1))
    second = await register_visit(desk, other, "林中醫師", department="60", visit_type="03")
    await page.goto(f"{base}/visits/{second}")
    await submit(page, "Alt+s")
    await page.keyboard.press("Alt+t")
    await page.keyboard.press("Tab")
    await submit(page, "Enter")
    text = await page.locator("main").inner_text()
    assert "M54.50" in text and "A001135" in text and "B41" in text
    await context.close()


async def test_dental_doctor_tooth_chart_by_keyboard(env: WebEnv, chromium: PwBrowser) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    desk = await env.logged_in("dental", "frontdesk")
    pid = await create_patient(desk, "牙科病人", sex="F", born=date(1992, 6, 1))
    visit = await register_visit(desk, pid, "謝牙醫師", department="40", visit_type="02")
    context, page, base = await doctor_page(env, chromium, "dental")
    await page.goto(f"{base}/visits/{visit}")
    await submit(page, "Alt+s")
    await page.keyboard.press("Alt+d")
    await page.keyboard.type("K02.52")
    await submit(page, "Enter")

    # A filling without a tooth: the 牙位 is required at a dental clinic.
    await page.keyboard.press("Alt+i")
    await page.keyboard.type("89008C")
    await submit(page, "Enter")
    err = await field_error(page, "procedure", "tooth")
    assert "牙位" in err, err
    assert await field_value(page, "procedure", "code") == "89008C"
    # A tooth that does not exist (19): named in the message, the code stays typed.
    await page.keyboard.press("Alt+h")
    await page.keyboard.type("36 19")
    await submit(page, "Enter")
    err = await field_error(page, "procedure", "tooth")
    assert "19" in err and "FDI" in err, err
    assert await field_value(page, "procedure", "tooth") == "36 19"
    assert await field_value(page, "procedure", "code") == "89008C"
    # The chart: Tab from the 牙位 field to the teeth, Space presses one (36 toggles off).
    await page.keyboard.press("Alt+h")
    await retype(page, "36")
    tooth_37 = page.locator('button[data-tooth="37"]')
    await tooth_37.focus()
    await page.keyboard.press("Space")
    assert await field_value(page, "procedure", "tooth") == "36 37"
    assert await tooth_37.get_attribute("aria-pressed") == "true"
    await page.keyboard.press("Alt+h")
    await submit(page, "Enter")
    procedures = await page.locator("#procedures").inner_text()
    assert "89008C" in procedures and "3637" in procedures
    await page.screenshot(path=str(SHOTS / "doctor-dental.png"), full_page=True)

    # A drug delivered to a pharmacy (交付調劑): finishing picks 00121C/00123C, the slip prints.
    doc = await env.logged_in("dental", "doctor1")
    _, body = await doc.get_json("/api/drugs?q=A")
    code = next(h for h in body["items"] if h["in_formulary"] and h["price_points"])["code"]
    await page.keyboard.press("Alt+m")
    await page.keyboard.type(code)
    await submit(page, "Enter")
    await submit(page, "Alt+e")
    fees = await page.locator(".fee-code").all_inner_texts()
    assert {"00121C", "00123C"} & set(fees), fees
    _, detail = await doc.get_json(f"/api/visits/{visit}")
    assert detail["visit"]["case_type"] in ("11", "19")
    await submit(page, "Alt+v")
    payload = await page.locator(".rx-qr").get_attribute("data-payload")
    assert payload is not None
    rx = decode_rx(payload)
    assert (rx.kind, rx.fill_no, rx.items[0].code) == (RxKind.GENERAL, 1, code)
    assert re.fullmatch(r"\d{8}-\d+", rx.slip_no)
    await page.screenshot(path=str(SHOTS / "rx-print.png"), full_page=True)
    await context.close()
