"""The clinic day over HTTP: register → consult → finish → bill → settle → print."""

from __future__ import annotations

import re

from web_env import WebEnv
from web_steps import consult, create_patient, register

from clinicbox_core.errors import DeviceError


async def test_clinic_day(env: WebEnv) -> None:
    desk = await env.logged_in("west", "frontdesk")
    doctor = await env.logged_in("west", "doctor1")

    patient_id = await create_patient(desk, "陳小華")
    status, page, _ = await desk.get(f"/desk?patient_id={patient_id}")
    assert status == 200
    assert re.search(rf'value="{patient_id}"\s+checked', page)

    visit_id = await register(desk, patient_id, "王大明醫師")
    _, page, _ = await desk.get("/desk")
    row = re.search(rf'<tr id="visit-{visit_id}".*?</tr>', page, re.S)
    assert row, "the new visit is not in today's queue"
    assert "陳小華" in row.group(0) and "候診" in row.group(0) and "王大明醫師" in row.group(0)
    assert "01 西醫門診" in row.group(0)

    await consult(doctor, visit_id)
    _, page, _ = await doctor.get(f"/visits/{visit_id}")
    assert "待批價" in page
    assert "J06.9" in page and "喉嚨痛三天" in page
    fee = re.search(r'<code class="fee-code">(\d{5}[A-Z])</code>', page)
    assert fee, "the consultation fee code is shown after finishing"

    status, page, _ = await desk.get(f"/visits/{visit_id}/bill")
    assert status == 200
    due = re.search(r'<dd id="amount-due">([\d,]+) 元</dd>', page)
    assert due
    amount = int(due.group(1).replace(",", ""))
    assert amount > 0
    assert "copay-primary-" in page  # the copay rule id is shown
    status, page, headers = await desk.post(f"/visits/{visit_id}/settle", {"paid": str(amount - 1)})
    assert status == 400
    assert f"實收 {amount - 1} 元少於應收 {amount} 元。" in page
    assert f'value="{amount - 1}"' in page  # the typed amount is kept
    status, _, headers = await desk.post(f"/visits/{visit_id}/settle", {"paid": str(amount + 100)})
    assert status == 303
    _, page, _ = await desk.follow(headers)
    assert "已批價" in page and "結帳" in page
    assert "找零" in page and ">100 元<" in page.replace("</dd>", "<")

    status, _, headers = await desk.post(f"/visits/{visit_id}/print", {"kind": "drugbag"})
    assert status == 303
    assert len(env.dispatcher.jobs) == 1
    sent = env.dispatcher.jobs[0]
    assert sent.tenant_slug == "demo-west"
    assert sent.box_id == "box-demo-1"
    assert sent.job.printer == "drugbag"
    assert "陳小華" in sent.job.document.plain_text()
    _, page, _ = await desk.follow(headers)
    job = re.search(rf'data-job-id="{sent.job.job_id}".*?</li>', page, re.S)
    assert job and "藥袋" in job.group(0) and "已送出" in job.group(0)

    env.dispatcher.fail_with = DeviceError("error.boxlink.unavailable")
    status, _, headers = await desk.post(f"/visits/{visit_id}/print", {"kind": "receipt"})
    assert status == 303
    _, page, _ = await desk.follow(headers)
    failed = re.search(r'<li class="job job-failed".*?</li>', page, re.S)
    assert failed, page
    assert "收據" in failed.group(0) and "失敗" in failed.group(0)
    assert "無法傳送到看診盒" in failed.group(0)
    assert len(env.dispatcher.jobs) == 1


async def test_doctor_cannot_settle(env: WebEnv) -> None:
    desk = await env.logged_in("west", "frontdesk")
    doctor = await env.logged_in("west", "doctor1")
    visit_id = await register(desk, await create_patient(desk, "權限測試"), "王大明醫師")
    await consult(doctor, visit_id)
    status, page, _ = await doctor.get(f"/visits/{visit_id}/bill")
    assert status == 403
    assert "您的角色不能執行這個動作。" in page
