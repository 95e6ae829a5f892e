"""Steps of the pharmacy web tests: a typed-in or scanned slip, the pharmacy's drug codes, an
NHI card read at the pharmacy's box."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from web_browser import Browser
from web_steps import location_id

from clinicbox_core.contracts import CardInserted, Event
from clinicbox_core.nhi.card import NhiCardBasic
from clinicbox_core.prescription.payload import RxItem, RxKind, RxPayload
from clinicbox_core.prescription.qr_codec import encode_rx
from cloud_plane.box_events import BoxEventHandlers
from cloud_plane.boxlink.store import apply_event
from cloud_plane.db.tables_clinic import tenant_drugs, tenants
from cloud_plane.web.live import LiveHub


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


def slip_code(national_id: str, born: date, codes: list[str], *, seq: str = "0031") -> str:
    """The QR text of a 3-fill 慢箋 (28 days, one a day) issued yesterday by demo-west."""
    items = tuple(
        RxItem(code=c, dose=Decimal(1), frequency="QD", route="PO", days=28, total=Decimal(28))
        for c in codes
    )
    payload = RxPayload(
        institution_code="3501200000", slip_no=f"T-{national_id}", doctor_id="A123456789",
        visit_date=date.today() - timedelta(days=1), nhi_seq=seq, case_type="04",
        patient_id=national_id, patient_birth=born, kind=RxKind.CHRONIC, fills_total=3,
        fill_no=1, days_per_fill=28, diagnoses=("I10",), items=items,
    )  # fmt: skip
    return encode_rx(payload)


async def card_at_box(
    engine: AsyncEngine, hub: LiveHub, slug: str, card: NhiCardBasic, box_id: str
) -> None:
    """An NHI card read at a box of ``slug``, through the cloud's real inbox and handler (the
    MQTT leg is covered by the end-to-end tests)."""
    handlers = BoxEventHandlers(hub, engine)
    event = Event(box_id=box_id, seq=1, body=CardInserted(reader="pharmacy-reader", card=card))
    await apply_event(engine, slug, event, handlers.table()["card.inserted"])
