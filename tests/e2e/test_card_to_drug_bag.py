"""The foundation's end-to-end path across real processes: an NHI card goes into the (virtual)
reader → pcscd → box → outbox → Mosquitto (TLS) → cloud → the visit appears on the front-desk
page in Chromium → the doctor adds two diagnoses and two drug orders and finishes → billing
shows the copay the NHI rule gives → the drug bag comes out of the (virtual) ESC/POS printer with
the patient's name and both drug names in Chinese."""

from __future__ import annotations

import asyncio
import json
import math
import re
import urllib.request

import pytest
from e2e_helpers import cloud_rows, demo_login, wait_for
from playwright.async_api import Browser, Page

from clinicbox.demo import DemoStack
from clinicbox.runtime.chromium import CHROMIUM
from clinicbox_core.nhi.id_number import check_digit
from devsim.card_control import control

pytestmark = [pytest.mark.browser, pytest.mark.hardware]

pytestmark.append(
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")
)
PATIENT = "林志明"


def nhi_drug_copay(points: int) -> int:
    """基層 drug copay from 2023-07-01 (shared/reference/nhi.md §8), written out independently of
    clinicbox_core so the test checks the implementation: ≤100 → 0, 20 per started 100, cap 200."""
    return 0 if points <= 100 else min(200, 20 * math.ceil((points - 100) / 100))


async def login(page: Page, stack: DemoStack, username: str) -> None:
    code, user, password = demo_login(stack, username)
    await page.goto(stack.url + "/login")
    await page.fill("input[name=institution_code]", code)
    await page.fill("input[name=username]", user)
    await page.fill("input[name=password]", password)
    await page.press("input[name=password]", "Enter")
    await page.wait_for_url(re.compile(r".*/desk.*"))


def printed_jobs(stack: DemoStack) -> list[dict[str, object]]:
    with urllib.request.urlopen(stack.printer_url + "/jobs", timeout=5) as resp:
        body = json.load(resp)
    return list(body["jobs"] if isinstance(body, dict) else body)


def printed_text(stack: DemoStack, number: int) -> str:
    with urllib.request.urlopen(f"{stack.printer_url}/jobs/{number}.txt", timeout=5) as resp:
        return str(resp.read().decode("utf-8"))


async def test_card_in_visit_on_screen_drug_bag_out(stack: DemoStack, chromium: Browser) -> None:
    first9 = "A12873465"
    national_id = first9 + str(check_digit(first9))
    desk = await (await chromium.new_context(locale="zh-TW")).new_page()
    await login(desk, stack, "frontdesk")
    await desk.locator("#queue-body").wait_for(state="attached")

    # 1. Card in: the visit appears on the open front-desk page without a reload.
    await control(
        stack.card_control_url,
        "insert",
        {"name": PATIENT, "id_no": national_id, "birth_date": "1979-05-20", "sex": "M"},
    )
    row = desk.locator("tr[id^=visit-]", has_text=PATIENT)
    await row.wait_for(timeout=15_000)
    visit_id = int((await row.get_attribute("id") or "").removeprefix("visit-"))
    await control(stack.card_control_url, "remove")

    # 2. The doctor: two diagnoses, two drug orders, finish.
    doctor_name = cloud_rows(
        stack,
        "SELECT s.username FROM visits v JOIN staff s ON s.id = v.doctor_id WHERE v.id = ?",
        visit_id,
    )[0][0]
    doc = await (await chromium.new_context(locale="zh-TW")).new_page()
    await login(doc, stack, doctor_name)
    await doc.goto(f"{stack.url}/visits/{visit_id}")
    await doc.click("form[action$='/start'] button")
    for code in ("J06.9", "R50.9"):
        await doc.fill("#diagnosis-code", code)
        await doc.press("#diagnosis-code", "Enter")
        await doc.locator("#diagnoses code", has_text=code).wait_for()
    drugs = cloud_rows(
        stack,
        "SELECT d.code FROM tenant_drugs d JOIN tenants t ON t.id = d.tenant_id "
        "WHERE t.slug = 'demo-west' ORDER BY d.code LIMIT 2",
    )
    for (code,) in drugs:
        await doc.fill("#drug-drug_code", code)
        await doc.fill("#drug-dose", "2")
        await doc.fill("#drug-days", "7")
        await doc.press("#drug-days", "Enter")
        await doc.locator("#drugs code", has_text=code).wait_for()
    await doc.click("form[action$='/finish'] button")
    await doc.locator(".fee-code").first.wait_for()

    orders = cloud_rows(
        stack,
        "SELECT kind, name, amount_points FROM orders WHERE visit_id = ? ORDER BY ordinal",
        visit_id,
    )
    drug_lines = [(name, points) for kind, name, points in orders if kind == "drug"]
    assert len(drug_lines) == 2
    drug_points = sum(int(points) for _, points in drug_lines)

    # 3. Billing: copay = 50 basic + the drug band, as the rule says.
    await desk.goto(f"{stack.url}/visits/{visit_id}/bill")
    settle = desk.locator("#settle")
    expected_copay = 50 + nhi_drug_copay(drug_points)
    copay_text = await settle.locator("dt", has_text="部分負擔").locator("xpath=..").inner_text()
    assert re.search(rf"\b{expected_copay}\b", copay_text), (copay_text, drug_points)
    await desk.click("form[action$='/settle'] button")
    await desk.wait_for_url(re.compile(r".*/bill#prints"))

    # 4. Drug bag: printed by the box on the virtual printer, status live on the page.
    jobs_before = len(printed_jobs(stack))
    await desk.click("form[action$='/print']:has(input[value=drugbag]) button")
    await desk.locator("#print-jobs .job-done").wait_for(timeout=20_000)
    jobs = wait_for("the drug bag job", lambda: len(printed_jobs(stack)) > jobs_before or None)
    assert jobs
    text = printed_text(stack, len(printed_jobs(stack)))
    assert PATIENT in text
    for name, _ in drug_lines:
        assert re.search(r"[\u4e00-\u9fff]", name), f"drug name {name!r} is not Chinese"
        assert name in text, f"{name} missing from the drug bag:\n{text}"
    await asyncio.sleep(0)  # keep the pages alive until here
