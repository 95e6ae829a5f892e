"""健保作業 over HTTP against a real NHI sandbox process: "upload this day now" completes an 異常
visit with its no-card 就醫識別碼 and the NHI accepts it, while a visit the NHI does not know is
held with the reason and its next retry; checking the month's claims lists every finding; a
wrong month is explained next to its field and kept; only the clinic admin sees the page."""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "nhi_sandbox"))

from pydantic import SecretStr
from sandbox_env import HOSP_A, Sandbox, start, stop
from sqlalchemy import select
from web_env import Seeded, WebEnv, start_env, stop_env
from web_steps import consult, create_patient, register

from clinicbox.runtime.processes import ProcessGroup
from cloud_plane.db.tables_icupload import ic_upload_records
from cloud_plane.nhiops.settings import NhiCloudSettings, NhiHospital
from cloud_plane.services.clock import clinic_day, utc_now


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    root = tmp_path_factory.mktemp("web-nhi-sandbox")
    group = ProcessGroup(root / "logs")
    sbx = start(group, root / "data")
    try:
        yield sbx
    finally:
        stop(sbx)
        group.stop_all()


@pytest.fixture
async def nhi_env(seeded: Seeded, sandbox: Sandbox) -> AsyncIterator[WebEnv]:
    nhi = NhiCloudSettings(
        base_url=sandbox.url,
        hospitals=(
            NhiHospital(nhi_code=HOSP_A[0], sam_id=HOSP_A[1], sam_secret=SecretStr(HOSP_A[2])),
        ),
    )
    env = await start_env(seeded, nhi=nhi)
    try:
        yield env
    finally:
        await stop_env(env)


def _row(page: str, visit_id: int) -> str:
    m = re.search(
        rf'<tr data-record="\d+" data-status="(\w+)"[^>]*>'
        rf'((?:(?!</tr>).)*?/visits/{visit_id}".*?)</tr>',
        page,
        re.S,
    )
    assert m, f"visit {visit_id} not listed"
    return m.group(1) + m.group(2)


async def test_upload_now_completes_abnormal_visits_and_holds_the_rest(
    nhi_env: WebEnv, sandbox: Sandbox
) -> None:
    desk = await nhi_env.logged_in("west", "frontdesk")
    doctor = await nhi_env.logged_in("west", "doctor1")
    admin = await nhi_env.logged_in("west", "admin")
    person = sandbox.patients("active")[20]
    known = await create_patient(
        desk, person["name"], person["sex"], date.fromisoformat(person["birthday"]), person["id_no"]
    )
    unknown = await create_patient(desk, "健保查無")
    visits = []
    for patient in (known, unknown):  # registered while the card service was down
        visit_id = await register(desk, patient, "王大明醫師", abnormal_code="A020")
        await consult(doctor, visit_id)
        _, bill, _ = await desk.get(f"/visits/{visit_id}/bill")
        due = re.search(r'<dd id="amount-due">([\d,]+) 元</dd>', bill)
        assert due
        status, _, _ = await desk.post(f"/visits/{visit_id}/settle", {"paid": due.group(1)})
        assert status == 303
        visits.append(visit_id)

    today = clinic_day(utc_now())
    status, page, _ = await admin.get("/nhi")
    assert status == 200 and 'href="/nhi" aria-current="page"' in page
    status, page, _ = await admin.post("/nhi/upload", {"upload_day": today.isoformat()})
    assert status == 200, page
    assert 'id="upload-outcome"' in page
    assert f'data-day="{today.isoformat()}"' in page
    async with nhi_env.engine.connect() as conn:
        ok = (
            await conn.execute(
                select(ic_upload_records).where(ic_upload_records.c.visit_id == visits[0])
            )
        ).one()
    assert ok.status == "accepted" and ok.treatment_id_late_at is not None
    assert f'/visits/{visits[0]}"' not in page  # accepted on time: nothing to look at
    held = _row(page, visits[1])
    assert held.startswith("held") and "暫不上傳（需要處理）" in held
    assert "無法取得就醫識別碼：9083" in held and "自動再試" in held
    assert "<code>AA</code>" in held  # our validator's finding, with its field
    status, claims, _ = await admin.post(
        "/nhi/claims", {"claims_month": f"{today:%Y-%m}", "action": "check"}
    )
    assert status in (200, 409), claims
    if status == 200:
        assert 'id="claims-outcome"' in claims and 'id="claims-findings"' in claims
    assert 'value="' + f"{today:%Y-%m}" + '"' in claims


async def test_wrong_month_is_named_and_kept(nhi_env: WebEnv) -> None:
    admin = await nhi_env.logged_in("west", "admin")
    status, page, _ = await admin.post("/nhi/claims", {"claims_month": "2999-01", "action": "send"})
    assert status == 400
    assert "「申報月份」不可晚於本月。" in page and 'value="2999-01"' in page
    status, page, _ = await admin.post("/nhi/upload", {"upload_day": "115/13/40"})
    assert status == 400 and "「上傳日期」日期格式不正確" in page and 'value="115/13/40"' in page
    status, page, _ = await admin.get("/nhi?month=abc")
    assert status == 400 and "「月份」月份格式不正確" in page


async def test_front_desk_has_no_nhi_page(nhi_env: WebEnv) -> None:
    desk = await nhi_env.logged_in("west", "frontdesk")
    _, page, _ = await desk.get("/desk")
    assert 'href="/nhi"' not in page
    for method, path in (("get", "/nhi"), ("post", "/nhi/upload"), ("post", "/nhi/claims")):
        status, _, _ = await (desk.get(path) if method == "get" else desk.post(path, {}))
        assert status == 403
