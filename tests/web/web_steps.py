"""Steps of the clinic day over HTTP, shared by the web tests (each asserts what it relies on)."""

from __future__ import annotations

import itertools
import os
import re
from datetime import date

from web_browser import Browser

from clinicbox_core.nhi.id_number import check_digit

_serial = itertools.count(int.from_bytes(os.urandom(3), "big") % 9_000_000)


def new_national_id(sex: str = "M") -> str:
    """A valid national ID no other test uses."""
    first_nine = (
        f"{'P' if sex == 'M' else 'S'}{1 if sex == 'M' else 2}{next(_serial) % 10_000_000:07d}"
    )
    return first_nine + check_digit(first_nine)


def location_id(location: str, pattern: str) -> int:
    m = re.search(pattern, location)
    assert m, f"{pattern!r} not in {location!r}"
    return int(m.group(1))


async def create_patient(
    b: Browser,
    name: str,
    sex: str = "M",
    born: date = date(1980, 3, 15),
    national_id: str | None = None,
) -> int:
    await b.get("/desk")
    status, page, headers = await b.post(
        "/desk/patients",
        {
            "national_id": national_id or new_national_id(sex),
            "name": name,
            "birth_date": born.isoformat(),
            "sex": sex,
            "phone": "0912345678",
        },
    )
    assert status == 303, page
    return location_id(headers["Location"], r"patient_id=(\d+)")


async def doctor_id(b: Browser, display_name: str) -> int:
    _, page, _ = await b.get("/desk")
    m = re.search(r'<option value="(\d+)"[^>]*>' + re.escape(display_name) + "</option>", page)
    assert m, f"doctor {display_name} not offered on the desk page"
    return int(m.group(1))


async def register(b: Browser, patient_id: int, doctor: str, abnormal_code: str = "") -> int:
    doc = await doctor_id(b, doctor)
    status, page, headers = await b.post(
        "/desk/register",
        {
            "patient_id": str(patient_id),
            "doctor_id": str(doc),
            "department": "01",
            "visit_type": "01",
            "session": "",
            "abnormal_code": abnormal_code,
        },
    )
    assert status == 303, page
    return location_id(headers["Location"], r"registered=(\d+)")


async def consult(b: Browser, visit_id: int, *, drug_query: str = "A") -> None:
    """As a doctor: start, complaint, J06.9, one formulary drug, finish."""
    await b.get(f"/visits/{visit_id}")
    for path, data in (
        (f"/visits/{visit_id}/start", {}),
        (f"/visits/{visit_id}/complaint", {"chief_complaint": "喉嚨痛三天"}),
        (f"/visits/{visit_id}/diagnoses", {"code": "J06.9"}),
    ):
        status, page, _ = await b.post(path, data)
        assert status == 303, (path, page)
    code = await formulary_drug(b, drug_query)
    status, page, _ = await b.post(
        f"/visits/{visit_id}/drugs",
        {"drug_code": code, "dose": "1", "frequency": "TID", "route": "PO", "days": "3"},
    )
    assert status == 303, page
    status, page, _ = await b.post(f"/visits/{visit_id}/finish")
    assert status == 303, page


async def formulary_drug(b: Browser, q: str) -> str:
    status, body = await b.get_json(f"/api/drugs?q={q}")
    assert status == 200
    hits = [h for h in body["items"] if h["in_formulary"] and h["price_points"]]
    assert hits, f"no NHI-priced formulary drug matches {q!r}"
    return str(hits[0]["code"])
