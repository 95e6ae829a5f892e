"""Steps of the pharmacy web tests: a typed-in slip, the pharmacy's drug codes."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from web_browser import Browser
from web_steps import location_id

from cloud_plane.db.tables_clinic import tenant_drugs, tenants


async def pharmacy_codes(engine: AsyncEngine, n: int = 2) -> list[str]:
    """The first ``n`` drug codes of demo-pharmacy's formulary (code order)."""
    async with engine.connect() as conn:
        stmt = (
            select(tenant_drugs.c.code)
            .join(tenants, tenants.c.id == tenant_drugs.c.tenant_id)
            .where(tenants.c.slug == "demo-pharmacy")
            .order_by(tenant_drugs.c.code)
            .limit(n)
        )
        return list((await conn.execute(stmt)).scalars())


def slip_form(national_id: str, codes: list[str], *, name: str = "藥局病人") -> dict[str, str]:
    """A valid typed 慢箋 (3 fills of 28 days) for ``codes``."""
    form = {
        "national_id": national_id, "name": name, "birth_date": "0550607", "sex": "F",
        "origin_nhi_code": "3501200000", "origin_seq": "0042", "origin_case_type": "04",
        "prescribed_on": (date.today() - timedelta(days=1)).isoformat(),
        "doctor_id_no": "A123456789", "diagnoses": "I10", "chronic": "1", "fills_allowed": "3",
    }  # fmt: skip
    for n, code in enumerate(codes, start=1):
        form |= {
            f"item{n}_code": code, f"item{n}_dose": "1", f"item{n}_frequency": "QD",
            f"item{n}_route": "PO", f"item{n}_days": "28", f"item{n}_total": "28",
        }  # fmt: skip
    return form


async def receive_typed(b: Browser, form: dict[str, str]) -> int:
    await b.get("/pharmacy")
    status, page, headers = await b.post("/pharmacy/rx", form)
    assert status == 303, re.sub(r"\s+", " ", page)[:2000]
    return location_id(headers["Location"], r"/pharmacy/rx/(\d+)")
