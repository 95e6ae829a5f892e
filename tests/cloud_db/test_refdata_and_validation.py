"""Reference data (counts, idempotent reload, effective-date look-ups) and input validation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from cloud_helpers import Seeded, first_demo_drug, make_card
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clinicbox_core.errors import Conflict, ValidationFailed
from cloud_plane.db.tables_refdata import atc_codes, icd10
from cloud_plane.refdata.loaders import DEFAULT_DATA_DIR, DRUG_LIST_DATE, load_all
from cloud_plane.refdata.lookup import drug_price, fee_points
from cloud_plane.seed.demo import seed_demo
from cloud_plane.services import (
    add_diagnosis,
    add_drug_order,
    create_patient,
    finish_consultation,
    register,
    search_drugs,
    search_icd10,
    search_patients,
    start_consultation,
    upsert_from_card,
)
from cloud_plane.services.actor import Actor
from cloud_plane.services.models import PatientInput


async def test_reference_tables(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        assert await load_all(conn, DEFAULT_DATA_DIR) == {
            "atc": 0,
            "herbs": 0,
            "icd10": 0,
            "drugs": 0,
            "fee_codes": 0,
        }
        atc = await conn.execute(select(atc_codes.c.name_en).where(atc_codes.c.code == "A02AA05"))
        assert atc.scalar_one() == "magnesium silicate"
        total = (await conn.execute(select(func.count()).select_from(icd10))).scalar_one()
        billable = (
            await conn.execute(select(func.count()).where(icd10.c.billable.is_(True)))
        ).scalar_one()
        assert (total, billable) == (96802, 73681)
        code = await first_demo_drug(conn)
        assert await drug_price(conn, code, DRUG_LIST_DATE) is not None
        assert await drug_price(conn, code, date(2020, 1, 1)) is None  # not yet listed then
        assert await fee_points(conn, "00110C", date(2026, 1, 1)) == 352
        assert await fee_points(conn, "00110C", date(2010, 1, 1)) is None
        assert [h.code for h in await search_icd10(conn, "j029")] == ["J02.9"]
        hits = await search_icd10(conn, "急性咽炎")
        assert hits and all("急性咽炎" in h.name_zh for h in hits)


async def test_validation_names_the_field(engine: AsyncEngine, actors: dict[str, Actor]) -> None:
    front, doctor = actors["west.frontdesk"], actors["west.doctor1"]
    doc = int(doctor.staff_id or 0)
    async with engine.begin() as conn:
        p = await upsert_from_card(conn, front, make_card("驗證病人"))
        v = await register(conn, front, p.id, doctor_id=doc, department="01")
        await start_consultation(conn, doctor, v.id)
        drug = await first_demo_drug(conn)
    cases: list[tuple[Callable[[AsyncConnection], Awaitable[Any]], str]] = [
        (lambda c: register(c, front, p.id, doctor_id=doc, department="ZZ"), "department"),
        (lambda c: register(c, front, p.id, doctor_id=doc, department="01", visit_type="99"),
         "visit_type"),
        (lambda c: add_diagnosis(c, doctor, v.id, "J02"), "code"),  # a header, not billable
        (lambda c: add_diagnosis(c, doctor, v.id, "XYZ.1"), "code"),
        (lambda c: add_drug_order(c, doctor, v.id, drug_code=drug, dose=Decimal(1),
                                  frequency="NOPE", route="PO", days=3), "frequency"),
        (lambda c: add_drug_order(c, doctor, v.id, drug_code=drug, dose=Decimal(1),
                                  frequency="TID", route="ZZ", days=3), "route"),
        (lambda c: add_drug_order(c, doctor, v.id, drug_code="X000000000", dose=Decimal(1),
                                  frequency="TID", route="PO", days=3), "drug_code"),
        (lambda c: add_drug_order(c, doctor, v.id, drug_code=drug, dose=Decimal(1),
                                  frequency="PRN", route="PO", days=3), "total"),
        (lambda c: finish_consultation(c, doctor, v.id), "diagnoses"),
        (lambda c: create_patient(c, front, PatientInput(name="錯號", sex="M",
                                  birth_date=date(1990, 1, 1), national_id="A123456788")),
         "national_id"),
    ]  # fmt: skip
    for call, field in cases:
        with pytest.raises(ValidationFailed) as err:
            async with engine.begin() as conn:
                await call(conn)
        assert err.value.params.get("field") == field, err.value
    with pytest.raises(Conflict):
        async with engine.begin() as conn:
            await create_patient(
                conn, front,
                PatientInput(name="重複", sex="M", birth_date=date(1990, 1, 1),
                             national_id=p.national_id),
            )  # fmt: skip


async def test_search(engine: AsyncEngine, actors: dict[str, Actor]) -> None:
    front, doctor = actors["west.frontdesk"], actors["west.doctor1"]
    async with engine.begin() as conn:
        p = await create_patient(
            conn, front,
            PatientInput(name="搜尋測試者", sex="F", birth_date=date(1961, 7, 8),
                         phone="0912-345-678"),
        )  # fmt: skip
        for q in ("搜尋測試", "0912345678", "345678", "1961-07-08", "0500708", p.chart_no):
            assert p.id in {x.id for x in await search_patients(conn, front, q)}, q
        assert await search_patients(conn, front, "   ") == []
        hits = await search_drugs(conn, doctor, "乙醯胺酚", date.today())
        assert hits and all(h.in_formulary and h.demo_value for h in hits)


async def test_seed_is_idempotent(engine: AsyncEngine, seeded: Seeded) -> None:
    from cloud_plane.db.tables_clinic import staff, tenant_drugs, tenants

    async def counts() -> tuple[int, ...]:
        async with engine.connect() as conn:
            return tuple(
                [
                    (await conn.execute(select(func.count()).select_from(t))).scalar_one()
                    for t in (tenants, staff, tenant_drugs)
                ]
            )

    before = await counts()
    again = await seed_demo(engine, DEFAULT_DATA_DIR)
    assert await counts() == before
    assert again.formulary_size >= 200
    assert before[2] == len(again.clinics) * again.formulary_size  # every clinic, one formulary
    assert again.reference_rows == {"atc": 0, "herbs": 0, "icd10": 0, "drugs": 0, "fee_codes": 0}
