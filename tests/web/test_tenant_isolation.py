"""Tenant isolation over every route: demo-west staff get 404 for each of demo-east's ids, and
demo-east's data does not change.

The route list comes from ``app.router.routes()``; a route with an id in its path must be listed
in :data:`ID_ROUTES` (with a form that would succeed on the owner's own data), so adding a route
without covering it here fails :func:`test_every_id_route_is_covered`.
"""

from __future__ import annotations

import re
from typing import Any

from pharmacy_steps import pharmacy_codes, receive_typed, slip_form
from sqlalchemy import select
from web_booking import insert_booking_today
from web_env import WebEnv
from web_steps import consult, create_patient, new_national_id, register

from cloud_plane.db.tables_clinic import (
    audit_log,
    bills,
    diagnoses,
    orders,
    patients,
    print_jobs,
    tenants,
    visits,
)
from cloud_plane.db.tables_frontdesk import bookings
from cloud_plane.db.tables_pharmacy import pharmacy_fills, pharmacy_rx, stock_lots

# route name → form posted (None for GET). Each form is valid, so only the tenant check stops it.
ID_ROUTES: dict[str, dict[str, str] | None] = {
    "visit_cancel": {},
    "visit": None,
    "visit_start": {},
    "visit_complaint": {"chief_complaint": "west was here"},
    "visit_diagnosis": {"code": "J00"},
    "visit_diagnosis_delete": {},
    "visit_drug": {"drug_code": "X", "dose": "1", "frequency": "TID", "route": "PO", "days": "3"},
    "visit_procedure": {"code": "48001C"},
    "visit_order_delete": {},
    "visit_finish": {},
    "bill": None,
    "bill_recompute": {"exemption_code": ""},
    "bill_settle": {"paid": "99999"},
    "bill_print": {"kind": "receipt"},
    "bill_prints": None,
    "visit_dispense": {},
    "api_visit": None,
    "visit_call": {},
    "reregister": None,
    "reregister_post": {"doctor_id": "1", "department": "01", "session": ""},
    "checkin": {},
    "pharmacy_rx": None,
    "pharmacy_dispense": {"card_id": ""},
    "pharmacy_print": {"kind": "drugbag"},
    "visit_chronic": {"fills": "3", "days_per_fill": "28"},
    "visit_allergies": {"allergies": "west was here"},
    "visit_herb": {"herb_code": "A001135", "grams_per_day": "3", "herb_days": "7"},
    "visit_set_save": {"set_name": "west set"},
    "visit_set_apply": {"set_id": "1"},
    "visit_repeat": {},
    "visit_rx": None,
    "visit_rx_print": {},
}
# Routes whose path parameter is not a tenant-scoped id: the public pages are found by clinic
# slug (and a patient's booking by their verified identity, tests/web/test_booking_pages.py;
# a pharmacy pick-up likewise, tests/cloud_db/test_pickup_booking.py), and a close-out report by
# day within the logged-in clinic.
NOT_ID_ROUTES = frozenset({
    "closeout_report", "display", "display_board", "display_events", "book_clinic", "book_code",
    "book_verify", "book_post", "book_mine", "book_cancel",
    "pickup", "pickup_code", "pickup_verify", "pickup_post", "pickup_cancel",
})  # fmt: skip
_PARAM = re.compile(r"\{(\w+)\}")


def id_routes(env: WebEnv) -> dict[str, tuple[str, str]]:
    """name → (method, path template) of every route with a path parameter."""
    found: dict[str, tuple[str, str]] = {}
    for route in env.app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        template = str(info.get("formatter", ""))
        if template.startswith("/vendor/"):
            continue  # the vendor console is not tenant-scoped; tests/fleet checks its gate
        if _PARAM.search(template) and route.method != "HEAD" and route.name not in NOT_ID_ROUTES:
            assert route.name, f"route {route.method} {template} has no name"
            found[route.name] = (route.method, template)
    return found


async def test_every_id_route_is_covered(env: WebEnv) -> None:
    routes = id_routes(env)
    assert set(routes) == set(ID_ROUTES), (
        "routes with ids changed; cover them in ID_ROUTES: "
        f"new={sorted(set(routes) - set(ID_ROUTES))} gone={sorted(set(ID_ROUTES) - set(routes))}"
    )
    params = {p for _, t in routes.values() for p in _PARAM.findall(t)}
    assert params == {"visit_id", "diagnosis_id", "order_id", "booking_id", "rx_id"}


async def snapshot(env: WebEnv, tenant_slug: str) -> dict[str, Any]:
    """Every clinic row of one tenant (audit rows excluded: reads by the owner add them)."""
    out: dict[str, Any] = {}
    async with env.engine.begin() as conn:
        tid = (await conn.execute(select(tenants.c.id).where(tenants.c.slug == tenant_slug))).one()
        for table in (
            patients, visits, diagnoses, orders, bills, print_jobs, bookings,
            pharmacy_rx, pharmacy_fills, stock_lots,
        ):  # fmt: skip
            rows = (
                await conn.execute(
                    select(table).where(table.c.tenant_id == tid.id).order_by(table.c.id)
                )
            ).all()
            out[table.name] = [tuple(r) for r in rows]
        audit = (
            await conn.execute(
                select(audit_log.c.staff_id, audit_log.c.action, audit_log.c.entity)
                .where(audit_log.c.tenant_id == tid.id)
                .order_by(audit_log.c.id)
            )
        ).all()
        out["audit_count"] = len(audit)
    return out


async def test_west_staff_get_404_for_every_east_id(env: WebEnv) -> None:
    # demo-east: one visit with a diagnosis and a drug order, billed, with a print job.
    east_desk = await env.logged_in("east", "frontdesk")
    east_doctor = await env.logged_in("east", "doctor1")
    east_visit = await register(east_desk, await create_patient(east_desk, "東區病人"), "吳醫師")
    await consult(east_doctor, east_visit)
    status, detail = await east_doctor.get_json(f"/api/visits/{east_visit}")
    assert status == 200
    diagnosis_id = int(detail["diagnoses"][0]["id"])
    order_id = int(next(o["id"] for o in detail["orders"] if o["kind"] == "drug"))
    _, page, _ = await east_desk.get(f"/visits/{east_visit}/bill")
    due = re.search(r'<dd id="amount-due">([\d,]+) ', page)
    assert due
    status, _, _ = await east_desk.post(
        f"/visits/{east_visit}/settle", {"paid": due.group(1).replace(",", "")}
    )
    assert status == 303
    status, _, _ = await east_desk.post(f"/visits/{east_visit}/print", {"kind": "receipt"})
    assert status == 303
    assert len(env.dispatcher.jobs) == 1
    booking_id, _ = await insert_booking_today(env.engine, "demo-east", "doctor1", "東區預約")
    # demo-pharmacy: one received slip, not yet dispensed.
    pharmacist = await env.logged_in("pharmacy", "pharmacist")
    slip_patient = new_national_id("F")
    slip = slip_form(slip_patient, await pharmacy_codes(env.engine))
    rx_id = await receive_typed(pharmacist, slip)
    forms = {**ID_ROUTES, "pharmacy_dispense": {"card_id": slip_patient}}
    ids = {
        "visit_id": east_visit, "diagnosis_id": diagnosis_id, "order_id": order_id,
        "booking_id": booking_id, "rx_id": rx_id,
    }  # fmt: skip

    # demo-west: the clinic admin holds both the admin and the doctor role, so no role check
    # can answer first; only the tenant check stands between them and demo-east's data.
    west = await env.logged_in("west", "admin")
    await west.get("/desk")
    before = await snapshot(env, "demo-east")
    before_pharmacy = await snapshot(env, "demo-pharmacy")
    tried = 0
    for name, (method, template) in sorted(id_routes(env).items()):
        path = _PARAM.sub(lambda m: str(ids[m.group(1)]), template)
        form = forms[name]
        if method == "GET":
            status, body, _ = await west.get(path)
        else:
            assert form is not None, name
            status, body, _ = await west.post(path, form)
        assert status == 404, f"{method} {path} ({name}) answered {status}: {body[:300]}"
        assert "東區病人" not in body
        tried += 1
        # The other method on the same path must not leak either.
        if method == "GET":
            status, _, _ = await west.post(path, {})
        else:
            status, _, _ = await west.get(path)
        assert status in (404, 405), f"{path} via the other method answered {status}"
    assert tried == len(ID_ROUTES)
    after = await snapshot(env, "demo-east")
    assert after == before
    assert await snapshot(env, "demo-pharmacy") == before_pharmacy
    assert len(env.dispatcher.jobs) == 1  # nothing printed for west on east's visit


async def test_east_patient_is_not_found_by_west_search(env: WebEnv) -> None:
    east = await env.logged_in("east", "frontdesk")
    await create_patient(east, "東區唯一名")
    west = await env.logged_in("west", "frontdesk")
    status, body = await west.get_json("/api/patients?q=東區唯一名")
    assert status == 200 and body == {"items": []}
    _, page, _ = await west.get("/desk?q=東區唯一名")
    assert "東區唯一名" not in page.replace('value="東區唯一名"', "")
