"""Property: a drug order's stored total and points follow the total-quantity rule
(:func:`clinicbox_core.nhi.frequency.total_quantity`) and p12 rounding, for any dose,
frequency and days, through the real service and database (SQLite; the arithmetic is the same
code on PostgreSQL, which the clinic-day test covers)."""

from __future__ import annotations

import asyncio
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import ceil

import pytest
from cloud_helpers import Seeded, first_demo_drug, make_card
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinicbox_core.nhi.frequency import FREQUENCIES, FrequencyKind
from cloud_plane.db.engine import create_engine
from cloud_plane.services import (
    add_drug_order,
    register,
    remove_order,
    start_consultation,
    upsert_from_card,
)
from cloud_plane.services.orders import amount_points

REGULAR = sorted(c for c, f in FREQUENCIES.items() if f.kind is FrequencyKind.REGULAR)


@given(
    qty=st.decimals(min_value=Decimal("0.1"), max_value=Decimal(500), places=1),
    unit=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(9999), places=2),
)
def test_amount_points_rounds_half_up(qty: Decimal, unit: Decimal) -> None:
    exact = qty * unit
    got = amount_points(qty, unit)
    assert abs(Decimal(got) - exact) <= Decimal("0.5")
    assert got == int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.fixture
def sqlite_seeded(seeded: Seeded) -> Seeded:
    if seeded.backend != "sqlite":
        pytest.skip("property runs on SQLite only (see module docstring)")
    return seeded


def test_drug_order_total_and_points(sqlite_seeded: Seeded) -> None:
    seeded = sqlite_seeded
    doctor, front = seeded.actors["west.doctor1"], seeded.actors["west.frontdesk"]

    async def open_visit() -> tuple[int, str]:
        engine = create_engine(seeded.url)
        try:
            async with engine.begin() as conn:
                p = await upsert_from_card(conn, front, make_card())
                v = await register(
                    conn, front, p.id, doctor_id=int(doctor.staff_id or 0), department="01"
                )
                await start_consultation(conn, doctor, v.id)
                return v.id, await first_demo_drug(conn, "ibuprofen")
        finally:
            await engine.dispose()

    visit_id, drug = asyncio.run(open_visit())

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        dose=st.decimals(min_value=Decimal("0.5"), max_value=Decimal(4), places=1),
        frequency=st.sampled_from(REGULAR),
        days=st.integers(min_value=1, max_value=30),
    )
    def prop(dose: Decimal, frequency: str, days: int) -> None:
        async def run() -> None:
            engine = create_engine(seeded.url)
            try:
                async with engine.begin() as conn:
                    d = await add_drug_order(
                        conn, doctor, visit_id, drug_code=drug, dose=dose,
                        frequency=frequency, route="PO", days=days,
                    )  # fmt: skip
                    order = d.orders[-1]
                    await remove_order(conn, doctor, visit_id, order.id)
            finally:
                await engine.dispose()
            per_day = FREQUENCIES[frequency].per_day
            assert per_day is not None
            doses = ceil(Fraction(per_day) * days)
            expected = (dose * doses).to_integral_value(rounding=ROUND_CEILING)
            assert order.total_quantity == expected
            assert order.total_quantity >= dose * Decimal(per_day.numerator) / per_day.denominator
            assert order.amount_points == amount_points(expected, order.unit_points)

        asyncio.run(run())

    prop()
