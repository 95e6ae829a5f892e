"""In Chromium: the front desk registers, the cloud goes down, the pages move to the box with
the 「離線作業模式」 banner, the doctor finishes, the drug bag prints on the virtual printer, the
cloud returns, the pages move back and the visit is in the cloud with its IC upload queued."""

from __future__ import annotations

import re

import pytest
from e2e_helpers import (
    box_outbox,
    box_rows,
    cloud_rows,
    demo_login,
    printed_jobs,
    reported_working_set,
    wait_for,
)
from playwright.async_api import Browser, Page

from clinicbox.demo import DemoStack
from clinicbox.runtime.chromium import CHROMIUM
from clinicbox_core.nhi.id_number import check_digit

pytestmark = [pytest.mark.browser, pytest.mark.hardware]
pytestmark.append(
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")
)
PATIENT = "離線測試人"
BANNER = "離線作業模式"


async def sign_in(page: Page, stack: DemoStack, username: str) -> None:
    """Fill the log-in form of whichever site the page is on (the cloud or the box)."""
    code, user, password = demo_login(stack, username)
    await page.fill("input[name=institution_code]", code)
    await page.fill("input[name=username]", user)
    await page.fill("input[name=password]", password)
    await page.press("input[name=password]", "Enter")
    await page.wait_for_url(lambda url: "/login" not in url)


async def test_page_moves_to_the_box_and_back(stack: DemoStack, chromium: Browser) -> None:
    wait_for("the box's working set", lambda: (reported_working_set(stack) or {}).get("version"))
    first9 = "K12345670"[:9]
    national_id = first9 + check_digit(first9)

    # Front desk, in the cloud: a new patient, registered with 王大明醫師.
    desk = await (await chromium.new_context(locale="zh-TW")).new_page()
    await desk.goto(stack.url + "/login")
    await sign_in(desk, stack, "frontdesk")
    await desk.goto(stack.url + "/desk")
    await desk.fill("#new_patient-national_id", national_id)
    await desk.fill("#new_patient-name", PATIENT)
    await desk.fill("#new_patient-birth_date", "1968-07-09")
    await desk.select_option("#new_patient-sex", "M")
    await desk.click("#new-patient button[type=submit]")
    await desk.wait_for_url(re.compile(r".*patient_id=\d+.*"))
    await desk.select_option("#register-doctor_id", label="王大明醫師")
    await desk.click("#register-form button[type=submit]")
    row = desk.locator("tr[id^=visit-]", has_text=PATIENT)
    await row.wait_for()
    visit_id = int((await row.get_attribute("id") or "").removeprefix("visit-"))

    # The doctor opens the visit in the cloud; the box gets it through the working set.
    doc = await (await chromium.new_context(locale="zh-TW")).new_page()
    await doc.goto(f"{stack.url}/visits/{visit_id}")
    await sign_in(doc, stack, "doctor1")
    await doc.wait_for_url(f"{stack.url}/visits/{visit_id}")
    wait_for(
        "the visit on the box",
        lambda: box_rows(stack, "SELECT 1 FROM visits WHERE id = ?", visit_id),
    )
    # polled from here: wait_for_function evaluates a string, which the pages' CSP forbids
    for _ in range(400):
        if await doc.evaluate("localStorage.getItem('clinicbox.continuity_url')"):
            break
        await doc.wait_for_timeout(25)
    else:
        raise AssertionError("the page never learned the box's address")

    # The network goes down: the open page moves to the box by itself.
    stack.group.stop("cloud")
    await doc.wait_for_url(re.compile(re.escape(stack.box_url) + r"/login.*"), timeout=30_000)
    await doc.locator("#continuity-banner", has_text=BANNER).wait_for()
    await sign_in(doc, stack, "doctor1")
    await doc.wait_for_url(f"{stack.box_url}/visits/{visit_id}")
    await doc.locator("#continuity-banner", has_text=BANNER).wait_for()
    await doc.click("form[action$='/start'] button")
    await doc.fill("#diagnosis-code", "J06.9")
    await doc.press("#diagnosis-code", "Enter")
    await doc.locator("#diagnoses code", has_text="J06.9").wait_for()
    drug = box_rows(stack, "SELECT code FROM tenant_drugs ORDER BY code LIMIT 1")[0][0]
    await doc.fill("#drug-drug_code", drug)
    await doc.fill("#drug-dose", "1")
    await doc.fill("#drug-days", "3")
    await doc.press("#drug-days", "Enter")
    await doc.locator("#drugs code", has_text=drug).wait_for()
    await doc.click("form[action$='/finish'] button")
    await doc.locator(".fee-code").first.wait_for()

    # The front desk's page moved too: bill and print the drug bag on the box's printer.
    await desk.wait_for_url(re.compile(re.escape(stack.box_url) + r"/.*"), timeout=30_000)
    if "/login" in desk.url:
        await sign_in(desk, stack, "frontdesk")
    await desk.goto(f"{stack.box_url}/visits/{visit_id}/bill")
    await desk.locator("#continuity-banner", has_text=BANNER).wait_for()
    await desk.click("form[action$='/settle'] button")
    await desk.wait_for_url(re.compile(r".*/bill#prints"))
    jobs_before = len(printed_jobs(stack))
    await desk.click("form[action$='/print']:has(input[value=drugbag]) button")
    await desk.locator("#print-jobs .job-done").wait_for(timeout=20_000)
    wait_for("the drug bag", lambda: len(printed_jobs(stack)) > jobs_before)
    # the offline work waits in the outbox while the cloud is away
    wait_for("offline records in the outbox", lambda: box_outbox(stack)[1] > 0)

    # The network returns: the work goes up and the page goes back to the cloud.
    stack.start_cloud()
    await desk.wait_for_url(re.compile(re.escape(stack.url) + r"/.*"), timeout=60_000)
    created, waiting = box_outbox(stack)
    assert waiting == 0
    inbox = cloud_rows(stack, "SELECT count(*), count(DISTINCT seq) FROM box_inbox")[0]
    print(f"\ncontinuity (browser) counts: created on the box={created}, in the cloud={inbox[0]}")
    assert inbox == (created, created)
    visit = cloud_rows(
        stack,
        "SELECT v.status, r.made_up_later, r.status, "
        " (SELECT count(*) FROM print_jobs j WHERE j.visit_id = v.id AND j.status = 'done') "
        "FROM visits v JOIN ic_upload_records r ON r.visit_id = v.id WHERE v.id = ?",
        visit_id,
    )
    assert visit == [("billed", 1, "pending", 1)]
    assert cloud_rows(
        stack, "SELECT count(*) FROM visits v JOIN patients p ON p.id = v.patient_id "
        "WHERE p.name = ?", PATIENT,
    ) == [(1,)]  # fmt: skip
