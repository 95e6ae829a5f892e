"""經營報表 over HTTP: the admin's page and CSV agree, a wrong range is explained next to its
field with what was typed kept, and staff without the admin role cannot see money."""

from __future__ import annotations

import csv
import io
import re

from web_env import WebEnv
from web_steps import consult, create_patient, register

from cloud_plane.services.clock import clinic_day, utc_now


async def test_reports_page_and_csv(env: WebEnv) -> None:
    desk = await env.logged_in("west", "frontdesk")
    doctor = await env.logged_in("west", "doctor1")
    admin = await env.logged_in("west", "admin")
    visit_id = await register(desk, await create_patient(desk, "報表頁"), "王大明醫師")
    await consult(doctor, visit_id)
    _, bill_page, _ = await desk.get(f"/visits/{visit_id}/bill")
    due = re.search(r'<dd id="amount-due">([\d,]+) 元</dd>', bill_page)
    assert due
    status, _, _ = await desk.post(f"/visits/{visit_id}/settle", {"paid": due.group(1)})
    assert status == 303

    today = clinic_day(utc_now()).isoformat()
    query = f"date_from={today}&date_to={today}&group_by=doctor"
    status, page, _ = await admin.get(f"/reports?{query}")
    assert status == 200
    assert 'href="/reports"' in page  # the admin's nav shows 報表
    row = re.search(r'<tr data-key="\d+"><td>王大明醫師</td>(.*?)</tr>', page, re.S)
    assert row, page
    cells = [int(c.replace(",", "")) for c in re.findall(r'<td class="num">([\d,]+)</td>', row[1])]
    visits, settled, collected = cells[0], cells[1], cells[-1]
    assert visits >= 1 and settled >= 1 and collected >= int(due.group(1).replace(",", ""))

    status, body, headers = await admin.get(f"/reports.csv?{query}")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert body.startswith("\ufeff")  # Excel reads the Chinese headers as UTF-8
    table = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert table[0][:3] == ["醫師", "就診人次", "已結帳"]
    doctor_row = next(r for r in table if r[0] == "王大明醫師")
    assert [int(x) for x in doctor_row[1:]] == cells
    assert table[-1][0] == "合計"


async def test_wrong_range_is_explained_and_kept(env: WebEnv) -> None:
    admin = await env.logged_in("west", "admin")
    status, page, _ = await admin.get("/reports?date_from=2025-03-10&date_to=2025-03-01")
    assert status == 400
    assert "「迄日」不可早於「起日」。" in page
    assert 'value="2025-03-10"' in page and 'value="2025-03-01"' in page
    assert 'id="report-date_to" name="date_to"' in page and 'aria-invalid="true"' in page
    status, page, _ = await admin.get("/reports?date_from=2025-13-40&date_to=2025-03-01")
    assert status == 400 and "「起日」日期格式不正確" in page
    status, _, _ = await admin.get("/reports.csv?date_from=2025-03-10&date_to=2025-03-01")
    assert status == 400


async def test_nav_shows_only_what_the_role_may_use(env: WebEnv) -> None:
    doctor = await env.logged_in("west", "doctor1")
    _, page, _ = await doctor.get("/desk")
    assert 'href="/closeout"' not in page  # 日結 is the front desk's; Alt+L stays free
    assert 'href="/reports"' not in page
    assert (await doctor.get("/closeout"))[0] == 403
    desk = await env.logged_in("west", "frontdesk")
    _, page, _ = await desk.get("/desk")
    assert 'href="/closeout"' in page


async def test_front_desk_sees_no_reports(env: WebEnv) -> None:
    desk = await env.logged_in("west", "frontdesk")
    _, page, _ = await desk.get("/desk")
    assert 'href="/reports"' not in page
    status, _, _ = await desk.get("/reports")
    assert status == 403
    status, _, _ = await desk.get("/reports.csv")
    assert status == 403
