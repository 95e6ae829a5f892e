"""A pharmacy's day on SQLite and PostgreSQL: receive a slip, dispense three 慢箋 fills inside
their windows (and refused outside them), stock deducted first-expiry-first-out, stock-take,
override below zero, and the month's fills as a claims file our validator accepts."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.claims.build import build_pharmacy_claims
from clinicbox_core.nhi.claims.validate import errors_only, validate
from clinicbox_core.nhi.claims.xml_writer import to_xml
from clinicbox_core.nhi.id_number import check_digit
from clinicbox_core.pharmacy import InsufficientStock, RefillWindowError
from cloud_plane.db.tables_clinic import audit_log, bills, orders, tenant_drugs, visits
from cloud_plane.db.tables_pharmacy import stock_lots, stock_moves
from cloud_plane.pharmacy.claims import month_cases
from cloud_plane.pharmacy.dispense import DispenseInput, dispense
from cloud_plane.pharmacy.models import RxInput, RxItemInput
from cloud_plane.pharmacy.receive import receive_prescription
from cloud_plane.pharmacy.stock import adjust_stock, list_lots, low_stock, receive_stock
from cloud_plane.services.actor import Actor

_serial = itertools.count(3_100_000)


def new_id() -> str:
    nine = f"Q2{next(_serial) % 10_000_000:07d}"
    return nine + check_digit(nine)


async def codes(engine: AsyncEngine, actor: Actor) -> list[str]:
    async with engine.connect() as conn:
        stmt = (
            select(tenant_drugs.c.code)
            .where(tenant_drugs.c.tenant_id == actor.tenant_id)
            .order_by(tenant_drugs.c.code)
        )
        return list((await conn.execute(stmt)).scalars())


def slip(national_id: str, drugs: list[str], *, qty: int = 28, seq: str = "0007") -> RxInput:
    return RxInput(
        national_id=national_id, name="慢箋測試", birth_date=date(1950, 2, 3), sex="F",
        origin_nhi_code="3501200000", origin_case_type="04", origin_seq=seq, department="01",
        prescribed_on=date.today() - timedelta(days=1), doctor_id_no="A123456789",
        diagnoses=("I10", "E11.9"), chronic=True, fills_allowed=3,
        items=tuple(
            RxItemInput(code=c, dose=Decimal(1), frequency="QD", route="PO", days=28,
                        total_quantity=Decimal(qty))
            for c in drugs
        ),
    )  # fmt: skip


async def on_hand(engine: AsyncEngine, actor: Actor, code: str) -> dict[str, Decimal]:
    async with engine.connect() as conn:
        return {lot.lot_no: lot.on_hand for lot in await list_lots(conn, actor, code)}


async def test_three_fills_in_their_windows_with_fefo_stock(
    engine: AsyncEngine, actors: dict[str, Actor]
) -> None:
    ph = actors["pharmacy.pharmacist"]
    drugs = (await codes(engine, ph))[:2]
    pid = new_id()
    async with engine.begin() as conn:
        rx = await receive_prescription(conn, ph, slip(pid, drugs), "typed")
    async with engine.begin() as conn:  # the same slip again (2nd visit): found, not copied
        assert (await receive_prescription(conn, ph, slip(pid, drugs), "qr")).id == rx.id
    before = await on_hand(engine, ph, drugs[0])

    for given, field in (
        (DispenseInput(), "card_id"),
        (DispenseInput(card_id=new_id()), "card_id"),
    ):
        with pytest.raises(ValidationFailed) as err:
            async with engine.begin() as conn:
                await dispense(conn, ph, rx.id, given)
        assert err.value.params["field"] == field

    day1 = datetime.now(UTC)
    async with engine.begin() as conn:
        v1 = await dispense(conn, ph, rx.id, DispenseInput(card_id=pid), now=day1)
    after = await on_hand(engine, ph, drugs[0])
    near = min(before, key=lambda k: k)  # D…A expires first
    assert after[near] == before[near] - 28, "FEFO: the lot expiring first is used first"
    assert {k: v for k, v in after.items() if k != near} == {
        k: v for k, v in before.items() if k != near
    }

    async with engine.connect() as conn:
        fee = (
            await conn.execute(
                select(orders.c.code).where(
                    orders.c.visit_id == v1, orders.c.kind == "pharmacy_fee"
                )
            )
        ).scalar_one()
        bill = (await conn.execute(select(bills).where(bills.c.visit_id == v1))).one()
        visit = (await conn.execute(select(visits).where(visits.c.id == v1))).one()
    assert fee == "05210B"  # 特約藥局, 慢性病 ≥ 28 天, within 80 a day
    assert (bill.copay, bill.copay_code) == (0, "I22")  # 慢箋: no copay at a pharmacy
    assert (visit.status, visit.visit_type, visit.case_type, visit.nhi_seq) == (
        "dispensed", "AF", "2", "0007"
    )  # fmt: skip

    with pytest.raises(RefillWindowError) as early:
        async with engine.begin() as conn:
            await dispense(
                conn, ph, rx.id, DispenseInput(card_id=pid), now=day1 + timedelta(days=17)
            )
    assert early.value.params["reason"] == "too_early"
    assert early.value.params["field"] == "fill_no"
    with pytest.raises(RefillWindowError) as late:
        async with engine.begin() as conn:
            await dispense(
                conn, ph, rx.id, DispenseInput(card_id=pid), now=day1 + timedelta(days=28)
            )
    assert late.value.params["reason"] == "too_late"

    day2 = day1 + timedelta(days=18)
    async with engine.begin() as conn:
        v2 = await dispense(conn, ph, rx.id, DispenseInput(card_id=pid), now=day2)
    async with engine.begin() as conn:
        v3 = await dispense(
            conn, ph, rx.id, DispenseInput(card_id=pid), now=day2 + timedelta(days=27)
        )
    with pytest.raises(ValidationFailed) as fourth:
        async with engine.begin() as conn:
            await dispense(
                conn, ph, rx.id, DispenseInput(card_id=pid), now=day2 + timedelta(days=50)
            )
    assert fourth.value.params["field"] == "fill_no"
    async with engine.connect() as conn:
        seqs = (
            (
                await conn.execute(
                    select(visits.c.nhi_seq).where(visits.c.id.in_([v2, v3])).order_by(visits.c.id)
                )
            )
            .scalars()
            .all()
        )
    assert list(seqs) == ["IC02", "IC03"]

    # The month of the first fill, as a claims file: the validator finds no error.
    async with engine.connect() as conn:
        header, cases = await month_cases(
            conn, ph.tenant_id, day1.date(), report_date=day1.date() + timedelta(days=40)
        )
    mine = [c for c in cases if c.case.d3 == pid]
    assert [c.case.d35 for c in mine] == ["1", "2", "3"][: len(mine)]
    built = build_pharmacy_claims(header, cases)
    assert built.tdata.t1 == "30"
    findings = errors_only(validate(to_xml(built)))
    assert findings == [], findings


async def test_short_stock_refused_then_overridden_and_audited(
    engine: AsyncEngine, actors: dict[str, Actor]
) -> None:
    ph = actors["pharmacy.pharmacist"]
    async with engine.connect() as conn:
        low = (await low_stock(conn, ph, date.today()))[0].code  # seeded: 40 in stock
    pid = new_id()
    async with engine.begin() as conn:
        rx = await receive_prescription(conn, ph, slip(pid, [low], qty=500, seq="0101"), "typed")
    with pytest.raises(InsufficientStock) as err:
        async with engine.begin() as conn:
            await dispense(conn, ph, rx.id, DispenseInput(card_id=pid))
    assert err.value.params["field"] == "item1_code"
    async with engine.begin() as conn:
        visit_id = await dispense(conn, ph, rx.id, DispenseInput(card_id=pid, override_stock=True))
    async with engine.connect() as conn:
        negative = (
            await conn.execute(
                select(func.count()).where(
                    stock_moves.c.visit_id == visit_id, stock_moves.c.override
                )
            )
        ).scalar_one()
        audited = (
            await conn.execute(
                select(func.count()).where(
                    audit_log.c.entity == "stock_lot", audit_log.c.tenant_id == ph.tenant_id
                )
            )
        ).scalar_one()
    assert negative == 1 and audited >= 1
    async with engine.connect() as conn:
        lows = await low_stock(conn, ph, date.today())
    assert low in [line.code for line in lows]


async def test_receiving_and_stock_take_keep_lots_equal_to_their_moves(
    engine: AsyncEngine, actors: dict[str, Actor]
) -> None:
    ph = actors["pharmacy.pharmacist"]
    code = (await codes(engine, ph))[2]
    today = date.today()
    with pytest.raises(ValidationFailed) as expired:
        async with engine.begin() as conn:
            await receive_stock(
                conn, ph, code=code, lot_no="X1", expiry=today - timedelta(days=1),
                quantity=Decimal(10), unit_cost=Decimal(1), today=today,
            )  # fmt: skip
    assert expired.value.params["field"] == "expiry"
    async with engine.begin() as conn:
        lot_id = await receive_stock(
            conn, ph, code=code, lot_no="NEW-7", expiry=today + timedelta(days=90),
            quantity=Decimal(100), unit_cost=Decimal("2.5"), today=today,
        )  # fmt: skip
    with pytest.raises(ValidationFailed) as no_reason:
        async with engine.begin() as conn:
            await adjust_stock(conn, ph, lot_id, counted=Decimal(97), reason=" ")
    assert no_reason.value.params["field"] == "reason"
    async with engine.begin() as conn:
        assert await adjust_stock(conn, ph, lot_id, counted=Decimal(97), reason="破損 3 粒") == -3
    async with engine.connect() as conn:
        lots = (
            await conn.execute(select(stock_lots).where(stock_lots.c.tenant_id == ph.tenant_id))
        ).all()
        for lot in lots:
            stmt = select(stock_moves.c.quantity).where(stock_moves.c.lot_id == lot.id)
            moves = (await conn.execute(stmt)).scalars().all()
            assert lot.on_hand == sum(moves, Decimal(0)), lot.lot_no


async def test_clinic_dispensary_deducts_the_drugs_it_keeps_in_stock(
    engine: AsyncEngine, actors: dict[str, Actor]
) -> None:
    """A 自行調劑 clinic: once it keeps stock of a drug, handing a visit's drugs over takes them
    out of stock; short stock stops it with a message naming the drug."""
    from cloud_helpers import make_card

    from clinicbox_core.errors import Conflict
    from cloud_plane.services import billing, consultation, finish
    from cloud_plane.services import orders as order_service
    from cloud_plane.services import registration as reg
    from cloud_plane.services.dispensing import mark_dispensed

    doctor, front = actors["west.doctor1"], actors["west.frontdesk"]
    pharm = actors["west.pharmacist"]
    code = (await codes(engine, pharm))[5]
    today = date.today()
    async with engine.begin() as conn:
        lot = await receive_stock(
            conn, pharm, code=code, lot_no=f"W-{new_id()}", expiry=today + timedelta(days=30),
            quantity=Decimal(5), unit_cost=Decimal(1), today=today,
        )  # fmt: skip
        visit = await reg.register_from_card(conn, "demo-west", "box-demo-1", make_card())
        await consultation.start_consultation(conn, doctor, visit.id)
        await consultation.add_diagnosis(conn, doctor, visit.id, "J02.9")
        await order_service.add_drug_order(
            conn, doctor, visit.id, drug_code=code, dose=Decimal(1), frequency="QID",
            route="PO", days=3,
        )  # fmt: skip
        await finish.finish_consultation(conn, doctor, visit.id)
        bill = await billing.compute_bill(conn, front, visit.id)
        await billing.settle(conn, front, visit.id, bill.amount_due)
    with pytest.raises(Conflict) as short:
        async with engine.begin() as conn:
            await mark_dispensed(conn, pharm, visit.id)
    assert short.value.message_key == "error.stock.short_for_visit"
    assert short.value.params["code"] == code and short.value.params["wanted"] == "12"
    async with engine.begin() as conn:
        await adjust_stock(conn, pharm, lot, counted=Decimal(20), reason="到貨補登")
    async with engine.begin() as conn:
        await mark_dispensed(conn, pharm, visit.id)
    lots = await on_hand(engine, pharm, code)
    assert [q for lot_no, q in lots.items() if lot_no.startswith("W-")] == [Decimal(8)]
