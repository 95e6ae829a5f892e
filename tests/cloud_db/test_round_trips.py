"""Round trips of a complete visit: a statement budget per step, and proof that the models the
services build from what they wrote equal what a fresh read of the database returns.

The services avoid re-reading rows they have just written (RETURNING, the visit context row,
the rows they listed before inserting); the second test checks each returned model against
``get_visit_detail`` / ``get_patient`` / a re-computed bill in a new transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from cloud_helpers import Seeded, make_card
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from cloud_plane.db.tables_clinic import tenant_drugs
from cloud_plane.services import (
    billing,
    consultation,
    finish,
    orders,
    patients,
    printing,
    registration,
)
from cloud_plane.services.actor import Actor
from cloud_plane.services.models import VisitDetail, VisitStatus

# Statements sent per step of a complete visit (transaction control not counted). Raise a number
# only with a reason: each one is a round trip on every visit of every clinic.
BUDGET = {
    "upsert_from_card": 4,
    "register": 4,
    "start_consultation": 4,
    "add_diagnosis": 4,
    "add_drug_order": 5,
    "finish_consultation": 6,
    "compute_bill": 5,
    "settle": 4,
    "create_print_job": 6,
}


class StatementCounter:
    """Counts the statements an engine sends, by the step that is running."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.step = ""
        self.counts: Counter[str] = Counter()
        self.max_per_step: dict[str, int] = {}
        event.listen(engine.sync_engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.strip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            return
        self.counts[self.step] += 1

    @asynccontextmanager
    async def begin(self, engine: AsyncEngine, step: str) -> AsyncIterator[AsyncConnection]:
        self.step = step
        before = self.counts[step]
        async with engine.begin() as conn:
            yield conn
        used = self.counts[step] - before
        self.max_per_step[step] = max(used, self.max_per_step.get(step, 0))
        self.step = ""


async def _drug_codes(engine: AsyncEngine, doctor: Actor) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(tenant_drugs.c.code)
            .where(tenant_drugs.c.tenant_id == doctor.tenant_id, tenant_drugs.c.active.is_(True))
            .order_by(tenant_drugs.c.code)
            .limit(2)
        )
        return list(rows.scalars())


async def test_complete_visit_stays_within_statement_budget(
    engine: AsyncEngine, actors: dict[str, Actor], seeded: Seeded
) -> None:
    desk, doctor = actors["west.frontdesk"], actors["west.doctor1"]
    assert doctor.staff_id is not None
    drugs = await _drug_codes(engine, doctor)
    assert len(drugs) == 2
    counter = StatementCounter(engine)
    for _ in range(2):  # the second visit runs with warm caches, as every visit but the first
        async with counter.begin(engine, "upsert_from_card") as conn:
            patient = await patients.upsert_from_card(conn, desk, make_card())
        async with counter.begin(engine, "register") as conn:
            visit = await registration.register(
                conn, desk, patient.id, doctor_id=doctor.staff_id, department="01", source="card"
            )
        async with counter.begin(engine, "start_consultation") as conn:
            await consultation.start_consultation(conn, doctor, visit.id)
        for code in ("J06.9", "I10"):
            async with counter.begin(engine, "add_diagnosis") as conn:
                await consultation.add_diagnosis(conn, doctor, visit.id, code)
        for code in drugs:
            async with counter.begin(engine, "add_drug_order") as conn:
                await orders.add_drug_order(
                    conn, doctor, visit.id, drug_code=code, dose=Decimal(1), frequency="TID",
                    route="PO", days=3,
                )  # fmt: skip
        async with counter.begin(engine, "finish_consultation") as conn:
            await finish.finish_consultation(conn, doctor, visit.id)
        async with counter.begin(engine, "compute_bill") as conn:
            bill = await billing.compute_bill(conn, desk, visit.id)
        async with counter.begin(engine, "settle") as conn:
            await billing.settle(conn, desk, visit.id, bill.amount_due)
        async with counter.begin(engine, "create_print_job") as conn:
            await printing.create_print_job(conn, desk, visit.id, "drugbag")
        warm = dict(counter.max_per_step)
        counter.max_per_step.clear()
    over = {step: (n, BUDGET[step]) for step, n in warm.items() if n > BUDGET[step]}
    assert not over, f"{seeded.backend}: statements over budget (used, budget): {over}"
    assert set(warm) == set(BUDGET)


async def test_returned_models_equal_a_fresh_read(
    engine: AsyncEngine, actors: dict[str, Actor]
) -> None:
    desk, doctor = actors["west.frontdesk"], actors["west.doctor1"]
    assert doctor.staff_id is not None
    drugs = await _drug_codes(engine, doctor)
    card = make_card("林回讀")

    async def fresh_detail(visit_id: int) -> Any:
        async with engine.begin() as conn:
            return await consultation.get_visit_detail(conn, doctor, visit_id)

    async with engine.begin() as conn:
        created = await patients.upsert_from_card(conn, desk, card)
    async with engine.begin() as conn:
        assert await patients.get_patient(conn, desk, created.id) == created
    renamed = card.model_copy(update={"name": "林回讀改"})
    async with engine.begin() as conn:
        updated = await patients.upsert_from_card(conn, desk, renamed)
    async with engine.begin() as conn:
        assert await patients.get_patient(conn, desk, created.id) == updated
    assert updated.name == "林回讀改" and updated.updated_at > created.updated_at

    async with engine.begin() as conn:
        visit = await registration.register(
            conn, desk, created.id, doctor_id=doctor.staff_id, department="01"
        )
    steps: list[Callable[[AsyncConnection], Awaitable[VisitDetail]]] = [
        lambda c: consultation.start_consultation(c, doctor, visit.id),
        lambda c: consultation.set_chief_complaint(c, doctor, visit.id, "  咳嗽三天 "),
        lambda c: consultation.add_diagnosis(c, doctor, visit.id, "J06.9"),
        lambda c: consultation.add_diagnosis(c, doctor, visit.id, "I10"),
        lambda c: consultation.add_diagnosis(c, doctor, visit.id, "R50.9"),
        lambda c: orders.add_drug_order(
            c,
            doctor,
            visit.id,
            drug_code=drugs[0],
            dose=Decimal("1.5"),
            frequency="BID",
            route="PO",
            days=10,
        ),
        lambda c: orders.add_drug_order(
            c,
            doctor,
            visit.id,
            drug_code=drugs[1],
            dose=Decimal(1),
            frequency="TID",
            route="PO",
            days=3,
        ),
        lambda c: orders.add_procedure_order(c, doctor, visit.id, "00110C"),
        lambda c: finish.finish_consultation(c, doctor, visit.id),
        lambda c: consultation.start_consultation(c, doctor, visit.id),  # reopen
        lambda c: finish.finish_consultation(c, doctor, visit.id),
    ]
    details = []
    for step in steps:
        async with engine.begin() as conn:
            returned = await step(conn)
        assert returned == await fresh_detail(visit.id)
        details.append(returned)
    assert details[1].visit.chief_complaint == "咳嗽三天"
    assert [d.ordinal for d in details[4].diagnoses] == [1, 2, 3]
    assert details[-1].visit.status is VisitStatus.TO_BILL
    assert [o.ordinal for o in details[-1].orders] == list(range(1, 6))

    # remove the first diagnosis and an order: the others move up / stay as stored
    async with engine.begin() as conn:
        await consultation.start_consultation(conn, doctor, visit.id)
        first = details[-1].diagnoses[0].id
        returned = await consultation.remove_diagnosis(conn, doctor, visit.id, first)
    assert returned == await fresh_detail(visit.id)
    assert [(d.ordinal, d.code) for d in returned.diagnoses] == [(1, "I10"), (2, "R50.9")]
    async with engine.begin() as conn:
        proc = next(o for o in returned.orders if o.kind == "procedure")
        returned = await orders.remove_order(conn, doctor, visit.id, proc.id)
    assert returned == await fresh_detail(visit.id)
    async with engine.begin() as conn:
        returned = await finish.finish_consultation(conn, doctor, visit.id)
    assert returned == await fresh_detail(visit.id)

    async with engine.begin() as conn:
        bill = await billing.compute_bill(conn, desk, visit.id)
    async with engine.begin() as conn:  # computed again: same amounts, stored as returned
        again = await billing.compute_bill(conn, desk, visit.id)
        stored = await billing._stored(conn, desk, visit.id)
    assert stored is not None and billing._bill(stored) == again
    assert again.model_copy(update={"computed_at": bill.computed_at}) == bill
    async with engine.begin() as conn:
        settled = await billing.settle(conn, desk, visit.id, bill.amount_due + 100)
    async with engine.begin() as conn:  # a settled bill is returned as stored
        assert await billing.compute_bill(conn, desk, visit.id) == settled
    assert settled.change == 100
    async with engine.begin() as conn:
        job, _ = await printing.create_print_job(conn, desk, visit.id, "drugbag")
    async with engine.begin() as conn:
        assert await printing.list_print_jobs(conn, desk, visit.id) == [job]
