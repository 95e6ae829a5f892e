"""Bad input: the page comes back with a zh-TW message naming the field, and nothing typed is
lost."""

from __future__ import annotations

import re

from web_env import WebEnv
from web_steps import create_patient, register


async def test_bad_national_id_is_named_and_input_kept(env: WebEnv) -> None:
    desk = await env.logged_in("west", "frontdesk")
    await desk.get("/desk")
    status, page, _ = await desk.post(
        "/desk/patients",
        {
            "national_id": "A123456788",
            "name": "錯號病人",
            "birth_date": "0690315",
            "sex": "F",
            "phone": "0922000111",
        },
    )
    assert status == 400
    assert "「身分證字號」不是有效的身分證或居留證號碼。" in page
    assert 'id="new_patient-national_id-error"' in page
    for kept in ('value="A123456788"', 'value="錯號病人"', 'value="0690315"', 'value="0922000111"'):
        assert kept in page
    assert re.search(r'<option value="F" selected>', page)
    assert re.search(r'id="new_patient-national_id"[^>]*aria-invalid="true"', page)


async def test_bad_birth_date_names_the_field(env: WebEnv) -> None:
    desk = await env.logged_in("west", "frontdesk")
    await desk.get("/desk")
    status, page, _ = await desk.post(
        "/desk/patients", {"name": "日期錯", "birth_date": "1990-13-45", "sex": "M"}
    )
    assert status == 400
    assert "「出生日期」日期格式不正確" in page
    assert 'value="1990-13-45"' in page


async def test_register_without_patient_names_the_patient_field(env: WebEnv) -> None:
    desk = await env.logged_in("west", "frontdesk")
    await desk.get("/desk")
    status, page, _ = await desk.post(
        "/desk/register", {"doctor_id": "1", "department": "01", "visit_type": "01"}
    )
    assert status == 400
    assert "請填寫「病患」。" in page


async def test_bad_dose_keeps_the_drug_form(env: WebEnv) -> None:
    desk = await env.logged_in("west", "frontdesk")
    doctor = await env.logged_in("west", "doctor1")
    visit_id = await register(desk, await create_patient(desk, "劑量錯"), "王大明醫師")
    await doctor.get(f"/visits/{visit_id}")
    status, _, _ = await doctor.post(f"/visits/{visit_id}/start")
    assert status == 303
    status, page, _ = await doctor.post(
        f"/visits/{visit_id}/drugs",
        {"drug_code": "AC12345100", "dose": "一顆", "frequency": "BID", "route": "PO", "days": "5"},
    )
    assert status == 400
    assert "「單次劑量」必須是數字。" in page
    assert 'value="AC12345100"' in page and 'value="一顆"' in page and 'value="5"' in page
    assert re.search(r'<option value="BID" selected>', page)


async def test_unknown_icd10_code_is_explained(env: WebEnv) -> None:
    desk = await env.logged_in("west", "frontdesk")
    doctor = await env.logged_in("west", "doctor1")
    visit_id = await register(desk, await create_patient(desk, "代碼錯"), "王大明醫師")
    await doctor.get(f"/visits/{visit_id}")
    await doctor.post(f"/visits/{visit_id}/start")
    status, page, _ = await doctor.post(f"/visits/{visit_id}/diagnoses", {"code": "ZZZ.99"})
    assert status == 400
    assert "ICD-10 代碼 ZZZ.99 不存在。" in page
    assert 'value="ZZZ.99"' in page
