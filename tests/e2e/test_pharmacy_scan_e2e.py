"""A serial barcode scanner on the box, across real processes: a pty pair stands in for the
scanner (the box process opens the slave side with pyserial, the test types the slip's code
into the master side as the scanner would) → box outbox → Mosquitto (TLS) → cloud inbox →
the pharmacist's page in Chromium, which takes the code and receives the slip live."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from e2e_helpers import cloud_rows, wait_for
from playwright.async_api import Browser, expect

from clinicbox.demo import DEMO_TENANT, DemoStack
from clinicbox.runtime.chromium import CHROMIUM
from clinicbox_core.nhi.id_number import check_digit
from clinicbox_core.prescription.payload import RxItem, RxKind, RxPayload
from clinicbox_core.prescription.qr_codec import encode_rx

pytestmark = [pytest.mark.browser, pytest.mark.hardware]
pytestmark.append(
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")
)


@pytest.fixture(scope="module")
def scanner_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DemoStack, int]]:
    master, slave = os.openpty()
    scanners = [{"name": "counter-scanner", "serial_device": os.ttyname(slave), "retry_s": 0.2}]
    old = os.environ.get("CLINICBOX_BOX__SCANNERS")
    os.environ["CLINICBOX_BOX__SCANNERS"] = json.dumps(scanners)  # read by the box process
    demo = DemoStack(tmp_path_factory.mktemp("e2e-scan"))
    try:
        demo.start_all()
        yield demo, master
    finally:
        demo.stop_all()
        if old is None:
            os.environ.pop("CLINICBOX_BOX__SCANNERS", None)
        else:
            os.environ["CLINICBOX_BOX__SCANNERS"] = old
        os.close(master)
        os.close(slave)


async def test_serial_scan_reaches_the_pharmacists_page(
    scanner_stack: tuple[DemoStack, int], chromium: Browser
) -> None:
    stack, master = scanner_stack
    assert stack.info is not None
    clinic = stack.info.clinic(DEMO_TENANT)
    login = next(x for x in clinic.logins if x.username == "pharmacist")
    code = cloud_rows(
        stack,
        "SELECT d.code FROM tenant_drugs d JOIN tenants t ON t.id = d.tenant_id "
        "WHERE t.slug = ? ORDER BY d.code LIMIT 1",
        DEMO_TENANT,
    )[0][0]
    nine = "K22233344"
    patient = nine + check_digit(nine)
    item = RxItem(code=code, dose=Decimal(1), frequency="TID", route="PO", days=3, total=Decimal(9))
    payload = RxPayload(
        institution_code="3501200009", slip_no="E2E-1", doctor_id="A123456789",
        visit_date=date.today(), nhi_seq="0007", case_type="09", patient_id=patient,
        patient_birth=date(1970, 1, 2), kind=RxKind.GENERAL, fills_total=1, fill_no=1,
        days_per_fill=3, diagnoses=("J06.9",), items=(item,),
    )  # fmt: skip
    slip = encode_rx(payload)

    page = await (await chromium.new_context(locale="zh-TW")).new_page()
    await page.goto(stack.url + "/login")
    await page.fill("input[name=institution_code]", clinic.nhi_code)
    await page.fill("input[name=username]", login.username)
    await page.fill("input[name=password]", login.password)
    await page.press("input[name=password]", "Enter")
    await page.wait_for_url(re.compile(r".*/desk.*"))
    await page.goto(stack.url + "/pharmacy")
    await expect(page.locator("body[data-live=open]")).to_have_count(1)
    # The scanner must be open on the box before it "scans" (bytes before that are lost, as
    # with a real scanner plugged in late).
    wait_for(
        "the box to open the scanner", lambda: _box_log_says(stack, "scanner counter-scanner on ")
    )
    os.write(master, slip.encode("ascii") + b"\r\n")

    # The page takes the code from the live event and submits it: a patient new to this
    # clinic needs a name, so the form comes back with the scanned code kept in it.
    await page.locator("#scan-name-error").wait_for(timeout=30_000)
    assert await page.locator("#scan-rx_code").input_value() == slip
    rows = cloud_rows(stack, "SELECT event_type FROM box_inbox WHERE event_type = 'scan.read'")
    assert len(rows) == 1


def _box_log_says(stack: DemoStack, text: str) -> bool:
    for path in stack.workdir.rglob("box*.log"):
        if text in path.read_text(encoding="utf-8", errors="replace"):
            return True
    return False
